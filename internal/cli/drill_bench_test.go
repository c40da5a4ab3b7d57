package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/drill"
	"github.com/trailwatch/trailwatch/sandbox"
)

// compliantFleet serves n copies of the compliant account (accounts
// 100000000001…), one profile each, with the pipeline on.
func compliantFleet(b *testing.B, n int, pipe sandbox.PipelineConfig) *sandbox.Server {
	b.Helper()
	srv, err := sandbox.New(sandbox.Options{Scenario: "compliant"})
	require.NoError(b, err)
	raw, err := srv.DumpState()
	require.NoError(b, err)
	var state map[string]json.RawMessage
	require.NoError(b, json.Unmarshal(raw, &state))
	var accounts map[string]json.RawMessage
	require.NoError(b, json.Unmarshal(state["accounts"], &accounts))
	one := string(accounts[sandbox.DefaultAccount])
	fleet, keys := map[string]json.RawMessage{}, map[string]string{}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("%012d", 100000000000+i)
		fleet[id] = json.RawMessage(strings.ReplaceAll(one, sandbox.DefaultAccount, id))
		keys[sandbox.AccessKeyFor(id)] = id
	}
	state["accounts"], _ = json.Marshal(fleet)
	state["accessKeys"], _ = json.Marshal(keys)
	raw, _ = json.Marshal(state)
	require.NoError(b, srv.LoadState(raw))
	require.NoError(b, srv.SetPipeline(pipe))
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(b, err)
	b.Cleanup(func() { running.Close() })
	dir := b.TempDir()
	var config, creds strings.Builder
	for id := range fleet {
		config.WriteString("[profile a" + id + "]\nregion = " + sandbox.DefaultRegion + "\n")
		creds.WriteString("[a" + id + "]\naws_access_key_id = " + sandbox.AccessKeyFor(id) + "\naws_secret_access_key = s\n")
	}
	require.NoError(b, os.WriteFile(filepath.Join(dir, "config"), []byte(config.String()), 0o600))
	require.NoError(b, os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds.String()), 0o600))
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": running.URL, "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
		"AWS_PROFILE": "", "AWS_REGION": sandbox.DefaultRegion, "AWS_EC2_METADATA_DISABLED": "true", "XDG_STATE_HOME": dir,
	} {
		b.Setenv(k, v)
	}
	return srv
}

// BenchmarkDrillFleet1000 drills 1,000 compliant accounts at once with
// CloudTrail's delivery taking 2 s: the accounts wait side by side, so the
// last one's change reaches its subscriber about 2 s after the last
// trigger, not 1,000 × 2 s. Reported: seconds from the last trigger to the
// last account's last stage, beside the delivery delay.
func BenchmarkDrillFleet1000(b *testing.B) {
	const n, delayMS = 1000, 2000
	pipe := sandbox.PipelineConfig{Enabled: true, DeliveryDelayMS: delayMS, AlarmSecondMS: 0.1, UndecidedPolicies: "deny"}
	srv := compliantFleet(b, n, pipe)
	old := drillPoll
	drillPoll = [2]time.Duration{50 * time.Millisecond, 400 * time.Millisecond}
	b.Cleanup(func() { drillPoll = old })
	var follow, wall time.Duration
	for b.Loop() {
		e, out, errOut := testEnv()
		start := time.Now()
		code := runApp(context.Background(), e, []string{"trailwatch", "drill", "--all-profiles", "--parallel", "64", "--yes",
			"--output", "json", "--timeout", "60s"})
		wall += time.Since(start)
		require.Equal(b, exitOK, code, errOut.String())
		var rep drill.Report
		require.NoError(b, json.Unmarshal(out.Bytes(), &rep))
		require.Equal(b, n, rep.Summary.Delivered)
		var lastFired, lastStage time.Time
		for _, r := range rep.Results {
			if r.FiredAt.After(lastFired) {
				lastFired = *r.FiredAt
			}
			for _, s := range r.Stages {
				if s.At != nil && s.At.After(lastStage) {
					lastStage = *s.At
				}
			}
		}
		follow += lastStage.Sub(lastFired)
	}
	require.Len(b, srv.Deliveries(), n*b.N)
	b.ReportMetric(follow.Seconds()/float64(b.N), "s-after-last-trigger")
	b.ReportMetric(float64(delayMS)/1000, "s-delivery-delay")
	b.ReportMetric(wall.Seconds()/float64(b.N), "s-wall")
}
