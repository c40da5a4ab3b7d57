package check

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/awsapi"
	"github.com/trailwatch/trailwatch/mocks"
)

// The API budget (docs/design.md): a compliant one-trail account with an
// unencrypted topic costs at most 8 calls (7, plus the topic's attributes,
// whose access policy and key decide whether CloudWatch can publish), and
// unrelated resources cost nothing because check never lists every log
// group, alarm or topic.
func TestAPIBudget(t *testing.T) {
	quiet := compliant()
	crowded := compliant()
	for i := range 1000 {
		g := fmt.Sprintf("/unrelated/%d", i)
		crowded.filters[home+" "+g] = []logstypes.MetricFilter{filter("f", cis)}
		crowded.alarms[home] = append(crowded.alarms[home], cwtypes.MetricAlarm{
			AlarmName: aws.String(fmt.Sprintf("other-%d", i)), MetricName: aws.String(fmt.Sprintf("Other%d", i)), Namespace: aws.String("App"),
		})
		topic := fmt.Sprintf("arn:aws:sns:us-east-1:%s:topic-%d", acct, i)
		crowded.subs[topic] = []snstypes.Subscription{{SubscriptionArn: aws.String(topic + ":1")}}
	}
	for name, w := range map[string]*world{"compliant": quiet, "with 1,000 unrelated log groups, alarms and topics": crowded} {
		t.Run(name, func(t *testing.T) {
			r, f := w.run(t, Options{})
			require.Equal(t, Pass, r.Status, r.Message)
			calls := f.apiCalls()
			t.Logf("API calls: %d %v", total(calls), calls)
			require.LessOrEqual(t, total(calls), 8)
			for _, op := range []string{"GetCallerIdentity", "DescribeTrails", "GetTrailStatus", "GetEventSelectors", "DescribeMetricFilters", "DescribeAlarmsForMetric", "GetTopicAttributes", "ListSubscriptionsByTopic"} {
				require.Equal(t, 1, calls[op], op)
			}
		})
	}
}

// Two trails delivering to one log group, with alarms notifying one topic,
// read that log group and topic once.
func TestSharedResourcesReadOnce(t *testing.T) {
	w := compliant()
	w.addSecondTrail()
	r, f := w.run(t, Options{})
	require.Equal(t, Pass, r.Status, r.Message)
	calls := f.apiCalls()
	require.Equal(t, 1+1+2*2+1+1+1+1, total(calls), calls)
}

// iamAction maps a method of the interfaces check declares to the IAM action
// it needs. GetCallerIdentity needs no permission: AWS always allows it.
func iamAction(iface, method string) string {
	prefix := map[string]string{"CloudTrailAPI": "cloudtrail", "LogsAPI": "logs", "CloudWatchAPI": "cloudwatch", "SNSAPI": "sns", "KMSAPI": "kms", "STSAPI": "sts"}[iface]
	if prefix == "" {
		return ""
	}
	return prefix + ":" + method
}

// The policy in docs lists exactly what check can call, and check can call
// no write API: derived from the interfaces, not from a list kept by hand.
func TestLeastPrivilegePolicy(t *testing.T) {
	var actions []string
	for _, iface := range []reflect.Type{
		reflect.TypeFor[awsapi.CloudTrailAPI](), reflect.TypeFor[awsapi.LogsAPI](), reflect.TypeFor[awsapi.CloudWatchAPI](),
		reflect.TypeFor[awsapi.SNSAPI](), reflect.TypeFor[awsapi.KMSAPI](), reflect.TypeFor[awsapi.STSAPI](),
	} {
		require.NotZero(t, iface.NumMethod())
		for i := range iface.NumMethod() {
			m := iface.Method(i).Name
			// TestMetricFilter only evaluates a pattern on the messages sent
			// (no resource is read or written, no charge).
			require.True(t, strings.HasPrefix(m, "Describe") || strings.HasPrefix(m, "Get") || strings.HasPrefix(m, "List") || m == "TestMetricFilter",
				"%s.%s is not a read-only API", iface.Name(), m)
			action := iamAction(iface.Name(), m)
			require.NotEmpty(t, action, "%s has no IAM service prefix", iface.Name())
			if action != "sts:GetCallerIdentity" {
				actions = append(actions, action)
			}
		}
	}
	// Clients hands out exactly those interfaces and nothing else.
	clients := reflect.TypeFor[awsapi.Clients]()
	for i := range clients.NumMethod() {
		out := clients.Method(i).Type.Out(0)
		require.True(t, strings.HasSuffix(out.Name(), "API"), "Clients.%s returns %s", clients.Method(i).Name, out)
	}
	sort.Strings(actions)

	raw, err := os.ReadFile("../docs/iam/check-policy.json")
	require.NoError(t, err)
	var policy struct {
		Statement []struct {
			Sid    string
			Effect string
			Action []string
		}
	}
	require.NoError(t, json.Unmarshal(raw, &policy))
	var granted []string
	for _, s := range policy.Statement {
		require.Equal(t, "Allow", s.Effect)
		granted = append(granted, s.Action...)
		// --verify-patterns is off by default: its one action stands in a
		// statement of its own that a user may leave out.
		require.Equal(t, s.Sid == "TrailwatchCheckVerifyPatternsOptional", slices.Contains(s.Action, "logs:TestMetricFilter"), s.Sid)
	}
	sort.Strings(granted)
	require.Equal(t, actions, granted)
}

// Accounts are found with GetCallerIdentity: two profiles for one account
// are one result naming both, and a profile whose credentials fail is an
// ERROR while the others complete.
func TestRunGroupsProfilesByAccount(t *testing.T) {
	a := compliant()
	b := compliant()
	broken := compliant()
	broken.denied["sts:GetCallerIdentity"] = "InvalidClientTokenId"
	failing := compliant()
	failing.account = other
	failing.trails = nil
	rep := Run(context.Background(), []Target{
		{Profile: "prod", Region: home, Clients: a.fake(t).clients},
		{Profile: "broken", Region: home, Clients: broken.fake(t).clients},
		{Profile: "prod-admin", Region: home, Clients: b.fake(t).clients},
		{Profile: "unloadable", Region: home, Err: fmt.Errorf("load AWS configuration (unloadable): profile not found")},
		{Profile: "dev", Region: home, Clients: failing.fake(t).clients},
	}, Options{Parallel: 3})
	require.Len(t, rep.Results, 4)
	require.Equal(t, acct, rep.Results[0].Account)
	require.Equal(t, []string{"prod", "prod-admin"}, rep.Results[0].Profiles)
	require.Equal(t, "prod", rep.Results[0].Profile)
	require.Equal(t, Pass, rep.Results[0].Status)
	require.Equal(t, Error, rep.Results[1].Status)
	require.Equal(t, []string{"broken"}, rep.Results[1].Profiles)
	require.Contains(t, rep.Results[1].Message, "InvalidClientTokenId")
	require.Equal(t, Error, rep.Results[2].Status)
	require.Contains(t, rep.Results[2].Message, "profile not found")
	require.Equal(t, Fail, rep.Results[3].Status)
	require.Equal(t, Summary{Accounts: 4, Pass: 1, Fail: 1, Error: 2}, rep.Summary)
}

// A call that hangs is cut by the per-call timeout and makes the account
// ERROR, naming the API, instead of hanging the run.
func TestCallTimeout(t *testing.T) {
	w := compliant()
	f := w.fake(t)
	slow := mocks.NewLogsAPI(t)
	slow.EXPECT().DescribeMetricFilters(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
		func(ctx context.Context, _ *cloudwatchlogs.DescribeMetricFiltersInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
	clients := &slowLogs{Clients: f.clients, logs: slow}
	rep := Run(context.Background(), []Target{{Profile: "p", Region: home, Clients: clients}}, Options{CallTimeout: 20 * time.Millisecond})
	require.Equal(t, Error, rep.Results[0].Status)
	require.Contains(t, rep.Results[0].Message, "logs:DescribeMetricFilters")
	require.Contains(t, rep.Results[0].Message, "deadline exceeded")
}

type slowLogs struct {
	awsapi.Clients
	logs awsapi.LogsAPI
}

func (s *slowLogs) Logs(string) awsapi.LogsAPI { return s.logs }

// An account already known (fix's re-check) is not asked for again: STS is
// never called, and the chain is the same.
func TestKnownAccountSkipsSTS(t *testing.T) {
	w := compliant()
	w.denied["sts:GetCallerIdentity"] = "InvalidClientTokenId"
	f := w.fake(t)
	rep := Run(context.Background(), []Target{{Profile: "p", Region: home, Clients: f.clients, Account: acct}}, Options{})
	require.Equal(t, Pass, rep.Results[0].Status, rep.Results[0].Message)
	require.Equal(t, acct, rep.Results[0].Account)
	require.Zero(t, f.apiCalls()["GetCallerIdentity"])
}
