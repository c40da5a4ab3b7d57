package plan

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/style"
)

// At a terminal the signs carry colour: creates in Good, updates in Warn.
func TestRenderTextUsesThePalette(t *testing.T) {
	w := newWorld()
	w.addAlarm(userAlarm(), false)
	a := build(t, w, finding(NoAlarmTopic), Options{})
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
	a, err := Build(context.Background(), w.readers(t), finding(NoCloudWatchLogs), Options{Notify: mustNotify(t, email), WireLogs: true})
	require.NoError(t, err)
	p := New("1.2.3", planTime, Options{}, []AccountPlan{a})
	var before, js, after bytes.Buffer
	require.NoError(t, RenderText(&before, p, style.Plain()))
	require.NoError(t, Encode(&js, p))
	path := t.TempDir() + "/plan.json"
	require.NoError(t, Write(path, p))
	back, err := Read(path)
	require.NoError(t, err)
	require.NoError(t, RenderText(&after, back, style.Plain()))
	require.Equal(t, before.String(), after.String())
}
