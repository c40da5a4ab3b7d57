package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/sandbox"
)

// planMetrics runs plan --output json and returns, per write operation,
// the metric names its requests name (a filter's transformation, an
// alarm's metric).
func planMetrics(t *testing.T, args ...string) map[string][]string {
	t.Helper()
	e, out, errOut := testEnv()
	code := runApp(context.Background(), e, append([]string{"trailwatch", "plan", "--output", "json"}, args...))
	require.Equal(t, exitFindings, code, errOut.String())
	var p struct {
		Accounts []struct {
			Changes []struct {
				Operation string          `json:"operation"`
				Request   json.RawMessage `json:"request"`
			} `json:"changes"`
		} `json:"accounts"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &p), out.String())
	got := map[string][]string{}
	for _, a := range p.Accounts {
		for _, c := range a.Changes {
			var req struct {
				MetricName            string
				MetricTransformations []struct{ MetricName string }
			}
			require.NoError(t, json.Unmarshal(c.Request, &req))
			if req.MetricName != "" {
				got[c.Operation] = append(got[c.Operation], req.MetricName)
			}
			for _, m := range req.MetricTransformations {
				got[c.Operation] = append(got[c.Operation], m.MetricName)
			}
		}
	}
	return got
}

// On an account whose CloudTrail-changes chain works, every other control
// gets its own filter and alarm on its own metric: that chain's filter
// catches none of their events, so its working alarm is not theirs to
// reuse (reused, fourteen filters would count into CloudTrailConfigChanges
// and every root sign-in would read as a CloudTrail change).
func TestPlanOfTheFamilyReusesNoOtherControlsAlarm(t *testing.T) {
	startSandbox(t, "compliant")
	var want []string
	for _, c := range control.All() {
		if c.ID != control.Default().ID {
			want = append(want, c.MetricName)
		}
	}
	got := planMetrics(t, "--control", "all", "--notify", "email:security@example.com")
	require.ElementsMatch(t, want, got["logs:PutMetricFilter"])
	require.ElementsMatch(t, want, got["cloudwatch:PutMetricAlarm"])
}

// A control chosen alone gets its own metric, as it does among several:
// the flags' default metric is the CloudTrail-changes control's, and a
// root-usage filter counting into it would fire that control's alarm on
// every root sign-in (and the candidate alarm check follows would be that
// alarm, so plan would add only the filter). --metric-name still wins.
func TestPlanOfOneControlUsesItsOwnMetric(t *testing.T) {
	startSandbox(t, "compliant")
	got := planMetrics(t, "--control", "CloudWatch.1", "--notify", "email:security@example.com")
	require.Equal(t, []string{"RootAccountUsage"}, got["logs:PutMetricFilter"])
	require.Equal(t, []string{"RootAccountUsage"}, got["cloudwatch:PutMetricAlarm"])

	got = planMetrics(t, "--control", "root-usage", "--metric-name", "RootLogins", "--notify", "email:security@example.com")
	require.Equal(t, []string{"RootLogins"}, got["logs:PutMetricFilter"])
	require.Equal(t, []string{"RootLogins"}, got["cloudwatch:PutMetricAlarm"])
}

// A saved plan of one control other than the default names it, and fix
// --plan checks that control before and after applying, not the default:
// the root-usage alarm's new subscription is pending, so root-usage still
// FAILs (the CloudTrail-changes control, which passes, said PASS → PASS).
func TestFixOfASavedPlanChecksItsControl(t *testing.T) {
	startFixSandbox(t, "compliant")
	file := filepath.Join(t.TempDir(), "plan.json")
	e, _, errOut := testEnv()
	code := runApp(context.Background(), e, []string{"trailwatch", "plan", "--control", "root-usage", "--notify", "email:security@example.com", "--out", file})
	require.Equal(t, exitFindings, code, errOut.String())
	var saved struct {
		Options struct{ Controls []string } `json:"options"`
	}
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &saved))
	require.Equal(t, []string{"root-usage"}, saved.Options.Controls)

	code, out, errFix := runFixCmd(t, "--plan", file, "--yes")
	require.Equal(t, exitFindings, code, out+errFix)
	require.Contains(t, out, "check: FAIL NO_MATCHING_FILTER → FAIL NO_CONFIRMED_SUBSCRIBER")
}

// An account STS would not name is one account however many controls are
// decided: plan lists it once and counts it once, as it does for one.
func TestPlanOfControlsCountsAnUnknownAccountOnce(t *testing.T) {
	startSandbox(t, "compliant")
	require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile stale]\nregion = "+sandbox.DefaultRegion+
		"\naws_access_key_id = AKIANOBODYKNOWSTHIS1\naws_secret_access_key = x\n"), 0o600))
	code, out, stderr := runSafetyCmd(t, "plan", "--profile", "stale", "--control", "CloudWatch.1,CloudWatch.5,CloudWatch.4")
	require.Equal(t, exitFailed, code, out+stderr)
	require.Equal(t, 1, strings.Count(out, "Account unknown (profile stale): no changes planned\n"), out)
	require.Contains(t, out, "1 account could not be evaluated")
}

// fix of every control on an account whose CloudTrail-changes chain works:
// one filter and one alarm for each other control, notifying the topic
// that chain's alarm already notifies (no new topic), then nothing to do.
func TestFixOfTheFamilyBesideAWorkingChain(t *testing.T) {
	srv := startFixSandbox(t, "compliant")
	others := len(control.All()) - 1
	code, out, errOut := runFamily(t, "fix", "--yes")
	require.Equal(t, exitOK, code, out+errOut)
	require.Equal(t, map[string]int{"logs:PutMetricFilter": others, "cloudwatch:PutMetricAlarm": others}, fixWriteCounts(srv, 0))
	code, out, errOut = runFamily(t, "plan")
	require.Equal(t, exitOK, code, out+errOut)
	require.Contains(t, out, "No changes. Nothing to create or update.")
}
