package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/sandbox"
)

// startFamily serves the default account with all fifteen controls'
// chains on one trail, log group and topic.
func startFamily(t *testing.T) {
	t.Helper()
	srv := startSandbox(t, "")
	require.NoError(t, srv.LoadScenario("compliant", sandbox.ScenarioParams{Family: control.All()}))
}

func TestCheckControlAll(t *testing.T) {
	startFamily(t)
	code, out, stderr := runCheckCmd(t, "--control", "all", "--output", "json")
	require.Equal(t, exitOK, code, stderr)
	var rep check.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Len(t, rep.Controls, 15)
	require.Len(t, rep.Results, 15)
	require.Nil(t, rep.Control)
	for i, r := range rep.Results {
		require.Equal(t, rep.Controls[i].ID, r.ControlID)
		require.Equal(t, check.Pass, r.Status, "%s: %s", r.ControlID, r.Message)
	}
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &raw))
	require.NotContains(t, raw, "control", "several controls: no top-level control")
}

// --benchmark selects the standard's controls and numbers them as it does.
func TestCheckBenchmark(t *testing.T) {
	startFamily(t)
	code, out, stderr := runCheckCmd(t, "--benchmark", "cis-1.2", "--output", "json")
	require.Equal(t, exitOK, code, stderr)
	var rep check.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, "cis-1.2", rep.Benchmark)
	require.Len(t, rep.Controls, 14, "CIS v1.2 has no organizations control")
	require.Equal(t, "3.1", rep.Controls[0].Number)

	code, out, stderr = runCheckCmd(t, "--benchmark", "securityhub-cis-1.4", "--control", "CloudWatch.1,4.5")
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, out, "CloudWatch.1 root-usage  PASS")
	require.Contains(t, out, "CloudWatch.5 cloudtrail-changes  PASS")
	require.Contains(t, out, "1 account × 2 controls: 2 pass, 0 fail, 0 error, 0 manual")
}

// Unknown controls and standards are usage errors naming the nearest one,
// for check, plan and fix alike (the flags are bound once).
func TestControlSelectionErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"a typo":                     {[]string{"check", "--control", "cloudtrail-chagnes"}, `did you mean "cloudtrail-changes"?`},
		"a Security Hub typo":        {[]string{"check", "--control", "CloudWatch.51"}, `unknown control "CloudWatch.51"`},
		"an empty list":              {[]string{"check", "--control", ","}, "--control: want a control"},
		"an unknown benchmark":       {[]string{"check", "--benchmark", "cis-1.22"}, `did you mean "cis-1.2"?`},
		"a standard with none":       {[]string{"check", "--benchmark", "securityhub-cis-5.0"}, "carries none of the monitoring controls"},
		"a control not in the std":   {[]string{"check", "--benchmark", "securityhub-cis-1.4", "--control", "CloudWatch.2"}, "not in Security Hub (CIS v1.4.0 standard)"},
		"plan takes the same flag":   {[]string{"plan", "--control", "root-usgae"}, `did you mean "root-usage"?`},
		"fix takes the same flag":    {[]string{"fix", "--control", "4.99"}, `unknown control "4.99"`},
		"plan takes --benchmark too": {[]string{"plan", "--benchmark", "nist"}, `unknown benchmark "nist"`},
	} {
		t.Run(name, func(t *testing.T) {
			e, out, errOut := testEnv()
			code := runApp(t.Context(), e, append([]string{"trailwatch"}, tc.args...))
			require.Equal(t, exitUsage, code, errOut.String())
			require.Contains(t, errOut.String(), tc.want)
			require.Empty(t, strings.TrimSpace(out.String()))
		})
	}
}

// Every format writes a run of all fifteen controls: a CSV row, a JUnit
// case and a finding per control, and the HTML matrix.
func TestCheckControlAllEveryFormat(t *testing.T) {
	startFamily(t)
	dir := t.TempDir()
	files := map[string]string{}
	args := []string{"--control", "all"}
	for _, f := range []string{"csv", "junit", "ocsf", "asff"} {
		files[f] = filepath.Join(dir, "report."+f)
		args = append(args, "--output-file", f+"="+files[f])
	}
	files["html"] = filepath.Join(dir, "report.html")
	args = append(args, "--report", files["html"])
	code, _, stderr := runCheckCmd(t, args...)
	require.Equal(t, exitOK, code, stderr)
	read := func(f string) string {
		b, err := os.ReadFile(files[f])
		require.NoError(t, err)
		return string(b)
	}
	require.Equal(t, 1+15, strings.Count(read("csv"), "\r\n"))
	require.Equal(t, 15, strings.Count(read("junit"), "<testcase "))
	require.Equal(t, 15, strings.Count(read("junit"), "<testsuite "))
	for _, f := range []string{"ocsf", "asff"} {
		var findings []map[string]any
		require.NoError(t, json.Unmarshal([]byte(read(f)), &findings), f)
		require.Len(t, findings, 15, f)
	}
	require.Contains(t, read("asff"), `"trailwatch/Control": "CloudWatch.14"`)
	require.Contains(t, read("asff"), `"trailwatch/Control": "organizations-changes"`)
	require.Contains(t, read("html"), "Accounts × controls")
}
