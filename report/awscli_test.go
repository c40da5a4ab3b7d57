package report

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/awscli"
	"github.com/trailwatch/trailwatch/sandbox"
)

var awsCLIv2 = sync.OnceValues(awscli.FindV2)

// importWithCLI runs aws securityhub batch-import-findings on the file
// against a loopback endpoint that records what it is sent. The CLI checks
// every parameter against Security Hub's own model (required members,
// types, minimum lengths, enums it knows) before sending anything.
func importWithCLI(t *testing.T, findings []byte) (code int, stderr string, sent []byte) {
	bin, skip := awsCLIv2()
	if bin == "" {
		t.Skip(skip)
	}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		sent = body
		mu.Unlock()
		var in struct{ Findings []json.RawMessage }
		_ = json.Unmarshal(body, &in)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"FailedCount": 0, "SuccessCount": len(in.Findings), "FailedFindings": []any{}})
	}))
	defer srv.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "findings.json")
	require.NoError(t, os.WriteFile(path, findings, 0o600))
	cmd := exec.Command(bin, "securityhub", "batch-import-findings", "--findings", "file://"+path,
		"--endpoint-url", srv.URL, "--region", sandbox.DefaultRegion, "--output", "json")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "AWS_ACCESS_KEY_ID=AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY=example",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1"}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	mu.Lock()
	defer mu.Unlock()
	return code, errOut.String(), sent
}

// The AWS CLI, reading Security Hub's model, accepts the fleet's findings
// as they are and sends every one; a finding without a required field is
// refused before any request, so the check can fail.
func TestASFFAcceptedByAWSCLI(t *testing.T) {
	rep := fleetReport(t, len(sandbox.FailReasons)+2)
	var b bytes.Buffer
	require.NoError(t, WriteASFF(&b, rep))
	code, stderr, sent := importWithCLI(t, b.Bytes())
	require.Equal(t, 0, code, stderr)
	var req struct{ Findings []map[string]any }
	require.NoError(t, json.Unmarshal(sent, &req))
	require.Len(t, req.Findings, len(rep.Results)-ASFFSkipped(rep))
	require.Equal(t, "trailwatch/CloudWatch.5/100000000001", req.Findings[0]["Id"])

	findings := decodeArray(t, b.Bytes())
	delete(findings[0], "Title")
	broken, err := json.Marshal(findings)
	require.NoError(t, err)
	code, stderr, sent = importWithCLI(t, broken)
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "Title")
	require.Nil(t, sent, "nothing was sent")
}
