package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/sandbox"
)

// A saved plan is applied only when every field says what its request
// sends: a file edited so that the diff would show one thing and the
// account get another is refused whole, with the field named, before
// anything is read or written.
func TestFixRefusesTamperedPlans(t *testing.T) {
	const notify = "email:a@example.com"
	for _, tc := range []struct {
		name, op, field string
		edit            func(c map[string]any)
	}{
		{"subscribe endpoint edited", "sns:Subscribe", "after.Endpoint", func(c map[string]any) {
			c["request"].(map[string]any)["Endpoint"] = "attacker@example.net"
		}},
		{"subscribe endpoint edited with its after", "sns:Subscribe", "field target", func(c map[string]any) {
			c["request"].(map[string]any)["Endpoint"] = "attacker@example.net"
			c["after"].(map[string]any)["Endpoint"] = "attacker@example.net"
		}},
		{"subscribe endpoint in another case", "sns:Subscribe", "after.Endpoint", func(c map[string]any) {
			// JSON members match the SDK's fields case-insensitively and
			// the last one wins: what is shown must be that one.
			c["request"].(map[string]any)["endpoint"] = "attacker@example.net"
		}},
		{"alarm threshold edited", "cloudwatch:PutMetricAlarm", "after.Threshold", func(c map[string]any) {
			c["request"].(map[string]any)["Threshold"] = 1000000
		}},
		{"alarm actions disabled", "cloudwatch:PutMetricAlarm", "after.ActionsEnabled", func(c map[string]any) {
			c["request"].(map[string]any)["ActionsEnabled"] = false
		}},
		{"alarm gains a member the diff lacks", "cloudwatch:PutMetricAlarm", "after.OKActions", func(c map[string]any) {
			c["request"].(map[string]any)["OKActions"] = []string{"arn:aws:sns:us-east-1:111111111111:elsewhere"}
		}},
		{"after edited alone", "cloudwatch:PutMetricAlarm", "after.Threshold", func(c map[string]any) {
			c["after"].(map[string]any)["Threshold"] = 5
		}},
		{"target edited alone", "cloudwatch:PutMetricAlarm", "field target", func(c map[string]any) {
			c["target"] = "soc-alarm"
		}},
		{"before on a create", "cloudwatch:PutMetricAlarm", "field before", func(c map[string]any) {
			c["before"] = map[string]any{"Threshold": 1}
		}},
		{"unknown action", "sns:CreateTopic", "field action", func(c map[string]any) {
			c["action"] = "delete"
		}},
		{"dependency on a later change", "sns:CreateTopic", "field depends_on", func(c map[string]any) {
			c["depends_on"] = []string{"alarm"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, file := savedPlan(t, "no-alarm", "--notify", notify)
			editPlan(t, file, tc.op, tc.edit)

			before, n := safetyResources(t, srv), len(srv.Requests())
			journal := filepath.Join(t.TempDir(), "journal.jsonl")
			code, out, stderr := runFixSafety(t, journal, "--yes", "--plan", file)
			require.Equal(t, exitUsage, code, out+stderr)
			require.Contains(t, stderr, tc.field)
			require.Contains(t, stderr, "refusing")
			require.Empty(t, out, "nothing is shown as if it would be applied")
			require.Len(t, srv.Requests(), n, "nothing is read or written")
			require.Equal(t, before, safetyResources(t, srv))
			require.Empty(t, safetyJournal(t, journal))

			// --dry-run refuses the same file the same way.
			code, _, stderr = runSafetyCmd(t, "fix", "--dry-run", "--plan", file)
			require.Equal(t, exitUsage, code)
			require.Contains(t, stderr, tc.field)
			require.Len(t, srv.Requests(), n)
		})
	}
}

// The diff of a saved plan is drawn from its requests: what fix shows
// before applying is what the sandbox then receives.
func TestFixShowsTheRequestItSends(t *testing.T) {
	srv, file := savedPlan(t, "no-alarm", "--notify", "email:a@example.com")
	// An edit made consistently, request, after and target alike, is no
	// longer hidden: the diff shows the new endpoint and that is sent.
	const other = "oncall@example.org"
	editPlan(t, file, "sns:Subscribe", func(c map[string]any) {
		c["request"].(map[string]any)["Endpoint"] = other
		c["after"].(map[string]any)["Endpoint"] = other
		c["target"] = c["request"].(map[string]any)["TopicArn"].(string) + " ← email:" + other
	})
	n := len(srv.Requests())
	code, out, stderr := runFixSafety(t, filepath.Join(t.TempDir(), "journal.jsonl"), "--yes", "--plan", file)
	require.Equal(t, exitFindings, code, out+stderr)
	require.Contains(t, out, `Endpoint              = "`+other+`"`)
	require.NotContains(t, out, "a@example.com")
	var sent []string
	for _, r := range srv.Requests()[n:] {
		if r.Action == "Subscribe" {
			sent = append(sent, r.Action)
		}
	}
	require.Len(t, sent, 1)
	subs := safetySection(safetyRegionOf(safetyDump(t, srv)), "subscriptions")
	found := false
	for _, s := range subs {
		if s.(map[string]any)["endpoint"] == other {
			found = true
		}
	}
	require.True(t, found, "the endpoint shown is the endpoint subscribed: %v", subs)
}

// savedPlan starts the sandbox with scenario and saves `plan ARGS… --out`,
// which must plan changes.
func savedPlan(t *testing.T, scenario string, args ...string) (*sandbox.Server, string) {
	t.Helper()
	srv := startSandbox(t, scenario)
	file := filepath.Join(t.TempDir(), "plan.json")
	code, out, stderr := runSafetyCmd(t, append(append([]string{"plan"}, args...), "--out", file)...)
	require.Equal(t, exitFindings, code, out+stderr)
	return srv, file
}

// documentUserAlarm gives the user's alarm of the no-alarm-topic scenario a
// description, as someone might between plan and fix: what it was planned
// from is then stale.
func documentUserAlarm(t *testing.T) {
	t.Helper()
	cw := cloudwatch.NewFromConfig(safetySDKConfig(t))
	got, err := cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cloudtrail-config-changes"}})
	require.NoError(t, err)
	require.Len(t, got.MetricAlarms, 1)
	a := got.MetricAlarms[0]
	_, err = cw.PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{AlarmName: a.AlarmName, AlarmDescription: aws.String("documented since"),
		ActionsEnabled: a.ActionsEnabled, Namespace: a.Namespace, MetricName: a.MetricName, Statistic: a.Statistic, Period: a.Period,
		EvaluationPeriods: a.EvaluationPeriods, Threshold: a.Threshold, ComparisonOperator: a.ComparisonOperator, TreatMissingData: a.TreatMissingData})
	require.NoError(t, err)
}

// editPlan rewrites the first change of operation op in a saved plan.
func editPlan(t *testing.T, file, op string, edit func(map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var p map[string]any
	require.NoError(t, json.Unmarshal(raw, &p))
	for _, c := range safetyDig(p, "accounts").([]any)[0].(map[string]any)["changes"].([]any) {
		if c := c.(map[string]any); c["operation"] == op {
			edit(c)
			raw, err = json.Marshal(p)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(file, raw, 0o600))
			return
		}
	}
	t.Fatalf("no %s change in %s", op, file)
}

// An update's before is what the account holds: a file that shows other
// old values is refused, while one whose resource really changed since
// planning is reported stale, as any other.
func TestFixRefusesAnEditedBefore(t *testing.T) {
	savePlan := func(t *testing.T) (*sandbox.Server, string) {
		return savedPlan(t, "no-alarm-topic", "--notify", safetySQS)
	}
	t.Run("untouched", func(t *testing.T) {
		_, file := savePlan(t)
		code, out, stderr := runSafetyCmd(t, "fix", "--dry-run", "--plan", file)
		require.Equal(t, exitFindings, code, out+stderr)
		require.Contains(t, out, "AlarmActions")
		require.Contains(t, out, " → [")
	})
	for _, tc := range []struct {
		name, field string
		edit        func(before map[string]any)
	}{
		{"old actions invented", "before.AlarmActions", func(b map[string]any) { b["AlarmActions"] = []string{"arn:aws:sns:us-east-1:111111111111:decoy"} }},
		{"an unchanged member shown as changing", "before.Threshold", func(b map[string]any) { b["Threshold"] = 99 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, file := savePlan(t)
			editPlan(t, file, "cloudwatch:PutMetricAlarm", func(c map[string]any) { tc.edit(c["before"].(map[string]any)) })
			n, resources := len(srv.Requests()), safetyResources(t, srv)
			for _, args := range [][]string{{"--dry-run"}, {"--yes", "--journal", filepath.Join(t.TempDir(), "j.jsonl")}} {
				code, out, stderr := runSafetyCmd(t, append([]string{"fix", "--plan", file}, args...)...)
				require.Equal(t, exitUsage, code, out+stderr)
				require.Contains(t, stderr, "field "+tc.field+" is ")
				require.Contains(t, stderr, "cloudwatch:Alarm cloudtrail-config-changes has")
				require.Empty(t, out)
			}
			require.Empty(t, safetyWritesSince(srv, n), "nothing written")
			require.Equal(t, resources, safetyResources(t, srv))
		})
	}
	t.Run("edited, but the alarm changed since planning", func(t *testing.T) {
		srv, file := savePlan(t)
		editPlan(t, file, "cloudwatch:PutMetricAlarm", func(c map[string]any) { c["before"].(map[string]any)["Threshold"] = 99 })
		documentUserAlarm(t)
		n := len(srv.Requests())
		code, out, stderr := runSafetyCmd(t, "fix", "--dry-run", "--plan", file)
		require.Equal(t, exitFailed, code, "stale wins: %s%s", out, stderr)
		require.Contains(t, out, "  account 111111111111: cloudwatch:Alarm in us-east-1 was changed:\n    cloudtrail-config-changes\n")
		require.Empty(t, safetyWritesSince(srv, n))
	})
}
