package plan

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
)

// familyFindings are findings for ids, each a copy of f with its control.
func familyFindings(t *testing.T, f Finding, ids ...string) []Finding {
	t.Helper()
	out := make([]Finding, len(ids))
	for i, id := range ids {
		c, ok := control.Lookup(id)
		require.True(t, ok, id)
		g := f
		if g.Trail != nil {
			tr := *g.Trail
			g.Trail = &tr
		}
		g.Control = c
		out[i] = g
	}
	return out
}

func controlsOf(t *testing.T, ids ...string) []control.Control {
	var out []control.Control
	for _, f := range familyFindings(t, Finding{}, ids...) {
		out = append(out, f.Control)
	}
	return out
}

// One control planned through BuildAccount is Build, byte for byte: no
// control names appear.
func TestBuildAccountOfOneControlIsBuild(t *testing.T) {
	o := Options{Notify: mustNotify(t, "email:security@example.com"), WireLogs: true}
	w := newWorld()
	want, err := Build(context.Background(), w.readers(t), finding(check.NoCloudWatchLogs), o)
	require.NoError(t, err)
	got, err := BuildAccount(context.Background(), newWorld().readers(t), []Finding{finding(check.NoCloudWatchLogs)}, o)
	require.NoError(t, err)
	var a, b bytes.Buffer
	oo, _ := o.WithDefaults()
	require.NoError(t, Encode(&a, New("1", planTime, oo, []AccountPlan{want})))
	require.NoError(t, Encode(&b, New("1", planTime, oo, []AccountPlan{got})))
	require.Equal(t, a.String(), b.String())
	require.NotContains(t, b.String(), `"controls"`)
}

// A trail without CloudWatch Logs, three controls failing: the wiring and
// the topic are planned once and serve all three; each control gets its
// filter and alarm under its own names.
func TestFamilyWiresOnceAndSharesOneTopic(t *testing.T) {
	w := newWorld()
	o := Options{Notify: mustNotify(t, "email:security@example.com"), WireLogs: true}
	ids := []string{"cloudtrail-changes", "root-usage", "iam-policy-changes"}
	a, err := BuildAccount(context.Background(), w.readers(t), familyFindings(t, finding(check.NoCloudWatchLogs), ids...), o)
	require.NoError(t, err)
	require.Empty(t, a.Blocked)
	var got []string
	for _, c := range a.Changes {
		got = append(got, c.ID)
		switch c.Operation {
		case "logs:PutMetricFilter", "cloudwatch:PutMetricAlarm":
			require.Len(t, c.Controls, 1, c.ID)
		default:
			require.Equal(t, ids, c.Controls, c.ID)
		}
	}
	require.Equal(t, []string{"topic", "subscribe-1", "log-group", "log-role", "log-role-policy", "trail",
		"cloudtrail-changes:filter", "cloudtrail-changes:alarm", "root-usage:filter", "root-usage:alarm",
		"iam-policy-changes:filter", "iam-policy-changes:alarm"}, got)
	require.Equal(t, "arn:aws:sns:us-east-1:111111111111:trailwatch-"+FamilyTopicStem, a.Changes[0].Target)
	for _, c := range a.Changes {
		if c.Operation == "cloudwatch:PutMetricAlarm" {
			require.Equal(t, []any{a.Changes[0].Target}, c.After["AlarmActions"])
		}
	}
	root := a.Changes[len(a.Changes)-3]
	require.Equal(t, "trailwatch-root-usage", root.After["AlarmName"])
	require.Equal(t, "RootAccountUsage", root.After["MetricName"])
	require.Len(t, a.Controls, 3)

	oo, _ := o.WithDefaults()
	oo.Controls = controlsOf(t, ids...)
	renderBoth(t, "family-wire-logs", New("1.2.3", planTime, oo, []AccountPlan{a}))
}

// A working topic of any control is the one every new alarm notifies, and
// nobody needs to be named to notify; a control that cannot be planned is
// blocked alone.
func TestFamilyReusesAWorkingTopicAndBlocksOneControlAlone(t *testing.T) {
	w := newWorld()
	w.addTopic(userTopic, false)
	w.subs[userTopic] = []snstypes.Subscription{{SubscriptionArn: aws.String(userTopic + ":1"), Protocol: aws.String("email"), Endpoint: aws.String("ops@example.com")}}
	pass := finding("PASS")
	pass.WorkingTopics = []string{userTopic}
	fs := familyFindings(t, pass, "cloudtrail-changes")
	fs = append(fs, familyFindings(t, finding(check.NoMatchingFilter), "root-usage", "vpc-changes")...)
	fs[2].Status, fs[2].Reason, fs[2].Message = check.Manual, "", "an indeterminate filter"
	a, err := BuildAccount(context.Background(), w.readers(t), fs, Options{})
	require.NoError(t, err)
	require.Empty(t, a.Blocked)
	require.False(t, a.NeedsNotify)
	require.Len(t, a.Changes, 2)
	require.Equal(t, "root-usage:alarm", a.Changes[1].ID)
	require.Equal(t, []string{"root-usage:filter"}, a.Changes[1].DependsOn)
	require.Equal(t, []any{userTopic}, a.Changes[1].After["AlarmActions"])
	require.Equal(t, check.Manual, a.Status)
	require.Contains(t, a.Controls[2].Blocked, "could not decide")

	oo, _ := Options{}.WithDefaults()
	oo.Controls = controlsOf(t, "cloudtrail-changes", "root-usage", "vpc-changes")
	renderBoth(t, "family-working-topic", New("1.2.3", planTime, oo, []AccountPlan{a}))
}

// With no topic to reuse and nobody to notify, every control needing a
// topic is blocked for that alone, and the account asks for an endpoint.
func TestFamilyWithoutATopicNeedsNotify(t *testing.T) {
	fs := familyFindings(t, finding(check.NoMatchingFilter), "root-usage", "vpc-changes")
	a, err := BuildAccount(context.Background(), newWorld().readers(t), fs, Options{})
	require.NoError(t, err)
	require.Empty(t, a.Changes)
	require.True(t, a.NeedsNotify)
	require.Contains(t, a.Blocked, "--notify")
	for _, cp := range a.Controls {
		require.True(t, cp.NeedsNotify, cp.Control)
	}
}

// An alarm whose topic nobody confirmed gets the family's working topic as
// one more action, with no --notify.
func TestFamilyAddsTheWorkingTopicToAnUnconfirmedAlarm(t *testing.T) {
	const ops = "arn:aws:sns:us-east-1:111111111111:ops"
	w := newWorld()
	w.addAlarm(userAlarm(userTopic), false)
	w.addTopic(userTopic, false)
	w.addTopic(ops, false)
	w.subs[ops] = []snstypes.Subscription{{SubscriptionArn: aws.String(ops + ":1"), Protocol: aws.String("email"), Endpoint: aws.String("ops@example.com")}}
	pass := finding("PASS")
	pass.WorkingTopics = []string{ops}
	fs := append(familyFindings(t, pass, "root-usage"), familyFindings(t, finding(check.NoConfirmedSubscriber), "cloudtrail-changes")...)
	a, err := BuildAccount(context.Background(), w.readers(t), fs, Options{})
	require.NoError(t, err)
	require.Empty(t, a.Blocked)
	require.Len(t, a.Changes, 1)
	c := a.Changes[0]
	require.Equal(t, Update, c.Action)
	require.Equal(t, "cloudtrail-changes:alarm", c.ID)
	require.Equal(t, []any{userTopic, ops}, c.After["AlarmActions"])

	// Without a working topic, the unconfirmed one needs someone to notify.
	fs[0].WorkingTopics = nil
	a, err = BuildAccount(context.Background(), w.readers(t), fs, Options{})
	require.NoError(t, err)
	require.True(t, a.NeedsNotify)
	require.Empty(t, a.Changes)
}

// Two controls whose alarms notify the same topic, which lacks only
// CloudWatch's statement: the policy is merged once, for both.
func TestFamilyMergesASharedTopicPolicyOnce(t *testing.T) {
	w := newWorld()
	w.addAlarm(userAlarm(userTopic), false)
	w.addTopic(userTopic, false)
	w.topics[userTopic]["Policy"] = userPolicy
	fs := familyFindings(t, finding(check.TopicCannotReceive), "cloudtrail-changes", "root-usage")
	a, err := BuildAccount(context.Background(), w.readers(t), fs, Options{})
	require.NoError(t, err)
	require.Empty(t, a.Blocked)
	require.Len(t, a.Changes, 1)
	require.Equal(t, "topic-policy", a.Changes[0].ID)
	require.Equal(t, []string{"cloudtrail-changes", "root-usage"}, a.Changes[0].Controls)
	var js bytes.Buffer
	oo, _ := Options{}.WithDefaults()
	require.NoError(t, Encode(&js, New("1", planTime, oo, []AccountPlan{a})))
	_, err = Parse(&js)
	require.NoError(t, err, "the file fix reads back")
}
