package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/require"
)

// scriptedDice makes fault rates deterministic: each draw takes the next
// value, then 0.99 forever (no fault).
func scriptedDice(s *Server, draws ...float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rnd = func() float64 {
		if len(draws) == 0 {
			return 0.99
		}
		d := draws[0]
		draws = draws[1:]
		return d
	}
}

// Throttled requests are retried by the SDK's own retryer, per protocol,
// and eventually succeed; the request log shows each attempt.
func TestThrottlingIsRetriedBySDK(t *testing.T) {
	s, endpoint := startSandbox(t, "organization")
	cfg := sdkConfig(endpoint, DefaultAccessKey)
	s.SetFaults(Faults{ThrottleRate: 0.5})
	calls := map[string]func() error{
		"sts:GetCallerIdentity": func() error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			return err
		},
		"organizations:DescribeOrganization": func() error {
			_, err := organizations.NewFromConfig(cfg).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
			return err
		},
		"monitoring:DescribeAlarms": func() error {
			_, err := cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{})
			return err
		},
	}
	for op, call := range calls {
		scriptedDice(s, 0.1, 0.2) // two throttles, then through
		require.NoError(t, call(), op)
		require.Equal(t, 3, s.Counts()[op], "%s: two throttled attempts and one that passed", op)
	}
	var statuses []int
	for _, e := range s.Requests() {
		if e.Action == "GetCallerIdentity" {
			statuses = append(statuses, e.Status)
		}
	}
	require.Equal(t, []int{400, 400, 200}, statuses)

	s.SetFaults(Faults{ThrottleRate: 1})
	_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	require.Equal(t, "Throttling", apiCode(err), "throttled on every attempt, the SDK gives up: %v", err)
}

func TestServerErrorsAreRetriedBySDK(t *testing.T) {
	s, endpoint := startSandbox(t, "")
	s.SetFaults(Faults{ErrorRate: 0.5})
	scriptedDice(s, 0.1)
	_, err := sns.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey)).ListTopics(ctx(t), &sns.ListTopicsInput{})
	require.NoError(t, err)
	require.Equal(t, 2, s.Counts()["sns:ListTopics"])
}

func TestAccessDeniedForChosenOperationAndAccount(t *testing.T) {
	s, endpoint := startSandbox(t, "organization")
	s.SetFaults(Faults{AccessDenied: []DeniedOperation{{Operation: "sns:CreateTopic", Account: MemberAccount}}})
	in := &sns.CreateTopicInput{Name: aws.String("alerts")}

	_, err := sns.NewFromConfig(sdkConfig(endpoint, AccessKeyFor(MemberAccount))).CreateTopic(ctx(t), in)
	var denied *snstypes.AuthorizationErrorException
	require.ErrorAs(t, err, &denied)
	require.Equal(t, 1, s.Counts()["sns:CreateTopic"], "access denied is not retried")

	_, err = sns.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey)).CreateTopic(ctx(t), in)
	require.NoError(t, err, "other accounts are not affected")
}

func TestLatency(t *testing.T) {
	s, endpoint := startSandbox(t, "")
	s.SetFaults(Faults{LatencyMS: 150})
	start := time.Now()
	_, err := sts.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey)).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
}

// CloudWatch answers to its IAM prefix in fault rules, and its access-denied
// message names the IAM action, as AWS's does.
func TestAccessDeniedUsesCloudWatchIAMPrefix(t *testing.T) {
	for _, op := range []string{"cloudwatch:PutMetricAlarm", "monitoring:PutMetricAlarm"} {
		d := DeniedOperation{Operation: op}
		require.True(t, d.matches("monitoring", "PutMetricAlarm", DefaultAccount), op)
		require.False(t, d.matches("monitoring", "DescribeAlarms", DefaultAccount), op)
	}
	require.Contains(t, accessDenied("monitoring", "PutMetricAlarm", DefaultAccount).Message, "perform: cloudwatch:PutMetricAlarm")
}
