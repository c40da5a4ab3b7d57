package fix_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

// topicChanges is a made-up control: SNS topic changes, with its own events,
// records, pattern and names. Nothing outside this file knows it.
func topicChanges() control.Control {
	const topic = "arn:aws:sns:us-east-1:111122223333:alerts"
	call := func(event string, params any) control.Call {
		return control.Call{Source: "sns.amazonaws.com", Event: event, Params: params, Resource: topic, ErrorCode: "AuthorizationError"}
	}
	calls := []control.Call{
		call("CreateTopic", map[string]string{"name": "alerts"}),
		call("DeleteTopic", map[string]string{"topicArn": topic}),
		call("Subscribe", map[string]string{"topicArn": topic, "protocol": "email", "endpoint": "ops@example.com"}),
	}
	list := call("ListTopics", nil)
	list.ReadOnly = true
	return control.Control{
		ID:     "test-topic-changes",
		Title:  "Ensure SNS topic changes are monitored (test only)",
		Events: []string{"CreateTopic", "DeleteTopic", "Subscribe"},
		Records: append(control.MustCatch(calls...),
			control.MayLeaveOut(list, control.CallerIAMUser),
		),
		Pattern:          "{ ($.eventSource = sns.amazonaws.com) && (($.eventName = CreateTopic) || ($.eventName = DeleteTopic) || ($.eventName = Subscribe)) }",
		NameStem:         "test-topic-changes",
		Namespace:        "TrailwatchTest",
		MetricName:       "TopicChanges",
		AlarmDescription: "Test: an SNS topic change (CreateTopic, DeleteTopic, Subscribe). Managed by trailwatch.",
		Trail:            control.TrailNeeds{EventSources: []string{"sns.amazonaws.com"}},
	}
}

// TestAMadeUpControlIsCheckedPlannedAndFixed registers a second control and
// runs check, plan and fix for it on the sandbox, with the sandbox laying the
// made-up control's chain broken at one link: FAIL before, PASS after.
func TestAMadeUpControlIsCheckedPlannedAndFixed(t *testing.T) {
	defer control.Register(topicChanges())()
	ctrl, ok := control.Lookup("test-topic-changes")
	require.True(t, ok)

	for _, tc := range []struct {
		broken check.Reason
		missed []string
		// topic the new alarm notifies: the chain's own (plan makes a new
		// one unless told).
		topic string
	}{
		{broken: check.NoMatchingFilter, missed: []string{"Subscribe"}},
		{broken: check.NoAlarm, topic: "arn:aws:sns:" + sandbox.DefaultRegion + ":" + sandbox.DefaultAccount + ":security-alerts"},
	} {
		t.Run(string(tc.broken), func(t *testing.T) {
			ctx := context.Background()
			clients, region := serve(t, sandbox.Options{Scenario: string(tc.broken), Control: ctrl})
			targets := []check.Target{{Profile: "sandbox", Region: region, Clients: clients}}

			po, err := plan.Options{Control: ctrl, TopicARN: tc.topic}.WithDefaults()
			require.NoError(t, err)
			co := check.Options{Control: ctrl, Candidates: []check.Metric{{Namespace: po.Namespace, Name: po.MetricName}}}
			before := check.Run(ctx, targets, co).Results[0]
			require.Equal(t, check.Fail, before.Status)
			require.Equal(t, tc.broken, before.Reason, before.Message)
			if tc.missed != nil {
				require.Equal(t, tc.missed, before.Trails[0].Filters[0].Missed)
			}
			// The default control judges the same world by its own events:
			// no filter there catches a CloudTrail change.
			other := check.Run(ctx, targets, check.Options{}).Results[0]
			require.Equal(t, check.NoMatchingFilter, other.Reason)

			planAndFix(t, clients, before, po)
			after := check.Run(ctx, targets, co).Results[0]
			require.Equal(t, check.Pass, after.Status, after.Message)

			name := plan.DefaultNamePrefix + ctrl.NameStem
			switch tc.broken {
			case check.NoMatchingFilter:
				out, err := clients.LogsClient(region).DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{FilterNamePrefix: aws.String(name),
					LogGroupName: aws.String("aws-cloudtrail-logs-" + sandbox.DefaultAccount)})
				require.NoError(t, err)
				require.Len(t, out.MetricFilters, 1)
				f := out.MetricFilters[0]
				require.Equal(t, ctrl.Pattern, aws.ToString(f.FilterPattern))
				require.Equal(t, ctrl.MetricName, aws.ToString(f.MetricTransformations[0].MetricName))
				require.Equal(t, ctrl.Namespace, aws.ToString(f.MetricTransformations[0].MetricNamespace))
			case check.NoAlarm:
				out, err := clients.CloudWatchClient(region).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
				require.NoError(t, err)
				require.Len(t, out.MetricAlarms, 1)
				a := out.MetricAlarms[0]
				require.Equal(t, ctrl.AlarmDescription, aws.ToString(a.AlarmDescription))
				require.Equal(t, ctrl.MetricName, aws.ToString(a.MetricName))
				require.Equal(t, []string{tc.topic}, a.AlarmActions)
			}
		})
	}
}

// serve starts a sandbox for the test and returns clients of its default
// account.
func serve(t *testing.T, opts sandbox.Options) (*awsenv.Clients, string) {
	t.Helper()
	srv, err := sandbox.New(opts)
	require.NoError(t, err)
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { running.Close() })
	cfg, err := awsenv.Load(context.Background(), "", sandbox.DefaultRegion, awsenv.Overrides{EndpointURL: running.URL, Isolated: true,
		Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "sandbox", "")})
	require.NoError(t, err)
	return awsenv.NewClients(cfg), cfg.Region
}

// planAndFix plans the account of result r and applies the plan.
func planAndFix(t *testing.T, clients *awsenv.Clients, r check.Result, po plan.Options) {
	t.Helper()
	ctx := context.Background()
	readers := plan.Readers{
		Logs:   func(r string) plan.LogsReader { return clients.LogsClient(r) },
		Alarms: func(r string) plan.AlarmReader { return clients.CloudWatchClient(r) },
		Topics: func(r string) plan.TopicReader { return clients.SNSClient(r) },
		Roles:  clients.IAMClient(),
		Keys:   func(r string) plan.KeyReader { return clients.KMSClient(r) },
	}
	ap, err := plan.Build(ctx, readers, plan.FromCheck(r, false), po)
	require.NoError(t, err)
	require.Empty(t, ap.Blocked)
	require.NotEmpty(t, ap.Changes)
	writers := fix.Writers{
		Topics: func(r string) fix.TopicWriter { return clients.SNSClient(r) },
		Logs:   func(r string) fix.LogsWriter { return clients.LogsClient(r) },
		Alarms: func(r string) fix.AlarmWriter { return clients.CloudWatchClient(r) },
		Roles:  clients.IAMClient(),
		Trails: func(r string) fix.TrailWriter { return clients.CloudTrailClient(r) },
	}
	results := fix.Apply(ctx, []fix.Job{{Plan: ap, Profile: "sandbox", Readers: readers, Writers: writers}}, fix.Options{})
	require.Equal(t, fix.Done, results[0].Outcome, results[0].Error)
}

// TestTheMonitoringFamilyOnOneChain lays all fifteen CIS controls on one
// trail, log group and topic: each PASSes on its own records. With one
// alarm missing, only that control FAILs, and plan and fix add exactly that
// alarm on the existing topic.
func TestTheMonitoringFamilyOnOneChain(t *testing.T) {
	ctx := context.Background()
	all := control.All()
	require.Len(t, all, 15)
	clients, region := serve(t, sandbox.Options{Scenario: "compliant", Family: all})
	targets := []check.Target{{Profile: "sandbox", Region: region, Clients: clients}}
	for _, c := range all {
		r := check.Run(ctx, targets, check.Options{Control: c}).Results[0]
		require.Equal(t, check.Pass, r.Status, "%s: %s", c.ID, r.Message)
	}

	rootUsage, ok := control.Lookup("root-usage")
	require.True(t, ok)
	clients, region = serve(t, sandbox.Options{Scenario: "NO_ALARM", Control: rootUsage, Family: all})
	targets = []check.Target{{Profile: "sandbox", Region: region, Clients: clients}}
	for _, c := range all {
		r := check.Run(ctx, targets, check.Options{Control: c}).Results[0]
		if c.ID == rootUsage.ID {
			require.Equal(t, check.NoAlarm, r.Reason, r.Message)
			continue
		}
		require.Equal(t, check.Pass, r.Status, "%s: %s", c.ID, r.Message)
	}
	topic := "arn:aws:sns:" + sandbox.DefaultRegion + ":" + sandbox.DefaultAccount + ":security-alerts"
	po, err := plan.Options{Control: rootUsage, TopicARN: topic}.WithDefaults()
	require.NoError(t, err)
	before := check.Run(ctx, targets, check.Options{Control: rootUsage}).Results[0]
	planAndFix(t, clients, before, po)
	after := check.Run(ctx, targets, check.Options{Control: rootUsage}).Results[0]
	require.Equal(t, check.Pass, after.Status, after.Message)
}
