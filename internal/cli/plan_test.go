package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

// runPlanCmd runs `trailwatch plan` against an in-process sandbox loaded with
// scenario, through the SDK's standard chain pointed at it.
func runPlanCmd(t *testing.T, scenario string, args ...string) (code int, stdout, stderr string, counts map[string]int) {
	t.Helper()
	return runPlanCmdAs(t, sandbox.DefaultAccessKey, scenario, args...)
}

// runPlanCmdAs is runPlanCmd with the credentials of another sandbox account.
func runPlanCmdAs(t *testing.T, accessKey, scenario string, args ...string) (code int, stdout, stderr string, counts map[string]int) {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{Scenario: scenario})
	require.NoError(t, err)
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { running.Close() })
	dir := t.TempDir()
	t.Setenv("AWS_ENDPOINT_URL", running.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", accessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "sandbox")
	t.Setenv("AWS_REGION", sandbox.DefaultRegion)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	e, out, errOut := testEnv()
	e.getenv = func(string) string { return "" }
	code = runApp(context.Background(), e, append([]string{"trailwatch", "plan"}, args...))
	return code, out.String(), errOut.String(), srv.Counts()
}

// writeOps are the operations plan must never call, whatever the scenario.
func requireOnlyReads(t *testing.T, counts map[string]int) {
	t.Helper()
	for op := range counts {
		action := op[strings.Index(op, ":")+1:]
		require.Truef(t, strings.HasPrefix(action, "Describe") || strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List"),
			"plan called %s", op)
	}
}

func TestPlanCommandCompliantAccountPlansNothing(t *testing.T) {
	code, out, stderr, counts := runPlanCmd(t, "compliant", "--notify", "email:security@example.com")
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, out, "compliant, no changes")
	require.Contains(t, out, "No changes.")
	requireOnlyReads(t, counts)
}

func TestPlanCommandPlansMissingLinksOnly(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plan.json")
	code, out, stderr, counts := runPlanCmd(t, "NO_ALARM", "--notify", "email:security@example.com", "--out", file, "--output", "json")
	require.Equal(t, exitFindings, code, stderr)
	requireOnlyReads(t, counts)

	var printed plan.Plan
	require.NoError(t, json.Unmarshal([]byte(out), &printed))
	saved, err := plan.Read(file)
	require.NoError(t, err)
	require.Equal(t, printed.Accounts, saved.Accounts, "--out and --output json carry the same plan")
	require.Len(t, saved.Accounts, 1)
	var ops []string
	for _, c := range saved.Accounts[0].Changes {
		ops = append(ops, c.Operation)
	}
	require.Equal(t, []string{"sns:CreateTopic", "sns:Subscribe", "cloudwatch:PutMetricAlarm"}, ops,
		"the filter that already covers the events is reused")
	require.NotEmpty(t, saved.Accounts[0].Fingerprints)
}

func TestPlanCommandRejectsBadInputBeforeReading(t *testing.T) {
	for name, args := range map[string][]string{
		"http endpoint for https": {"--notify", "https:http://hooks.example.com"},
		"sms not E.164":           {"--notify", "sms:4155550100"},
		"queue URL for sqs":       {"--notify", "sqs:https://sqs.us-east-1.amazonaws.com/123456789012/q"},
		"retention not allowed":   {"--wire-logs", "--retention-days", "10"},
		"retention without wire":  {"--retention-days", "30"},
		"topic ARN of a queue":    {"--topic-arn", "arn:aws:sqs:us-east-1:123456789012:q"},
		"unknown output":          {"--output", "yaml"},
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "plan.json")
			code, out, stderr, counts := runPlanCmd(t, "NO_ALARM", append(args, "--out", file)...)
			require.Equal(t, exitUsage, code)
			require.Empty(t, out)
			require.Contains(t, stderr, "trailwatch: ")
			require.Empty(t, counts, "nothing is read for bad input")
			_, err := os.Stat(file)
			require.True(t, os.IsNotExist(err), "nothing is planned")
		})
	}
}

// A trail without logs: the log group the plan creates does not exist yet,
// which must read as "no filter there", not as a failure.
func TestPlanCommandWiresLogs(t *testing.T) {
	code, out, stderr, counts := runPlanCmd(t, "NO_CLOUDWATCH_LOGS", "--notify", "email:security@example.com", "--wire-logs", "--retention-days", "90")
	require.Equal(t, exitFindings, code, stderr)
	requireOnlyReads(t, counts)
	require.Contains(t, out, "~ cloudtrail:UpdateTrail")
	// The scenario's alarm on the metric the new filter emits works: no topic or alarm.
	require.Contains(t, out, "Plan: 5 to create, 1 to update in 1 account.")
}

// Every FAIL scenario of the sandbox, planned through the SDK: the changes
// each needs, and only reads sent.
func TestPlanCommandEveryFailScenario(t *testing.T) {
	want := map[string]string{
		"NO_MULTI_REGION_TRAIL":          "",
		"TRAIL_NOT_LOGGING":              "",
		"MANAGEMENT_EVENTS_NOT_CAPTURED": "",
		// The alarm on the metric the new filter emits already works.
		"NO_CLOUDWATCH_LOGS":    "logs:CreateLogGroup iam:CreateRole iam:PutRolePolicy cloudtrail:UpdateTrail logs:PutMetricFilter",
		"LOGS_DELIVERY_FAILING": "",
		// The scenario's alarm, topic and subscriber work: only the filter.
		"NO_MATCHING_FILTER": "logs:PutMetricFilter",
		"NO_ALARM":           "sns:CreateTopic sns:Subscribe cloudwatch:PutMetricAlarm",
		// Its topic has a confirmed subscriber: an alarm beside it notifies that topic.
		"ALARM_CANNOT_FIRE":       "cloudwatch:PutMetricAlarm",
		"NO_ALARM_TOPIC":          "sns:CreateTopic sns:Subscribe cloudwatch:PutMetricAlarm",
		"NO_CONFIRMED_SUBSCRIBER": "sns:Subscribe",
	}
	for _, reason := range sandbox.FailReasons {
		t.Run(reason, func(t *testing.T) {
			code, out, stderr, counts := runPlanCmd(t, reason, "--notify", "email:security@example.com", "--wire-logs", "--output", "json")
			require.Equal(t, exitFindings, code, stderr)
			requireOnlyReads(t, counts)
			var p plan.Plan
			require.NoError(t, json.Unmarshal([]byte(out), &p))
			require.Len(t, p.Accounts, 1)
			a := p.Accounts[0]
			require.Equal(t, reason, string(a.Reason))
			var ops []string
			for _, c := range a.Changes {
				ops = append(ops, c.Operation)
			}
			require.Equal(t, want[reason], strings.Join(ops, " "), a.Blocked)
			require.Equal(t, want[reason] == "", a.Blocked != "")
		})
	}
}

// A member account sees the organization trail but cannot change it: nothing
// is planned, the explanation says where to go, and the exit is 3.
func TestPlanCommandOrganizationMember(t *testing.T) {
	code, out, stderr, counts := runPlanCmdAs(t, sandbox.AccessKeyFor(sandbox.MemberAccount), "organization", "--notify", "email:security@example.com")
	require.Equal(t, exitFailed, code, stderr)
	requireOnlyReads(t, counts)
	require.Contains(t, out, "Account "+sandbox.MemberAccount+": no changes planned")
	require.Contains(t, out, "managed from another account")
	require.Contains(t, out, "No changes planned. 1 account needs a person: see above.\n", "the last line says what is true, not that all is well")
}
