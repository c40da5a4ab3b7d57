package plan

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/style"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var planTime = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./plan/ -update")
	require.Equal(t, string(want), string(got))
}

func renderBoth(t *testing.T, name string, p Plan) {
	t.Helper()
	var text, js bytes.Buffer
	require.NoError(t, RenderText(&text, p, style.Plain()))
	require.NoError(t, Encode(&js, p))
	golden(t, name+".txt", text.Bytes())
	golden(t, name+".json", js.Bytes())
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
	for _, reason := range []string{"PASS", NoMultiRegionTrail, TrailNotLogging, ManagementEventsNotCaptured,
		NoCloudWatchLogs, LogsDeliveryFailing, NoMatchingFilter, NoAlarm, AlarmCannotFire, NoAlarmTopic, NoConfirmedSubscriber} {
		t.Run(reason, func(t *testing.T) {
			w := newWorld()
			w.addAlarm(userAlarm(), false)
			w.addTopic(userTopic, false)
			o := Options{Notify: mustNotify(t, "email:security@example.com", "https:https://hooks.example.com/trail"), WireLogs: true, RetentionDays: 365}
			a, err := Build(context.Background(), w.readers(t), finding(reason), o)
			require.NoError(t, err)
			o, _ = o.WithDefaults()
			renderBoth(t, "reason-"+reason, New("1.2.3", planTime, o, []AccountPlan{a}))
		})
	}
}

// TestGoldenMultiAccount pins a selection of three accounts: one to fix, one
// compliant, one that cannot be fixed from here.
func TestGoldenMultiAccount(t *testing.T) {
	w := newWorld()
	o := Options{Notify: mustNotify(t, "email:security@example.com")}
	var accounts []AccountPlan
	for _, f := range []Finding{finding(NoMatchingFilter), finding("PASS"), finding(TrailNotLogging)} {
		a, err := Build(context.Background(), w.readers(t), f, o)
		require.NoError(t, err)
		accounts = append(accounts, a)
	}
	accounts[1].Account, accounts[1].Profiles = "222222222222", []string{"dev", "dev-admin"}
	accounts[2].Account, accounts[2].Profiles = "333333333333", []string{"sandbox"}
	o, _ = o.WithDefaults()
	renderBoth(t, "multi-account", New("1.2.3", planTime, o, accounts))
}
