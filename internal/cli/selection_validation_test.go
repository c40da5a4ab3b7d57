package cli

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Flag values are validated before any AWS call: a bad one is exit 2 and
// the sandbox sees no request.
func TestSelectionAndOutputValidation(t *testing.T) {
	srv := startSandbox(t, "compliant")
	missingDir := filepath.Join(t.TempDir(), "absent", "plan.json")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"region not a name", []string{"check", "--region", "foo"}, `--region "foo": not a region name (like us-east-1)`},
		{"region in capitals", []string{"plan", "--region", "US-EAST-1"}, "lower case, e.g. us-east-1"},
		{"region with a space", []string{"fix", "--dry-run", "--region", "us-east-1 x"}, `--region "us-east-1 x": not a region name`},
		{"parallel too many", []string{"check", "--parallel", "100000"}, "--parallel 100000: want 1 to 512"},
		{"parallel zero", []string{"plan", "--parallel", "0"}, "want 1 to 512"},
		{"out in a missing directory", []string{"plan", "--out", missingDir}, "--out " + missingDir + ": directory " + filepath.Dir(missingDir) + " does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(srv.Requests())
			code, out, stderr := runSafetyCmd(t, tc.args...)
			require.Equal(t, exitUsage, code, out+stderr)
			require.Contains(t, stderr, tc.want)
			require.Len(t, srv.Requests(), n, "no AWS call")
		})
	}

	// The most --parallel allows works; a made-up region is fine where an
	// endpoint is set (the sandbox answers any region).
	code, out, stderr := runSafetyCmd(t, "check", "--parallel", "512", "--region", "us-east-9")
	require.NotEqual(t, exitUsage, code, out+stderr)
}

// Without an endpoint override, a well-formed region AWS does not have is
// refused before anything is sent.
func TestUnknownRegionWithoutEndpoint(t *testing.T) {
	srv := startSandbox(t, "compliant")
	t.Setenv("AWS_ENDPOINT_URL", "")
	// Should the refusal ever fail, nothing may leave the machine.
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	code, out, stderr := runSafetyCmd(t, "check", "--region", "us-east-9")
	require.Equal(t, exitUsage, code, out+stderr)
	require.Contains(t, stderr, `--region: region "us-east-9" is not an AWS region this trailwatch knows`)
	require.Empty(t, srv.Requests())
}
