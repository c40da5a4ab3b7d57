package report

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
)

func states(links []Link) []State {
	out := make([]State, len(links))
	for i, l := range links {
		out[i] = l.State
	}
	return out
}

func chainWith(filter check.FilterEvidence) check.TrailEvidence {
	return check.TrailEvidence{Name: "t", ARN: "arn:aws:cloudtrail:us-east-1:111111111111:trail/t", MultiRegion: true,
		LogGroupARN: "arn:aws:logs:us-east-1:111111111111:log-group:g", LogGroupName: "g",
		Filters: []check.FilterEvidence{filter}}
}

// Where a chain stops is drawn from the evidence: the reason's link on
// FAIL (or, for a reason added later, the first link without evidence), the
// undecided link on MANUAL and ERROR.
func TestChainStates(t *testing.T) {
	alarm := check.AlarmEvidence{Name: "a", ARN: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:a", CanFire: true,
		Topics: []check.TopicEvidence{{ARN: "arn:aws:sns:us-east-1:222222222222:t", Account: "222222222222"}}}
	withAlarm := check.FilterEvidence{Name: "f", Coverage: "match", Metrics: []check.MetricEvidence{{Name: "m", Alarms: []check.AlarmEvidence{alarm}}}}
	ok, broken, unknown, none := Held, Broken, Unsettled, NotReached
	for _, tc := range []struct {
		name string
		r    check.Result
		want []State
	}{
		{"topic in another account is undecided", check.Result{Account: "111111111111", Status: check.Manual,
			Trails: []check.TrailEvidence{chainWith(withAlarm)}}, []State{ok, ok, ok, ok, unknown, none}},
		{"a topic policy check cannot evaluate is undecided", check.Result{Account: "111111111111", Status: check.Manual,
			Trails: []check.TrailEvidence{chainWith(check.FilterEvidence{Name: "f", Coverage: "match", Metrics: []check.MetricEvidence{{Name: "m",
				Alarms: []check.AlarmEvidence{{Name: "a", ARN: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:a", CanFire: true,
					Topics: []check.TopicEvidence{{ARN: "arn:aws:sns:us-east-1:111111111111:t", Account: "111111111111", Confirmed: 1, Why: "a condition key trailwatch does not evaluate"}}}}}}})}},
			[]State{ok, ok, ok, ok, unknown, none}},
		{"indeterminate pattern is undecided", check.Result{Account: "111111111111", Status: check.Manual,
			Trails: []check.TrailEvidence{chainWith(check.FilterEvidence{Name: "f", Coverage: "unknown", Indeterminate: []string{"unsettled construct"}})}},
			[]State{ok, ok, unknown, none, none, none}},
		{"a reason this package does not know", check.Result{Account: "111111111111", Status: check.Fail, Reason: "A_REASON_ADDED_LATER", Message: "the verdict",
			Trails: []check.TrailEvidence{chainWith(check.FilterEvidence{Name: "f", Coverage: "match"})}},
			[]State{ok, ok, ok, broken, none, none}},
		{"a deleted log group breaks the log group link", check.Result{Account: "111111111111", Status: check.Fail, Reason: check.LogGroupNotFound,
			Message: "the verdict", Trails: []check.TrailEvidence{chainWith(check.FilterEvidence{Name: "f", Coverage: "match"})}},
			[]State{ok, broken, none, none, none, none}},
		{"error before any trail", check.Result{Status: check.Error, Message: "could not identify the account"},
			[]State{unknown, none, none, none, none, none}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			links := Chain(tc.r)
			require.Equal(t, tc.want, states(links))
			if tc.r.Status == check.Fail {
				i := slices.Index(states(links), Broken)
				require.Equal(t, tc.r.Message, links[i].Evidence[0], "the verdict beside the broken link")
			}
		})
	}
}

// Every reason check can give names the link it breaks, and the links follow
// check's own chain order: a reason check adds or moves shows up here
// instead of falling back to the first link without evidence unnoticed.
func TestEveryReasonBreaksALinkInChainOrder(t *testing.T) {
	last := 0
	for _, reason := range check.Reasons {
		kind, ok := reasonLink[reason]
		require.True(t, ok, "%s has no link", reason)
		i := slices.Index(linkKinds, kind)
		require.GreaterOrEqual(t, i, last, "%s breaks %s, before the link of the reason ahead of it", reason, kind)
		last = i
	}
	require.Len(t, reasonLink, len(check.Reasons), "a reason check no longer gives")
}

// A PASS is drawn along the path that holds, not the first one read: a
// filter whose alarm cannot fire and a topic CloudWatch may not publish to
// come first here, and the chain skips both.
func TestChainFollowsThePathThatHolds(t *testing.T) {
	no, yes := false, true
	dead := check.AlarmEvidence{Name: "dead", ARN: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:dead", Why: "actions disabled"}
	good := check.AlarmEvidence{Name: "good", ARN: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:good", CanFire: true,
		Topics: []check.TopicEvidence{
			{ARN: "arn:aws:sns:us-east-1:111111111111:denied", Account: "111111111111", Confirmed: 1, CanReceive: &no},
			{ARN: "arn:aws:sns:us-east-1:111111111111:gone", Account: "111111111111", Confirmed: 1, Missing: true},
			{ARN: "arn:aws:sns:us-east-1:111111111111:alerts", Account: "111111111111", Confirmed: 1, CanReceive: &yes}}}
	tr := chainWith(check.FilterEvidence{Name: "first", Coverage: "match", Metrics: []check.MetricEvidence{{Name: "m1", Alarms: []check.AlarmEvidence{dead}}}})
	tr.Filters = append(tr.Filters, check.FilterEvidence{Name: "second", Coverage: "match",
		Metrics: []check.MetricEvidence{{Name: "m2", Alarms: []check.AlarmEvidence{dead, good}}}})
	tr.Complete = true
	links := Chain(check.Result{Account: "111111111111", Status: check.Pass, Trails: []check.TrailEvidence{tr}})
	names := make([]string, len(links))
	for i, l := range links {
		names[i] = l.Name
	}
	require.Equal(t, []string{"t", "g", "second", "good", "alerts", "1 confirmed"}, names)
	require.Equal(t, []State{Held, Held, Held, Held, Held, Held}, states(links))
	require.Contains(t, links[3].Evidence, "fires on one change")
}
