package plan

import (
	"bytes"
	"context"
	"github.com/trailwatch/trailwatch/check"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/style"
)

// At a terminal the signs carry colour: creates in Good, updates in Warn.
func TestRenderTextUsesThePalette(t *testing.T) {
	w := newWorld()
	w.addAlarm(userAlarm(), false)
	a := build(t, w, finding(check.NoAlarmTopic), Options{})
	pal := style.Plain()
	pal.Good = func(s string) string { return "<good>" + s + "</good>" }
	pal.Warn = func(s string) string { return "<warn>" + s + "</warn>" }
	var out bytes.Buffer
	require.NoError(t, RenderText(&out, New("1.2.3", planTime, Options{}, []AccountPlan{a}), pal))
	require.Contains(t, out.String(), "<good>+</good> sns:CreateTopic")
	require.Contains(t, out.String(), "<warn>~</warn> cloudwatch:PutMetricAlarm")

	var plain bytes.Buffer
	require.NoError(t, RenderText(&plain, New("1.2.3", planTime, Options{}, []AccountPlan{a}), style.Plain()))
	require.NotContains(t, plain.String(), "\x1b[")
	require.True(t, strings.HasSuffix(plain.String(), "Plan: 2 to create, 1 to update in 1 account.\n"))
}

// A plan read back from its file renders exactly as it did when computed.
func TestRenderTextSameAfterRoundTrip(t *testing.T) {
	w := newWorld()
	a, err := Build(context.Background(), w.readers(t), finding(check.NoCloudWatchLogs), Options{Notify: mustNotify(t, email), WireLogs: true})
	require.NoError(t, err)
	p := New("1.2.3", planTime, Options{}, []AccountPlan{a})
	var before, js, after bytes.Buffer
	require.NoError(t, RenderText(&before, p, style.Plain()))
	require.NoError(t, Encode(&js, p))
	path := t.TempDir() + "/plan.json"
	writeFile(t, path, p)
	back, err := Read(path)
	require.NoError(t, err)
	require.NoError(t, RenderText(&after, back, style.Plain()))
	require.Equal(t, before.String(), after.String())
}

// Each change names the link of the chain it puts back; an alarm update is
// judged by the members of its request it changes (those its before records).
func TestRestoresNamesTheLink(t *testing.T) {
	topic := []any{"arn:aws:sns:us-east-1:111111111111:t"}
	for _, tc := range []struct {
		change Change
		after  map[string]any // the request's view
		want   string
	}{
		{Change{Operation: "sns:CreateTopic", Action: Create}, nil, "restores: alarm → topic"},
		{Change{Operation: "sns:Subscribe", Action: Create}, nil, "restores: topic → subscriber"},
		{Change{Operation: "logs:PutMetricFilter", Action: Create}, nil, "restores: log group → filter"},
		{Change{Operation: "logs:CreateLogGroup", Action: Create}, nil, "restores: trail → log group"},
		{Change{Operation: "iam:PutRolePolicy", Action: Update}, nil, "restores: trail → log group"},
		{Change{Operation: "cloudtrail:UpdateTrail", Action: Update}, nil, "restores: trail → log group"},
		{Change{Operation: "cloudwatch:PutMetricAlarm", Action: Create}, map[string]any{"AlarmName": "a", "AlarmActions": topic}, "restores: filter → alarm → topic"},
		{Change{Operation: "cloudwatch:PutMetricAlarm", Action: Create}, map[string]any{"AlarmName": "a"}, "restores: filter → alarm"},
		{Change{Operation: "cloudwatch:PutMetricAlarm", Action: Update, Before: map[string]any{"AlarmActions": nil}},
			map[string]any{"AlarmName": "a", "AlarmActions": topic, "Threshold": 1.0}, "restores: alarm → topic"},
		{Change{Operation: "cloudwatch:PutMetricAlarm", Action: Update, Before: map[string]any{"AlarmName": "a", "AlarmActions": topic, "Threshold": 10.0}},
			map[string]any{"AlarmName": "a", "AlarmActions": topic, "Threshold": 1.0}, "restores: filter → alarm"},
		{Change{Operation: "cloudwatch:PutMetricAlarm", Action: Update, Before: map[string]any{"AlarmActions": nil, "Threshold": 10.0}},
			map[string]any{"AlarmActions": topic, "Threshold": 1.0}, "restores: filter → alarm → topic"},
		{Change{Operation: "sns:SetTopicAttributes", Action: Update, Fixes: check.TopicCannotReceive}, nil, "restores: alarm → topic"},
		{Change{Operation: "sqs:CreateQueue", Fixes: check.NoConfirmedSubscriber}, nil, "fixes NO_CONFIRMED_SUBSCRIBER"},
	} {
		require.Equal(t, tc.want, restores(tc.change, tc.after), tc.change.Operation)
	}
}

// The last line tells the truth about what is not planned.
func TestRenderTextClosingLine(t *testing.T) {
	blocked := AccountPlan{Account: "111111111111", Status: "FAIL", Blocked: "trail is not logging", Changes: []Change{}}
	errored := AccountPlan{Account: "222222222222", Status: "ERROR", Blocked: "check could not evaluate", Changes: []Change{}}
	pass := AccountPlan{Account: "333333333333", Status: "PASS", Changes: []Change{}}
	for _, tc := range []struct {
		accounts []AccountPlan
		want     string
	}{
		{[]AccountPlan{pass}, "No changes. Nothing to create or update.\n"},
		{[]AccountPlan{blocked, pass}, "No changes planned. 1 account needs a person: see above.\n"},
		{[]AccountPlan{blocked, blocked}, "No changes planned. 2 accounts need a person: see above.\n"},
		{[]AccountPlan{errored}, "No changes planned. 1 account could not be evaluated: see above.\n"},
		{[]AccountPlan{blocked, errored}, "No changes planned. 1 account needs a person and 1 could not be evaluated: see above.\n"},
	} {
		var out bytes.Buffer
		require.NoError(t, RenderText(&out, New("1.2.3", planTime, Options{}, tc.accounts), style.Plain()))
		require.True(t, strings.HasSuffix(out.String(), tc.want), out.String())
	}
}
