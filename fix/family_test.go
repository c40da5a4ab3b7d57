package fix_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

// familyWorld is a sandbox loaded with a scenario, and the default
// account's clients on it.
type familyWorld struct {
	srv     *sandbox.Server
	clients *awsenv.Clients
	targets []check.Target
}

func serveFamily(t testing.TB, scenario string) familyWorld {
	t.Helper()
	srv, err := sandbox.New(sandbox.Options{Scenario: scenario})
	require.NoError(t, err)
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { running.Close() })
	cfg, err := awsenv.Load(context.Background(), "", sandbox.DefaultRegion, awsenv.Overrides{EndpointURL: running.URL, Isolated: true,
		Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "sandbox", "")})
	require.NoError(t, err)
	clients := awsenv.NewClients(cfg)
	return familyWorld{srv: srv, clients: clients, targets: []check.Target{{Profile: "sandbox", Region: cfg.Region, Clients: clients}}}
}

// checkFamily judges every target for each control, one result per account
// and control with ControlID set, as check's report of several controls
// has them.
func checkFamily(t testing.TB, targets []check.Target, controls []control.Control) []check.Result {
	t.Helper()
	var out []check.Result
	for _, c := range controls {
		co := check.Options{Control: c, Candidates: []check.Metric{{Namespace: c.Namespace, Name: c.MetricName}}}
		for _, r := range check.Run(context.Background(), targets, co).Results {
			r.ControlID = c.ID
			out = append(out, r)
		}
	}
	return out
}

func readersOf(c *awsenv.Clients) plan.Readers {
	return plan.Readers{
		Logs:   func(r string) plan.LogsReader { return c.LogsClient(r) },
		Alarms: func(r string) plan.AlarmReader { return c.CloudWatchClient(r) },
		Topics: func(r string) plan.TopicReader { return c.SNSClient(r) },
		Roles:  c.IAMClient(),
		Keys:   func(r string) plan.KeyReader { return c.KMSClient(r) },
	}
}

func writersOf(c *awsenv.Clients) fix.Writers {
	return fix.Writers{
		Topics: func(r string) fix.TopicWriter { return c.SNSClient(r) },
		Logs:   func(r string) fix.LogsWriter { return c.LogsClient(r) },
		Alarms: func(r string) fix.AlarmWriter { return c.CloudWatchClient(r) },
		Roles:  c.IAMClient(),
		Trails: func(r string) fix.TrailWriter { return c.CloudTrailClient(r) },
	}
}

// planFamily plans the world's one account for every control of results.
func planFamily(t testing.TB, w familyWorld, results []check.Result, po plan.Options) plan.AccountPlan {
	t.Helper()
	var findings []plan.Finding
	for _, r := range results {
		findings = append(findings, plan.FromCheck(r, po.Strict))
	}
	ap, err := plan.BuildAccount(context.Background(), readersOf(w.clients), findings, po)
	require.NoError(t, err)
	return ap
}

// writes are the logged requests that changed something.
func writes(srv *sandbox.Server) map[string]int {
	out := map[string]int{}
	for _, e := range srv.Requests() {
		if e.Service == "sts" || strings.HasPrefix(e.Action, "Describe") || strings.HasPrefix(e.Action, "Get") ||
			strings.HasPrefix(e.Action, "List") || strings.HasPrefix(e.Action, "Test") {
			continue
		}
		out[e.Service+":"+e.Action]++
	}
	return out
}

func requireAll(t *testing.T, results []check.Result, status check.Status) {
	t.Helper()
	require.Len(t, results, len(control.All()))
	for _, r := range results {
		require.Equal(t, status, r.Status, "%s: %s %s", r.ControlID, r.Reason, r.Message)
	}
}

// From a bare trail (a logging trail and its log group, nothing else), the
// family's plan creates one topic, fifteen filters and fifteen alarms;
// after fix every control PASSes and the next plan is empty. Planning sends
// no write.
func TestFixTheFamilyFromABareTrail(t *testing.T) {
	ctx := context.Background()
	w := serveFamily(t, "family-bare")
	all := control.All()
	before := checkFamily(t, w.targets, all)
	requireAll(t, before, check.Fail)

	po, err := plan.Options{}.WithDefaults()
	require.NoError(t, err)
	blocked := planFamily(t, w, before, po)
	require.Empty(t, blocked.Changes)
	require.True(t, blocked.NeedsNotify, blocked.Blocked)
	require.Contains(t, blocked.Blocked, "--notify")

	po.Notify = []plan.Endpoint{{Protocol: "email", Endpoint: "security@example.com"}}
	ap := planFamily(t, w, before, po)
	require.Empty(t, ap.Blocked)
	require.Empty(t, writes(w.srv), "plan sent a write")
	ops := map[string]int{}
	for _, c := range ap.Changes {
		ops[c.Operation]++
		require.NotEmpty(t, c.Controls, c.ID)
	}
	require.Equal(t, map[string]int{"sns:CreateTopic": 1, "sns:Subscribe": 1, "logs:PutMetricFilter": 15, "cloudwatch:PutMetricAlarm": 15}, ops)
	require.Len(t, ap.Changes[0].Controls, 15, "the topic serves every control")
	require.Len(t, ap.Controls, 15)

	res := fix.Apply(ctx, []fix.Job{{Plan: ap, Profile: "sandbox", Readers: readersOf(w.clients), Writers: writersOf(w.clients)}}, fix.Options{})
	require.Equal(t, fix.Done, res[0].Outcome, res[0].Error)
	// The request log names CloudWatch by its endpoint, monitoring.
	require.Equal(t, map[string]int{"sns:CreateTopic": 1, "sns:Subscribe": 1, "logs:PutMetricFilter": 15, "monitoring:PutMetricAlarm": 15}, writes(w.srv))
	require.Len(t, w.srv.ConfirmPendingSubscriptions(), 1)

	after := checkFamily(t, w.targets, all)
	requireAll(t, after, check.Pass)
	topic := "arn:aws:sns:" + sandbox.DefaultRegion + ":" + sandbox.DefaultAccount + ":" + plan.DefaultNamePrefix + plan.FamilyTopicStem
	for _, c := range all {
		out, err := w.clients.CloudWatchClient(sandbox.DefaultRegion).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{plan.DefaultNamePrefix + c.NameStem}})
		require.NoError(t, err)
		require.Len(t, out.MetricAlarms, 1, c.ID)
		require.Equal(t, []string{topic}, out.MetricAlarms[0].AlarmActions, c.ID)
		require.Equal(t, c.AlarmDescription, aws.ToString(out.MetricAlarms[0].AlarmDescription))
	}

	again := planFamily(t, w, after, po)
	require.Empty(t, again.Changes)
	require.Empty(t, again.Blocked)
}

// An account with the whole family but one alarm gets exactly that alarm,
// on the topic its other alarms notify, with no --notify.
func TestFixTheFamilyMissingOneAlarm(t *testing.T) {
	ctx := context.Background()
	w := serveFamily(t, "family-missing-alarm")
	all := control.All()
	missing := sandbox.FamilyMissingAlarm()
	before := checkFamily(t, w.targets, all)
	for _, r := range before {
		if r.ControlID == missing.ID {
			require.Equal(t, check.NoAlarm, r.Reason, r.Message)
			continue
		}
		require.Equal(t, check.Pass, r.Status, "%s: %s", r.ControlID, r.Message)
	}
	po, err := plan.Options{}.WithDefaults()
	require.NoError(t, err)
	ap := planFamily(t, w, before, po)
	require.Empty(t, ap.Blocked)
	require.Len(t, ap.Changes, 1)
	c := ap.Changes[0]
	require.Equal(t, "cloudwatch:PutMetricAlarm", c.Operation)
	require.Equal(t, []string{missing.ID}, c.Controls)
	require.Equal(t, missing.ID+":alarm", c.ID)
	topic := "arn:aws:sns:" + sandbox.DefaultRegion + ":" + sandbox.DefaultAccount + ":security-alerts"
	require.Equal(t, []any{topic}, c.After["AlarmActions"])

	res := fix.Apply(ctx, []fix.Job{{Plan: ap, Profile: "sandbox", Readers: readersOf(w.clients), Writers: writersOf(w.clients)}}, fix.Options{})
	require.Equal(t, fix.Done, res[0].Outcome, res[0].Error)
	require.Equal(t, map[string]int{"monitoring:PutMetricAlarm": 1}, writes(w.srv))
	requireAll(t, checkFamily(t, w.targets, all), check.Pass)
}

// Each family scenario gives every control the verdict docs/sandbox.md
// says: the trail's breaks and the shared subscription's fail every
// control, a link of one control's chain fails that control alone.
func TestFamilyScenarios(t *testing.T) {
	all := control.All()
	every := func(reason check.Reason) func(control.Control) check.Reason {
		return func(control.Control) check.Reason { return reason }
	}
	for scenario, want := range map[string]func(control.Control) check.Reason{
		"family":                                every(""),
		"family-bare":                           every(check.NoMatchingFilter),
		"family-no-multi-region-trail":          every(check.NoMultiRegionTrail),
		"family-trail-not-logging":              every(check.TrailNotLogging),
		"family-management-events-not-captured": every(check.ManagementEventsNotCaptured),
		"family-no-cloudwatch-logs":             every(check.NoCloudWatchLogs),
		"family-logs-delivery-failing":          every(check.LogsDeliveryFailing),
		"family-no-confirmed-subscriber":        every(check.NoConfirmedSubscriber),
	} {
		t.Run(scenario, func(t *testing.T) {
			w := serveFamily(t, scenario)
			for _, r := range checkFamily(t, w.targets, all) {
				c, _ := control.Lookup(r.ControlID)
				require.Equal(t, want(c), r.Reason, "%s: %s", r.ControlID, r.Message)
			}
		})
	}
	// A link of one control's chain, for every control: that control
	// fails with the link's reason, the others (one shown) pass.
	for _, broken := range []check.Reason{check.NoMatchingFilter, check.NoAlarm, check.AlarmCannotFire, check.NoAlarmTopic} {
		for i, c := range all {
			other := all[(i+1)%len(all)]
			srv, err := sandbox.New(sandbox.Options{Scenario: "family-" + strings.ToLower(strings.ReplaceAll(string(broken), "_", "-")), Control: c})
			require.NoError(t, err)
			running, err := srv.Start("127.0.0.1:0")
			require.NoError(t, err)
			cfg, err := awsenv.Load(context.Background(), "", sandbox.DefaultRegion, awsenv.Overrides{EndpointURL: running.URL, Isolated: true,
				Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "sandbox", "")})
			require.NoError(t, err)
			targets := []check.Target{{Profile: "sandbox", Region: cfg.Region, Clients: awsenv.NewClients(cfg)}}
			rs := checkFamily(t, targets, []control.Control{c, other})
			require.Equal(t, broken, rs[0].Reason, "%s broken at %s: %s", c.ID, broken, rs[0].Message)
			require.Equal(t, check.Pass, rs[1].Status, "%s beside %s broken at %s: %s", other.ID, c.ID, broken, rs[1].Message)
			running.Close()
		}
	}
}

// When a write of the family's plan fails, --rollback deletes what this run
// created in the account: the shared topic and its subscription, and the
// filter written before the failure; the journal of the run stays whole.
func TestFixTheFamilyRollsBack(t *testing.T) {
	ctx := context.Background()
	w := serveFamily(t, "family-bare")
	before := checkFamily(t, w.targets, control.All())
	po, err := plan.Options{Notify: []plan.Endpoint{{Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:111111111111:alerts"}}}.WithDefaults()
	require.NoError(t, err)
	ap := planFamily(t, w, before, po)
	w.srv.SetFaults(sandbox.Faults{AccessDenied: []sandbox.DeniedOperation{{Operation: "PutMetricAlarm"}}})
	res := fix.Apply(ctx, []fix.Job{{Plan: ap, Profile: "sandbox", Readers: readersOf(w.clients), Writers: writersOf(w.clients)}}, fix.Options{Rollback: true})
	require.Equal(t, fix.Broken, res[0].Outcome)
	var undone []string
	for _, s := range res[0].Rollback {
		require.Equal(t, fix.RolledBack, s.Status, s.Change.ID)
		undone = append(undone, s.Change.ID)
	}
	require.Equal(t, []string{ap.Changes[2].ID, "subscribe-1", "topic"}, undone, "newest first")
	w.srv.SetFaults(sandbox.Faults{})
	for _, r := range checkFamily(t, w.targets, control.All()) {
		require.Equal(t, check.NoMatchingFilter, r.Reason, r.ControlID)
	}
}
