package plan

import (
	"bytes"
	"context"
	"github.com/trailwatch/trailwatch/check"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/golden"
	"github.com/trailwatch/trailwatch/internal/style"
)

var planTime = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

func renderBoth(t *testing.T, name string, p Plan) {
	t.Helper()
	var text, js bytes.Buffer
	require.NoError(t, RenderText(&text, p, style.Plain()))
	require.NoError(t, Encode(&js, p))
	golden.Check(t, name+".txt", text.Bytes())
	golden.Check(t, name+".json", js.Bytes())
	// What plan writes, fix reads: every field agrees with its request, and
	// the file renders as the computed plan did.
	back, err := Parse(bytes.NewReader(js.Bytes()))
	require.NoError(t, err)
	var again bytes.Buffer
	require.NoError(t, RenderText(&again, back, style.Plain()))
	require.Equal(t, text.String(), again.String())
}

// TestGoldenPerReason pins the diff and the JSON of every FAIL reason and of
// a compliant account, with the user's alarm and topic present where check
// found them.
func TestGoldenPerReason(t *testing.T) {
	for _, reason := range []check.Reason{"PASS", check.NoMultiRegionTrail, check.TrailNotLogging, check.ManagementEventsNotCaptured,
		check.NoCloudWatchLogs, check.LogsDeliveryFailing, check.LogGroupNotFound, check.NoMatchingFilter, check.NoAlarm, check.AlarmCannotFire, check.NoAlarmTopic, check.TopicCannotReceive, check.NoConfirmedSubscriber} {
		t.Run(string(reason), func(t *testing.T) {
			w := newWorld()
			w.addAlarm(userAlarm(), false)
			w.addTopic(userTopic, false)
			if reason == check.TopicCannotReceive {
				w.topics[userTopic]["Policy"] = userPolicy
			}
			o := Options{Notify: mustNotify(t, "email:security@example.com", "https:https://hooks.example.com/trail"), WireLogs: true, RetentionDays: 365}
			a, err := Build(context.Background(), w.readers(t), finding(reason), o)
			require.NoError(t, err)
			o, _ = o.WithDefaults()
			renderBoth(t, "reason-"+string(reason), New("1.2.3", planTime, o, []AccountPlan{a}))
		})
	}
}

// TestGoldenMultiAccount pins a selection of three accounts: one to fix, one
// compliant, one that cannot be fixed from here.
func TestGoldenMultiAccount(t *testing.T) {
	w := newWorld()
	o := Options{Notify: mustNotify(t, "email:security@example.com")}
	var accounts []AccountPlan
	for _, f := range []Finding{finding(check.NoMatchingFilter), finding("PASS"), finding(check.TrailNotLogging)} {
		a, err := Build(context.Background(), w.readers(t), f, o)
		require.NoError(t, err)
		accounts = append(accounts, a)
	}
	accounts[1].Account, accounts[1].Profiles = "222222222222", []string{"dev", "dev-admin"}
	accounts[2].Account, accounts[2].Profiles = "333333333333", []string{"sandbox"}
	o, _ = o.WithDefaults()
	renderBoth(t, "multi-account", New("1.2.3", planTime, o, accounts))
}
