package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/sandbox"
)

// runFamily runs trailwatch with plan and fix working on every control (as
// the family demo runs them), with no terminal.
func runFamily(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if args[0] == "fix" {
		args = append(args, "--journal", filepath.Join(t.TempDir(), "journal.jsonl"))
	}
	if args[0] == "plan" || args[0] == "fix" {
		args = append([]string{args[0], "--control", "all"}, args[1:]...)
	}
	e, out, errOut := testEnv()
	code = runApp(context.Background(), e, append([]string{"trailwatch"}, args...))
	return code, out.String(), errOut.String()
}

// fixWriteCounts counts the write requests logged after the first n.
func fixWriteCounts(srv *sandbox.Server, n int) map[string]int {
	out := map[string]int{}
	for _, w := range fixWritesSince(srv, n) {
		out[w]++
	}
	return out
}

// From a bare trail, fix of every control reaches fifteen PASS with exactly
// one new topic, fifteen filters and fifteen alarms; plan and --dry-run
// write nothing before, and plan finds nothing to do after.
func TestFixTheFamilyCommandFromABareTrail(t *testing.T) {
	srv := startFixSandbox(t, "family-bare")
	n := len(control.All())

	code, out, errOut := runFamily(t, "plan", "--notify", "email:security@example.com")
	require.Equal(t, exitFindings, code, errOut)
	require.Contains(t, out, "15 controls: 15 to fix, 0 compliant, 0 left as they are")
	require.Contains(t, out, "── shared by all 15 controls")
	require.Contains(t, out, "── root-usage (CloudWatch.1)")
	require.Contains(t, out, "Plan: 32 to create, 0 to update in 1 account.")
	code, _, errOut = runFamily(t, "fix", "--dry-run", "--notify", "email:security@example.com")
	require.Equal(t, exitFindings, code, errOut)
	require.Empty(t, fixWritesSince(srv, 0), "plan and --dry-run never write")

	// Without anyone to notify, a new topic cannot be planned.
	code, out, _ = runFamily(t, "plan")
	require.Equal(t, exitFindings, code)
	require.Contains(t, out, "--notify")

	mark := len(srv.Requests())
	code, out, errOut = runFamily(t, "fix", "--yes", "--notify", "email:security@example.com")
	require.Equal(t, exitFindings, code, "the subscription waits for its confirmation\n%s\n%s", out, errOut)
	require.Equal(t, map[string]int{"sns:CreateTopic": 1, "sns:Subscribe": 1, "logs:PutMetricFilter": n, "cloudwatch:PutMetricAlarm": n},
		fixWriteCounts(srv, mark))
	require.Contains(t, out, "check root-usage:")
	require.Contains(t, out, "CONTROL")
	require.Len(t, srv.ConfirmPendingSubscriptions(), 1)

	mark = len(srv.Requests())
	code, out, errOut = runFamily(t, "plan")
	require.Equal(t, exitOK, code, "every control passes: %s%s", out, errOut)
	require.Contains(t, out, "No changes. Nothing to create or update.")
	require.Empty(t, fixWritesSince(srv, mark))
}

// An account with the whole family but one alarm gets exactly that alarm,
// on the existing topic, without --notify; the JSON result has every
// control before and after.
func TestFixTheFamilyCommandAddsTheOneMissingAlarm(t *testing.T) {
	srv := startFixSandbox(t, "family-missing-alarm")
	missing := sandbox.FamilyMissingAlarm()
	code, out, errOut := runFamily(t, "fix", "--yes", "--output", "json")
	require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
	require.Equal(t, []string{"cloudwatch:PutMetricAlarm"}, fixWritesSince(srv, 0))

	var doc struct {
		Accounts []struct {
			Controls []struct {
				Control string `json:"control"`
				Before  struct {
					Status string `json:"status"`
					Reason string `json:"reason"`
				} `json:"before"`
				After *struct {
					Status string `json:"status"`
				} `json:"after"`
			} `json:"controls"`
			Steps []struct {
				ID string `json:"id"`
			} `json:"steps"`
		} `json:"accounts"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Len(t, doc.Accounts, 1)
	a := doc.Accounts[0]
	require.Len(t, a.Steps, 1)
	require.Equal(t, missing.ID+":alarm", a.Steps[0].ID)
	require.Len(t, a.Controls, len(control.All()))
	for _, c := range a.Controls {
		require.NotNil(t, c.After, c.Control)
		require.Equal(t, "PASS", c.After.Status, c.Control)
		if c.Control == missing.ID {
			require.Equal(t, "NO_ALARM", c.Before.Reason)
		} else {
			require.Equal(t, "PASS", c.Before.Status, c.Control)
		}
	}
}

// The family demo plans and fixes all fifteen controls on the sandbox and
// ends with an empty plan; its output is kept as a golden file
// (go test -run TestFamilyDemoGolden -update). The default demo is
// unchanged (TestDemoGolden).
func TestFamilyDemoGolden(t *testing.T) {
	hits := hostileAWSEnvironment(t)
	srv, err := sandbox.New(sandbox.Options{Scenario: "family-bare"})
	require.NoError(t, err)
	e, out, errOut := demoEnv()
	require.NoError(t, runFamilyDemo(context.Background(), e, srv), errOut.String())
	require.Zero(t, hits.Load())
	writes := map[string]int{}
	for op, n := range srv.Counts() {
		action := op[strings.Index(op, ":")+1:]
		if !strings.HasPrefix(action, "Describe") && !strings.HasPrefix(action, "Get") && !strings.HasPrefix(action, "List") {
			writes[op] = n
		}
	}
	require.Equal(t, map[string]int{"sns:CreateTopic": 1, "sns:Subscribe": 1, "logs:PutMetricFilter": 15, "monitoring:PutMetricAlarm": 15}, writes)
	require.Contains(t, out.String(), "No changes. Nothing to create or update.")

	path := filepath.Join("testdata", "demo-family.golden")
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestFamilyDemoGolden -update to create it")
	require.Equal(t, string(want), out.String())
}

func TestFamilyDemoCommand(t *testing.T) {
	hostileAWSEnvironment(t)
	e, out, errOut := demoEnv()
	code := runApp(context.Background(), e, []string{"trailwatch", "demo", "--family"})
	require.Equal(t, exitOK, code, "%s\n%s", out.String(), errOut.String())
	require.Contains(t, out.String(), "── 3. Anything left?")
}

// A saved plan of several controls names them; fix --plan checks those,
// applies it, and refuses it once the account moved on.
func TestFixTheFamilySavedPlan(t *testing.T) {
	srv := startFixSandbox(t, "family-missing-alarm")
	missing := sandbox.FamilyMissingAlarm()
	file := filepath.Join(t.TempDir(), "plan.json")
	code, _, errOut := runFamily(t, "plan", "--out", file)
	require.Equal(t, exitFindings, code, errOut)
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var saved struct {
		Options struct {
			Controls []string `json:"controls"`
		} `json:"options"`
		Accounts []struct {
			Changes []struct {
				ID       string   `json:"id"`
				Controls []string `json:"controls"`
			} `json:"changes"`
		} `json:"accounts"`
	}
	require.NoError(t, json.Unmarshal(raw, &saved))
	require.Len(t, saved.Options.Controls, len(control.All()))
	require.Len(t, saved.Accounts, 1, "one plan per account, not one per control")
	require.Len(t, saved.Accounts[0].Changes, 1)
	require.Equal(t, []string{missing.ID}, saved.Accounts[0].Changes[0].Controls)

	// Someone else takes the alarm's name: the plan is stale.
	state := fixStateDump(t, srv)
	cfg, err := awsenv.Load(context.Background(), "", sandbox.DefaultRegion, awsenv.Overrides{EndpointURL: os.Getenv("AWS_ENDPOINT_URL"), Isolated: true,
		Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "sandbox", "")})
	require.NoError(t, err)
	_, err = awsenv.NewClients(cfg).CloudWatchClient(sandbox.DefaultRegion).PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("trailwatch-" + missing.NameStem), Namespace: aws.String("Other"), MetricName: aws.String("Other"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold})
	require.NoError(t, err)
	mark := len(srv.Requests())
	code, out, errOut := runFixCmd(t, "--plan", file, "--yes")
	require.Equal(t, exitFailed, code, "%s\n%s", out, errOut)
	require.Contains(t, out+errOut, "stale")
	require.Empty(t, fixWritesSince(srv, mark))

	require.NoError(t, srv.LoadState(state))
	mark = len(srv.Requests())
	code, out, errOut = runFixCmd(t, "--plan", file, "--yes")
	require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
	require.Equal(t, []string{"cloudwatch:PutMetricAlarm"}, fixWritesSince(srv, mark))
	require.Contains(t, out, "check root-usage:  FAIL NO_ALARM → PASS\n  check: 14 of 15 controls PASS before and after\n")
}

// The control of the one missing alarm, chosen alone, gets the same one
// alarm on the topic the account's other alarms already notify: one topic
// per account whether one control or all are selected, and no --notify.
func TestFixOneControlUsesTheAccountsWorkingTopic(t *testing.T) {
	srv := startFixSandbox(t, "family-missing-alarm")
	missing := sandbox.FamilyMissingAlarm()
	e, out, errOut := testEnv()
	code := runApp(context.Background(), e, []string{"trailwatch", "plan", "--control", missing.ID})
	require.Equal(t, exitFindings, code, errOut.String())
	require.Contains(t, out.String(), "+ cloudwatch:PutMetricAlarm trailwatch-"+missing.NameStem)
	require.Contains(t, out.String(), `AlarmActions       = ["arn:aws:sns:us-east-1:111111111111:security-alerts"]`)
	require.NotContains(t, out.String(), "sns:CreateTopic")

	code, stdout, stderr := runFixCmd(t, "--yes", "--control", missing.ID)
	require.Equal(t, exitOK, code, "%s\n%s", stdout, stderr)
	require.Equal(t, []string{"cloudwatch:PutMetricAlarm"}, fixWritesSince(srv, 0))
}
