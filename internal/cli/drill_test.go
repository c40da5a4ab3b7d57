package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/drill"
	"github.com/trailwatch/trailwatch/sandbox"
)

// startDrillSandbox serves scenario with the pipeline on and fast: records
// delivered after 20 ms, a 300-second alarm period lasting 60 ms.
func startDrillSandbox(t *testing.T, scenario string, undecided string) *sandbox.Server {
	t.Helper()
	srv := startSandbox(t, scenario)
	if undecided == "" {
		undecided = "deny"
	}
	require.NoError(t, srv.SetPipeline(sandbox.PipelineConfig{Enabled: true, DeliveryDelayMS: 20, AlarmSecondMS: 0.2, UndecidedPolicies: undecided}))
	old := drillPoll
	drillPoll = [2]time.Duration{5 * time.Millisecond, 40 * time.Millisecond}
	t.Cleanup(func() { drillPoll = old })
	return srv
}

func runDrillCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	e, out, errOut := testEnv()
	args = append([]string{"trailwatch", "drill", "--journal", filepath.Join(t.TempDir(), "journal.jsonl")}, args...)
	code = runApp(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

func drillJSON(t *testing.T, args ...string) (int, drill.Report) {
	t.Helper()
	code, out, stderr := runDrillCmd(t, append([]string{"--yes", "--output", "json"}, args...)...)
	var rep drill.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep), "stdout: %s\nstderr: %s", out, stderr)
	return code, rep
}

func stageOf(r drill.Result, n drill.StageName) (drill.Stage, bool) {
	for _, s := range r.Stages {
		if s.Name == n {
			return s, true
		}
	}
	return drill.Stage{}, false
}

// A compliant account: every stage is seen, each with its time, and the
// subscriber got the alarm.
func TestDrillCompliant(t *testing.T) {
	srv := startDrillSandbox(t, "compliant", "")
	code, rep := drillJSON(t, "--timeout", "5s")
	require.Equal(t, exitOK, code)
	require.Len(t, rep.Results, 1)
	r := rep.Results[0]
	require.Equal(t, drill.Delivered, r.Outcome, "%+v", r)
	require.Len(t, r.Stages, len(drill.Stages))
	for i, s := range r.Stages {
		require.Equal(t, drill.Stages[i], s.Name)
		require.Equal(t, drill.StageOK, s.Status, s.Detail)
		require.NotNil(t, s.At, s.Name)
		require.False(t, s.At.Before(r.FiredAt.Add(-time.Second)), "%s at %s, fired %s", s.Name, s.At, r.FiredAt)
	}
	require.NotEmpty(t, r.RequestID)
	sub, _ := stageOf(r, drill.StageSubscribers)
	require.Contains(t, sub.Detail, "1 confirmed subscriber")
	deliveries := srv.Deliveries()
	require.Len(t, deliveries, 1)
	require.Equal(t, r.Topic, deliveries[0].TopicArn)
	require.Contains(t, sub.Detail, deliveries[0].Endpoint)
	// The only write is the documented trigger.
	require.Equal(t, []string{"cloudtrail:StartLogging"}, drillWrites(srv))
}

// drillWrites are the write calls in the request log, as the sandbox's
// pipeline reads a call's kind.
func drillWrites(srv *sandbox.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		read := false
		for _, p := range []string{"Describe", "Get", "List", "Test", "Filter", "Lookup", "Search", "Check"} {
			read = read || strings.HasPrefix(r.Action, p)
		}
		if !read {
			out = append(out, r.Service+":"+r.Action)
		}
	}
	return out
}
