package check

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check/pattern"
	"github.com/trailwatch/trailwatch/internal/awsapi"
)

func TestVerifyPatterns(t *testing.T) {
	const unsettled = "{ $.eventSource = cloudtrail.amazonaws.com && $.foo is null }"
	for _, tc := range []struct {
		name    string
		pattern string
		aws     func(pattern, msg string) bool // nil: AWS agrees with the engine
		status  Status
		reason  Reason
		message []string
		check   func(t *testing.T, v *Verification)
	}{
		{name: "CIS pattern: the engines agree", pattern: cis, status: Pass,
			check: func(t *testing.T, v *Verification) {
				require.Equal(t, len(pattern.Samples()), v.Records)
				require.Equal(t, v.Records, v.Agree)
				require.Empty(t, v.Disagreements)
			}},
		{name: "AWS matches nothing: the disagreement is reported and keeps the filter open", pattern: cis,
			aws: func(string, string) bool { return false }, status: Manual, message: []string{"disagree on 20 records"},
			check: func(t *testing.T, v *Verification) {
				require.Len(t, v.Disagreements, 30, "five events from four callers, and two failed calls each")
				d := v.Disagreements[0]
				require.Equal(t, Disagreement{Event: "CreateTrail", Caller: d.Caller, Local: "match", AWS: "no_match"}, d)
			}},
		{name: "AWS matches everything: negative controls disagree, coverage holds", pattern: cis,
			aws: func(string, string) bool { return true }, status: Pass,
			check: func(t *testing.T, v *Verification) {
				for _, d := range v.Disagreements {
					require.Contains(t, []string{"DescribeTrails", "CreateKey"}, d.Event)
				}
				require.Len(t, v.Disagreements, 3)
			}},
		{name: "an indeterminate local verdict settled as a match by AWS", pattern: unsettled,
			aws: func(_, msg string) bool { return strings.Contains(msg, `"eventSource":"cloudtrail.amazonaws.com"`) }, status: Pass,
			check: func(t *testing.T, v *Verification) { require.NotZero(t, v.Settled) }},
		{name: "an indeterminate local verdict settled as a miss by AWS", pattern: unsettled,
			aws: func(_, msg string) bool { return strings.Contains(msg, `"eventName":"CreateTrail"`) }, status: Fail, reason: NoMatchingFilter,
			message: []string{"UpdateTrail", "StopLogging"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := compliant()
			w.firstFilter().FilterPattern = &tc.pattern
			w.awsMatches = tc.aws
			r, f := w.run(t, Options{VerifyPatterns: true})
			require.Equal(t, tc.status, r.Status, r.Message)
			require.Equal(t, tc.reason, r.Reason, r.Message)
			require.True(t, contains(r.Message, tc.message...), "message %q lacks %q", r.Message, tc.message)
			require.Equal(t, 1, f.apiCalls()["TestMetricFilter"], "one call per filter")
			v := r.Trails[0].Filters[0].Verification
			require.NotNil(t, v)
			if tc.check != nil {
				tc.check(t, v)
			}
		})
	}

	// Off by default: no call.
	r, f := compliant().run(t, Options{})
	require.Equal(t, Pass, r.Status)
	require.Zero(t, f.apiCalls()["TestMetricFilter"])
	require.Nil(t, r.Trails[0].Filters[0].Verification)

	// Denied: an ERROR naming the permission, not a silent PASS.
	w := compliant()
	w.denied["logs:TestMetricFilter"] = "AccessDeniedException"
	r, _ = w.run(t, Options{VerifyPatterns: true})
	require.Equal(t, Error, r.Status)
	require.Contains(t, r.Message, "missing permission logs:TestMetricFilter")
}

// Two trails delivering to one log group (or two filters with one pattern)
// ask AWS about that pattern once: its answer does not depend on the trail.
func TestVerifyPatternsOncePerPattern(t *testing.T) {
	w := compliant()
	w.addSecondTrail()
	r, f := w.run(t, Options{VerifyPatterns: true})
	require.Equal(t, Pass, r.Status, r.Message)
	require.Len(t, r.Trails, 2)
	for _, tr := range r.Trails {
		require.NotNil(t, tr.Filters[0].Verification, tr.ARN)
		require.Equal(t, tr.Filters[0].Verification.Records, tr.Filters[0].Verification.Agree, tr.ARN)
	}
	require.Equal(t, 1, f.apiCalls()["TestMetricFilter"], "one call per pattern and region")
}

// The alarms on a filter's metrics do not wait for AWS's verdict on its
// pattern (they are followed whatever it is): --verify-patterns adds no
// round trip. Each TestMetricFilter answers only once an alarm read began.
func TestVerifyPatternsBesideAlarms(t *testing.T) {
	w := compliant()
	f := w.fake(t)
	clients := &alarmsFirst{Clients: f.clients, alarmsAsked: newGate()}
	rep := Run(context.Background(), []Target{{Profile: "p", Region: home, Clients: clients}}, Options{VerifyPatterns: true})
	r := rep.Results[0]
	require.Equal(t, Pass, r.Status, r.Message)
	require.NotNil(t, r.Trails[0].Filters[0].Verification)
	require.Equal(t, 1, f.apiCalls()["TestMetricFilter"])
	require.Equal(t, 1, f.apiCalls()["DescribeAlarmsForMetric"])
}

// alarmsFirst holds TestMetricFilter until DescribeAlarmsForMetric is
// asked; a check that sends them one after the other gets an error instead
// of waiting forever.
type alarmsFirst struct {
	awsapi.Clients
	alarmsAsked *gate
}

func (c *alarmsFirst) Logs(region string) awsapi.LogsAPI {
	return heldLogs{LogsAPI: c.Clients.Logs(region), c: c}
}

func (c *alarmsFirst) CloudWatch(region string) awsapi.CloudWatchAPI {
	return askedAlarms{CloudWatchAPI: c.Clients.CloudWatch(region), c: c}
}

type heldLogs struct {
	awsapi.LogsAPI
	c *alarmsFirst
}

func (l heldLogs) TestMetricFilter(ctx context.Context, in *cloudwatchlogs.TestMetricFilterInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.TestMetricFilterOutput, error) {
	if err := l.c.alarmsAsked.wait("DescribeAlarmsForMetric and TestMetricFilter"); err != nil {
		return nil, err
	}
	return l.LogsAPI.TestMetricFilter(ctx, in, opts...)
}

type askedAlarms struct {
	awsapi.CloudWatchAPI
	c *alarmsFirst
}

func (a askedAlarms) DescribeAlarmsForMetric(ctx context.Context, in *cloudwatch.DescribeAlarmsForMetricInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsForMetricOutput, error) {
	a.c.alarmsAsked.open()
	return a.CloudWatchAPI.DescribeAlarmsForMetric(ctx, in, opts...)
}
