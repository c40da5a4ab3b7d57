package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/sandbox"
)

// startSandbox serves scenario in-process and points the SDK's standard
// chain at it through the environment (never real AWS, never IMDS).
func startSandbox(t *testing.T, scenario string) *sandbox.Server {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{Scenario: scenario})
	require.NoError(t, err)
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { running.Close() })
	dir := t.TempDir()
	t.Setenv("AWS_ENDPOINT_URL", running.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", sandbox.DefaultAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "sandbox")
	t.Setenv("AWS_REGION", sandbox.DefaultRegion)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return srv
}

func runCheckCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	e, out, errOut := testEnv()
	code = runApp(context.Background(), e, append([]string{"trailwatch", "check"}, args...))
	return code, out.String(), errOut.String()
}

func checkJSON(t *testing.T, args ...string) (int, check.Report) {
	t.Helper()
	code, out, stderr := runCheckCmd(t, append([]string{"--output", "json"}, args...)...)
	var rep check.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "stdout: %s\nstderr: %s", out, stderr)
	return code, rep
}

func TestCheckCommandUsageErrors(t *testing.T) {
	startSandbox(t, "compliant")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad output format", []string{"--output", "yaml"}, "--output"},
		{"profile and all-profiles", []string{"--profile", "a", "--all-profiles"}, "choose one"},
		{"empty profile", []string{"--profile", ","}, "--profile"},
		{"parallel zero", []string{"--parallel", "0"}, "--parallel"},
		{"positional argument", []string{"prod"}, "no arguments"},
		{"unknown flag", []string{"--bogus"}, "bogus"},
		{"all-profiles with no profiles", []string{"--all-profiles"}, "no profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCheckCmd(t, tc.args...)
			require.Equal(t, exitUsage, code, stderr)
			require.Contains(t, stderr, tc.want)
			require.Empty(t, out, "usage errors print no report")
		})
	}
}

// The JSON report has the docs/check-json.md shape: reason omitted on PASS.
func TestCheckCommandJSONShape(t *testing.T) {
	startSandbox(t, "compliant")
	code, out, stderr := runCheckCmd(t, "--output", "json")
	require.Equal(t, exitOK, code, stderr)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &raw))
	require.ElementsMatch(t, []string{"schema_version", "tool", "checked_at", "control", "controls", "results", "summary"}, keys(raw))
	require.Equal(t, check.SchemaVersion, raw["schema_version"])
	require.Equal(t, map[string]any{"name": "trailwatch", "version": version}, raw["tool"])
	// The control's identifiers, spelled out as consumers join on them: CIS
	// 3.5 in v1.2, 4.5 in v1.3 to v5.0, 5.5 from v6.0; Security Hub CloudWatch.5.
	require.Equal(t, map[string]any{"title": "Ensure CloudTrail configuration changes are monitored", "security_hub": "CloudWatch.5",
		"cis": []any{
			map[string]any{"id": "3.5", "from": "1.2.0", "to": "1.2.0"},
			map[string]any{"id": "4.5", "from": "1.3.0", "to": "5.0.0"},
			map[string]any{"id": "5.5", "from": "6.0.0"},
		}}, raw["control"])
	checkedAt := raw["checked_at"].(string)
	_, err := time.Parse(time.RFC3339Nano, checkedAt)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(checkedAt, "Z"), "the time of the check, in UTC: %s", checkedAt)
	res := raw["results"].([]any)[0].(map[string]any)
	for _, k := range []string{"account", "profile", "profiles", "region", "status", "message", "trails", "remediation"} {
		require.Contains(t, res, k)
	}
	require.NotContains(t, res, "reason")
	require.Equal(t, "PASS", res["status"])
	require.Equal(t, sandbox.DefaultAccount, res["account"])
	require.Equal(t, map[string]any{"accounts": 1.0, "pass": 1.0, "fail": 0.0, "error": 0.0, "manual": 0.0}, raw["summary"])
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// Every FAIL reason's sandbox scenario, through the real SDK and wire
// protocols, is reported with that reason and exit 1.
func TestCheckCommandAgainstSandboxScenarios(t *testing.T) {
	for _, reason := range sandbox.FailReasons {
		t.Run(reason, func(t *testing.T) {
			startSandbox(t, reason)
			code, rep := checkJSON(t)
			require.Len(t, rep.Results, 1)
			r := rep.Results[0]
			require.Equal(t, check.Fail, r.Status, r.Message)
			require.Equal(t, check.Reason(reason), r.Reason, r.Message)
			require.Equal(t, exitFindings, code)
		})
	}
}

// The budget through the real SDK: a compliant account costs 7 requests,
// all reads.
func TestCheckCommandBudgetAgainstSandbox(t *testing.T) {
	srv := startSandbox(t, "compliant")
	code, rep := checkJSON(t)
	require.Equal(t, exitOK, code, rep.Results[0].Message)
	total := 0
	for op, n := range srv.Counts() {
		action := op[strings.Index(op, ":")+1:]
		require.Truef(t, strings.HasPrefix(action, "Describe") || strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List"), "check called %s", op)
		total += n
	}
	require.LessOrEqual(t, total, 8, srv.Counts()) // 7 links, plus the topic's attributes
}

func TestCheckCommandOrganizationTrailFromMemberIsManual(t *testing.T) {
	startSandbox(t, "organization")
	t.Setenv("AWS_ACCESS_KEY_ID", sandbox.AccessKeyFor(sandbox.MemberAccount))
	code, rep := checkJSON(t)
	require.Equal(t, exitFailed, code)
	r := rep.Results[0]
	require.Equal(t, check.Manual, r.Status, r.Message)
	require.Equal(t, sandbox.DefaultAccount, r.OtherAccount)
}

func TestCheckCommandAccessDeniedIsError(t *testing.T) {
	srv := startSandbox(t, "compliant")
	srv.SetFaults(sandbox.Faults{AccessDenied: []sandbox.DeniedOperation{{Operation: "DescribeMetricFilters"}}})
	code, out, stderr := runCheckCmd(t)
	require.Equal(t, exitFailed, code, stderr)
	require.Contains(t, out, "ERROR")
	require.Contains(t, out, "missing permission logs:DescribeMetricFilters")
}

// Profiles from the shared files: two for one account are one result
// naming both; a profile that cannot load is an ERROR and the rest complete.
func TestCheckCommandProfiles(t *testing.T) {
	startSandbox(t, "compliant")
	cfg := "[profile a]\nregion = us-east-1\n[profile b]\nregion = us-east-1\n[profile broken]\nregion = us-east-1\n[profile unloadable]\nsource_profile = nowhere\nrole_arn = arn:aws:iam::111111111111:role/x\n"
	require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(cfg), 0o600))
	creds := "[a]\naws_access_key_id = " + sandbox.DefaultAccessKey + "\naws_secret_access_key = s\n[b]\naws_access_key_id = " + sandbox.DefaultAccessKey + "\naws_secret_access_key = s\n[broken]\naws_access_key_id = AKIAUNKNOWNKEY000000\naws_secret_access_key = s\n"
	require.NoError(t, os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(creds), 0o600))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")

	code, rep := checkJSON(t, "--all-profiles")
	require.Equal(t, exitFailed, code)
	require.Len(t, rep.Results, 3)
	require.Equal(t, []string{"a", "b"}, rep.Results[0].Profiles)
	require.Equal(t, check.Pass, rep.Results[0].Status)
	require.Equal(t, []string{"broken"}, rep.Results[1].Profiles)
	require.Equal(t, check.Error, rep.Results[1].Status)
	require.Equal(t, []string{"unloadable"}, rep.Results[2].Profiles)
	require.Equal(t, check.Error, rep.Results[2].Status)
	require.Contains(t, rep.Results[2].Message, "unloadable")

	code, rep = checkJSON(t, "--profile", "a,b", "--profile", "a")
	require.Equal(t, exitOK, code)
	require.Len(t, rep.Results, 1)
	require.Equal(t, []string{"a", "b"}, rep.Results[0].Profiles, "a profile named twice is checked once")
}

// Progress goes to stderr, and only at a terminal with several accounts;
// stdout stays the report alone.
func TestCheckCommandProgressAtTerminal(t *testing.T) {
	srv := startSandbox(t, "fleet")
	var creds strings.Builder
	for _, c := range srv.Credentials() {
		creds.WriteString("[" + c.Account + "]\naws_access_key_id = " + c.AccessKey + "\naws_secret_access_key = s\n")
	}
	require.NoError(t, os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(creds.String()), 0o600))
	for _, terminal := range []bool{true, false} {
		e, out, errOut := testEnv()
		e.isTerminal = func(f any) bool { return terminal && f == any(errOut) }
		code := runApp(context.Background(), e, []string{"trailwatch", "check", "--all-profiles", "--output", "json"})
		require.Equal(t, exitFindings, code, errOut.String())
		var rep check.Report
		require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
		require.Equal(t, 3, rep.Summary.Accounts)
		if terminal {
			// One line redrawn in place, cleared before the report.
			require.Contains(t, errOut.String(), "\r\033[Kcheck: 3/3 accounts, 1 pass, 2 fail, 0 error")
			require.True(t, strings.HasSuffix(errOut.String(), "\r\033[K"))
			require.NotContains(t, errOut.String(), "\n")
		} else {
			require.Empty(t, errOut.String(), "a short run in a log says nothing")
		}
	}
}
