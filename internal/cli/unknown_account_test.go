package cli

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/sandbox"
)

// An account STS would not name reads the same in check, plan and fix:
// "account unknown", with the profile that failed.
func TestUnknownAccountSaidOneWay(t *testing.T) {
	startSandbox(t, "compliant")
	require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile stale]\nregion = "+sandbox.DefaultRegion+
		"\naws_access_key_id = AKIANOBODYKNOWSTHIS1\naws_secret_access_key = x\n"), 0o600))

	code, out, stderr := runCheckCmd(t, "--profile", "stale")
	require.Equal(t, exitFailed, code, out+stderr)
	require.Contains(t, out, "account unknown (profile stale)  ERROR\n")
	require.Contains(t, out, "(`aws sts get-caller-identity --profile stale` shows whom they sign as)", "the hint's command reaches the same profile")

	code, out, stderr = runSafetyCmd(t, "plan", "--profile", "stale")
	require.Equal(t, exitFailed, code, out+stderr)
	require.Contains(t, out, "Account unknown (profile stale): no changes planned\n")

	code, out, stderr = runSafetyCmd(t, "fix", "--dry-run", "--profile", "stale")
	require.Equal(t, exitFailed, code, out+stderr)
	require.Contains(t, out, "Account unknown (profile stale): no changes planned\n")
	code, out, stderr = runFixSafety(t, t.TempDir()+"/journal", "--yes", "--profile", "stale")
	require.Equal(t, exitFailed, code, out+stderr)
	require.Contains(t, out, "Account unknown (profile stale): no changes planned\n")
	require.Contains(t, fixSummaryRows(t, out)["unknown"], "stale")
	for _, text := range []string{out, stderr} {
		require.NotContains(t, text, "Account  (")
		require.NotContains(t, text, "(unknown account)")
	}
}
