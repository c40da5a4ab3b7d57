package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/control"
)

// putMetricFilters are the metric filter requests of a plan's JSON.
func putMetricFilters(t *testing.T, planJSON string) []map[string]any {
	t.Helper()
	var doc struct {
		Accounts []struct {
			Changes []struct {
				Operation string         `json:"operation"`
				Request   map[string]any `json:"request"`
			} `json:"changes"`
		} `json:"accounts"`
	}
	require.NoError(t, json.Unmarshal([]byte(planJSON), &doc), planJSON)
	var out []map[string]any
	for _, a := range doc.Accounts {
		for _, c := range a.Changes {
			if c.Operation == "logs:PutMetricFilter" {
				out = append(out, c.Request)
			}
		}
	}
	return out
}

// metricOf is the namespace and name a PutMetricFilter request emits.
func metricOf(t *testing.T, req map[string]any) (namespace, name string) {
	t.Helper()
	ts, ok := req["metricTransformations"].([]any)
	require.True(t, ok && len(ts) == 1, "one transformation: %v", req)
	m := ts[0].(map[string]any)
	return m["metricNamespace"].(string), m["metricName"].(string)
}

// One control other than the default, without --metric-name or
// --namespace: the new filter emits that control's metric, the one its
// alarm watches, and fix then reaches PASS for it.
func TestPlanOneControlTakesItsOwnMetric(t *testing.T) {
	srv := startFixSandbox(t, "family-bare")
	root, ok := control.Lookup("root-usage")
	require.True(t, ok)
	require.NotEqual(t, control.Default().MetricName, root.MetricName)

	code, out, errOut := runSafetyCmd(t, "plan", "--control", "root-usage", "--notify", "email:security@example.com", "--output", "json")
	require.Equal(t, exitFindings, code, errOut)
	filters := putMetricFilters(t, out)
	require.Len(t, filters, 1)
	ns, name := metricOf(t, filters[0])
	require.Equal(t, root.Namespace, ns)
	require.Equal(t, root.MetricName, name, "the root-usage filter emits the root-usage metric")
	require.Equal(t, root.Pattern, filters[0]["filterPattern"])

	code, out, errOut = runFixCmd(t, "--control", "root-usage", "--yes", "--notify", "email:security@example.com")
	require.Equal(t, exitFindings, code, "the subscription waits for its confirmation\n%s\n%s", out, errOut)
	require.Len(t, srv.ConfirmPendingSubscriptions(), 1)
	code, out, errOut = runSafetyCmd(t, "check", "--control", "root-usage")
	require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
	require.Contains(t, out, "PASS")
}

// What the user sets still wins over the control's metric.
func TestPlanOneControlKeepsTheGivenMetric(t *testing.T) {
	startFixSandbox(t, "family-bare")
	code, out, errOut := runSafetyCmd(t, "plan", "--control", "CloudWatch.3", "--notify", "email:security@example.com",
		"--metric-name", "Mine", "--namespace", "Sec", "--output", "json")
	require.Equal(t, exitFindings, code, errOut)
	filters := putMetricFilters(t, out)
	require.Len(t, filters, 1, out)
	ns, name := metricOf(t, filters[0])
	require.Equal(t, []string{"Sec", "Mine"}, []string{ns, name})
}

// With several controls each emits its own metric: --metric-name cannot
// name them all and is refused before anything is read.
func TestMetricNameWithSeveralControlsIsUsageError(t *testing.T) {
	srv := startFixSandbox(t, "family-bare")
	for _, cmd := range [][]string{{"plan"}, {"fix", "--dry-run"}} {
		args := append(cmd, "--control", "root-usage,4.5", "--metric-name", "Mine")
		code, out, errOut := runSafetyCmd(t, args...)
		require.Equal(t, exitUsage, code, out+errOut)
		require.Contains(t, errOut, "trailwatch: --metric-name Mine: applies to one control, and 2 are selected")
		require.Empty(t, srv.Requests())
	}
}

// A saved plan of one control other than the default names it, and fix
// --plan checks that control before and after, without --control again.
func TestSavedPlanOfOneControlNamesIt(t *testing.T) {
	srv := startFixSandbox(t, "family-bare")
	file := filepath.Join(t.TempDir(), "plan.json")
	code, _, errOut := runSafetyCmd(t, "plan", "--control", "CloudWatch.1", "--notify", "email:security@example.com", "--out", file)
	require.Equal(t, exitFindings, code, errOut)
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var saved struct {
		Options struct {
			Controls   []string `json:"controls"`
			MetricName string   `json:"metric_name"`
		} `json:"options"`
	}
	require.NoError(t, json.Unmarshal(raw, &saved))
	require.Equal(t, []string{"root-usage"}, saved.Options.Controls)
	require.Equal(t, "RootAccountUsage", saved.Options.MetricName)

	code, out, errOut := runFixCmd(t, "--plan", file, "--yes")
	require.Equal(t, exitFindings, code, "the subscription waits for its confirmation\n%s\n%s", out, errOut)
	require.Contains(t, out, "check: FAIL NO_MATCHING_FILTER → FAIL NO_CONFIRMED_SUBSCRIBER", "root-usage re-checked, not cloudtrail-changes")
	require.Len(t, srv.ConfirmPendingSubscriptions(), 1)
	code, out, errOut = runSafetyCmd(t, "check", "--control", "root-usage")
	require.Equal(t, exitOK, code, "%s\n%s", out, errOut)

	// The default control's plan file is as it always was.
	code, _, errOut = runSafetyCmd(t, "plan", "--notify", "email:security@example.com", "--out", file)
	require.Equal(t, exitFindings, code, errOut)
	raw, err = os.ReadFile(file)
	require.NoError(t, err)
	require.NotContains(t, string(raw), `"controls"`)
}

// A saved plan names its controls: --control and --benchmark cannot change
// them, and are refused before anything is read.
func TestSavedPlanRefusesControlFlags(t *testing.T) {
	srv := startFixSandbox(t, "family-bare")
	file := filepath.Join(t.TempDir(), "plan.json")
	code, _, errOut := runSafetyCmd(t, "plan", "--control", "root-usage", "--notify", "email:security@example.com", "--out", file)
	require.Equal(t, exitFindings, code, errOut)
	for _, flag := range [][]string{{"--control", "4.4"}, {"--benchmark", "cis-5.0"}} {
		n := len(srv.Requests())
		code, out, errOut := runFixCmd(t, append([]string{"--plan", file, "--yes"}, flag...)...)
		require.Equal(t, exitUsage, code, out+errOut)
		require.Contains(t, errOut, "trailwatch: "+flag[0]+" cannot change a saved plan: it names the controls it fixes")
		require.Len(t, srv.Requests(), n)
	}
}
