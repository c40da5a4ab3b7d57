package sandbox

import (
	"net/http"
	"strings"
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

// A per-operation rate replaces the global one for that operation only.
func TestThrottlePerOperation(t *testing.T) {
	s, endpoint := startSandbox(t, "")
	s.SetFaults(Faults{ThrottleRate: 0, Throttle: []OperationRate{{Operation: "sts:GetCallerIdentity", Rate: 1}}})
	cfg := sdkConfig(endpoint, DefaultAccessKey)
	_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	require.Equal(t, "Throttling", apiCode(err))
	_, err = sns.NewFromConfig(cfg).ListTopics(ctx(t), &sns.ListTopicsInput{})
	require.NoError(t, err, "other operations keep the global rate (0)")
	require.Equal(t, 1, s.Counts()["sns:ListTopics"])

	s.SetFaults(Faults{ThrottleRate: 1, Throttle: []OperationRate{{Operation: "ListTopics", Account: DefaultAccount, Rate: 0}}})
	_, err = sns.NewFromConfig(cfg).ListTopics(ctx(t), &sns.ListTopicsInput{})
	require.NoError(t, err, "a rate of 0 exempts the operation from the global rate")
}

// The retry hint is the x-amz-retry-after header, on throttling answers only.
func TestRetryAfterHeaderOnThrottling(t *testing.T) {
	s, endpoint := startSandbox(t, "")
	post := func(target, body string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
		require.NoError(t, err)
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+DefaultAccessKey+"/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=x")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	s.SetFaults(Faults{ThrottleRate: 1, RetryAfterMS: 1500})
	for _, target := range []string{"Logs_20140328.DescribeLogGroups", "CloudTrail_20131101.DescribeTrails"} {
		resp := post(target, "{}")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, "1500", resp.Header.Get("X-Amz-Retry-After"), target)
	}
	s.SetFaults(Faults{ErrorRate: 1, RetryAfterMS: 1500})
	resp := post("", "Action=ListTopics&Version=2010-03-31")
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Empty(t, resp.Header.Get("X-Amz-Retry-After"), "no hint without a throttle")
}

// A delayed response is applied before it is held back: the state shows the
// change while the client still waits for its answer.
func TestDelayedResponseIsAppliedFirst(t *testing.T) {
	s, endpoint := startSandbox(t, "")
	s.SetFaults(Faults{DelayResponses: []DelayedResponse{{Operation: "sns:CreateTopic", DelayMS: 400}}})
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := sns.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey)).CreateTopic(ctx(t), &sns.CreateTopicInput{Name: aws.String("held")})
		done <- err
	}()
	require.Eventually(t, func() bool {
		b, err := s.DumpState()
		return err == nil && strings.Contains(string(b), ":held")
	}, 2*time.Second, 5*time.Millisecond, "the topic exists before the answer")
	select {
	case err := <-done:
		t.Fatalf("answered before the delay: %v", err)
	default:
	}
	require.NoError(t, <-done)
	require.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond)
	_, err := sns.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey)).ListTopics(ctx(t), &sns.ListTopicsInput{})
	require.NoError(t, err)
}

func TestFaultsValidation(t *testing.T) {
	for body, want := range map[string]string{
		`{"throttle":[{"operation":"","rate":0.5}]}`:               "every entry needs an operation",
		`{"throttle":[{"operation":"x","rate":2}]}`:                "rate 2 is outside 0..1",
		`{"delayResponses":[{"operation":"x","delayMs":-1}]}`:      "delayMs -1 is negative",
		`{"retryAfterMs":-5}`:                                      "retryAfterMs -5 is negative",
		`{"delayResponses":[{"operation":"","delayMs":10}]}`:       "every entry needs an operation",
		`{"throttle":[{"operation":"x","rate":0.5,"extra":true}]}`: "unknown field",
	} {
		var f Faults
		err := decodeFaults([]byte(body), &f)
		require.ErrorContains(t, err, want, body)
	}
	var f Faults
	require.NoError(t, decodeFaults([]byte(`{"throttle":[{"operation":"sts:GetCallerIdentity","rate":0.5}],"retryAfterMs":200,"delayResponses":[{"operation":"PutMetricAlarm","delayMs":300}]}`), &f))
	require.Equal(t, Faults{Throttle: []OperationRate{{Operation: "sts:GetCallerIdentity", Rate: 0.5}}, RetryAfterMS: 200,
		DelayResponses: []DelayedResponse{{Operation: "PutMetricAlarm", DelayMS: 300}}}, f)
}

// CriticalPath counts the round trips a client made one after another,
// however many it had in flight at once.
func TestCriticalPath(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	span := func(from, to int) LogEntry {
		return LogEntry{Start: t0.Add(time.Duration(from) * time.Millisecond), Time: t0.Add(time.Duration(to) * time.Millisecond)}
	}
	for _, tc := range []struct {
		name    string
		entries []LogEntry
		want    int
	}{
		{"none", nil, 0},
		{"one", []LogEntry{span(0, 10)}, 1},
		{"three in a row, logged out of order", []LogEntry{span(20, 30), span(0, 10), span(10, 20)}, 3},
		{"three side by side", []LogEntry{span(0, 10), span(1, 11), span(2, 12)}, 1},
		{"side by side, then one after the slowest", []LogEntry{span(0, 10), span(0, 50), span(11, 55), span(50, 60)}, 2},
		{"a long chain beside a slow call", []LogEntry{span(0, 100), span(0, 5), span(5, 10), span(10, 15), span(15, 20)}, 4},
		{"overlapping by a millisecond", []LogEntry{span(0, 10), span(9, 20)}, 1},
	} {
		require.Equal(t, tc.want, CriticalPath(tc.entries), tc.name)
	}
}
