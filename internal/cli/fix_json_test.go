package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/sandbox"
)

// fix --output json across four fleet accounts, one of each fate: blocked
// for a person (3), applied with an email awaiting confirmation (10),
// declined at the prompt (8), failed part-way (19, PutMetricAlarm denied).
// stdout is the JSON document and nothing else; the diff went to stderr.
func TestFixOutputJSONGolden(t *testing.T) {
	accounts := []string{"100000000003", "100000000010", "100000000008", "100000000019"}
	srv := fleetProfiles(t, accounts)
	srv.SetFaults(sandbox.Faults{AccessDenied: []sandbox.DeniedOperation{{Operation: "cloudwatch:PutMetricAlarm", Account: accounts[3]}}})
	p := &answeringPrompter{approve: map[string]fix.Decision{accounts[1]: fix.Yes, accounts[3]: fix.Yes}}
	code, out, stderr := runFixAsking(t, p, "--output", "json", "--parallel", "1", "--profile", strings.Join(accounts, ","),
		"--notify", "email:security@example.com")
	require.Equal(t, exitFailed, code, "an apply failed: stdout:\n%s\nstderr:\n%s", out, stderr)
	require.Contains(t, stderr, "+ sns:CreateTopic", "the diff is drawn for the person, off stdout")
	require.Contains(t, stderr, "Summary")

	var doc struct {
		FormatVersion int `json:"format_version"`
		Accounts      []struct {
			Account  string `json:"account"`
			Decision string `json:"decision"`
			Outcome  string `json:"outcome"`
			After    *struct {
				Status string `json:"status"`
			} `json:"after"`
			Steps []struct {
				Status string `json:"status"`
			} `json:"steps"`
			Pending []fix.Pending `json:"pending_confirmations"`
		} `json:"accounts"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	require.NoError(t, dec.Decode(&doc), "stdout is one JSON document:\n%s", out)
	require.False(t, dec.More(), "nothing follows the document on stdout")
	require.Len(t, doc.Accounts, 4)
	fate := map[string]string{}
	for _, a := range doc.Accounts {
		var steps []string
		for _, s := range a.Steps {
			steps = append(steps, s.Status)
		}
		fate[a.Account] = a.Decision + " " + a.Outcome + " " + strings.Join(steps, ",")
	}
	require.Equal(t, map[string]string{
		accounts[0]: "none  ",
		accounts[1]: "approved applied applied,applied,applied",
		accounts[2]: "declined  declined,declined,declined",
		accounts[3]: "approved failed applied,applied,failed",
	}, fate)

	requireGolden(t, filepath.Join("testdata", "fix-output.json"), out)
}

// requireGolden compares got with the file at path, or rewrites it under
// -update.
func requireGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to create it", t.Name())
	require.Equal(t, string(want), got)
}

// A dry run applies nothing, so it has no result to report as JSON.
func TestFixOutputJSONRefusesDryRun(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	code, out, stderr := runFixCmd(t, "--dry-run", "--output", "json")
	require.Equal(t, exitUsage, code, out)
	require.Contains(t, stderr, "plan --output json")
	require.Empty(t, srv.Requests(), "refused before anything was read")
	code, _, stderr = runFixCmd(t, "--yes", "--output", "yaml")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `--output "yaml": want text or json`)
}

// In a script (--yes) stdout is the document alone; the diff and the
// per-account text go to stderr for the log.
func TestFixYesOutputJSONKeepsStdoutData(t *testing.T) {
	startSandbox(t, "no-alarm")
	code, out, stderr := runFixCmd(t, "--yes", "--output", "json", "--notify", testQueue)
	require.Equal(t, exitOK, code, stderr)
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	require.NoError(t, dec.Decode(&doc), out)
	require.False(t, dec.More(), "nothing follows the document on stdout:\n%s", out)
	require.Contains(t, stderr, "+ sns:CreateTopic")
	require.Contains(t, stderr, "applied 3 of 3 changes")
	require.Contains(t, stderr, "Summary")
}
