package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/sandbox"
)

const wireNotify = "sqs:arn:aws:sqs:us-east-1:111111111111:alerts"

// runFixUntil runs fix --yes --wire-logs and cancels its context (the first
// Ctrl-C) when interrupt returns true, polled every millisecond.
func runFixUntil(t *testing.T, journal string, interrupt func() bool, extra ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if interrupt() {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	e, out, errOut := testEnv()
	args := append([]string{"trailwatch", "fix", "--yes", "--wire-logs", "--notify", wireNotify, "--journal", journal}, extra...)
	code := runApp(ctx, e, args)
	return code, out.String() + errOut.String()
}

// journaledOps is the operations of the journal's entries, each with its result.
func journaledOps(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var e fix.Entry
		require.NoError(t, json.Unmarshal([]byte(line), &e))
		out = append(out, e.Operation+" "+e.Result)
	}
	return out
}

// appliedOps is what the sandbox applied: each write it answered, in order.
func appliedOps(srv *sandbox.Server, from int) []string {
	var out []string
	for _, e := range srv.Requests()[from:] {
		if isWriteRequest(e) {
			result := "ok"
			if e.Status != 200 {
				result = "error"
			}
			out = append(out, iamAction(e)+" "+result)
		}
	}
	return out
}

func loggedOK(srv *sandbox.Server, from int, op string) bool {
	for _, e := range srv.Requests()[from:] {
		if iamAction(e) == op && e.Status == 200 {
			return true
		}
	}
	return false
}

func stateHas(srv *sandbox.Server, text string) bool {
	b, err := srv.DumpState()
	return err == nil && strings.Contains(string(b), text)
}

// withoutScenarioAlarm deletes the no-cloudwatch-logs scenario's alarm, so
// fix has the whole chain to build (topic, subscription, delivery, filter,
// alarm: 8 changes) rather than delivery and the filter alone, and an
// interrupt has writes before and after it to land between.
func withoutScenarioAlarm(t *testing.T, srv *sandbox.Server) {
	t.Helper()
	seedSafety(t, srv, func(r map[string]any) { delete(r["alarms"].(map[string]any), "cloudtrail-config-changes") })
}

// finalCheck is check's JSON for the account, the part an interrupted and
// re-run fix must agree on with an uninterrupted one.
func finalCheck(t *testing.T) []check.Result {
	t.Helper()
	_, rep := checkJSON(t)
	return rep.Results
}

// SIGINT at each phase of fix: the journal equals what the sandbox applied,
// the statuses say not started / interrupted after K of N, the exit code is
// 130, and a re-run converges to the state an uninterrupted run reaches.
func TestFixInterruptedAtEachPhase(t *testing.T) {
	srv := startFixSandbox(t, "no-cloudwatch-logs")
	withoutScenarioAlarm(t, srv)
	code, out := runFixUntil(t, filepath.Join(t.TempDir(), "j.jsonl"), func() bool { return false })
	require.Equal(t, exitOK, code, out)
	uninterrupted := finalCheck(t)
	require.Equal(t, check.Pass, uninterrupted[0].Status)

	for _, tc := range []struct {
		name      string
		faults    sandbox.Faults
		interrupt func(srv *sandbox.Server, mark int) bool
		// want is the account's outcome line; "" when fix stops before applying.
		want string
	}{
		{"while reading", sandbox.Faults{DelayResponses: []sandbox.DelayedResponse{{Operation: "cloudtrail:GetTrailStatus", DelayMS: 300}}},
			func(srv *sandbox.Server, mark int) bool { return len(srv.Requests()) > mark }, ""},
		{"between writes", sandbox.Faults{LatencyMS: 30},
			func(srv *sandbox.Server, mark int) bool { return loggedOK(srv, mark, "logs:CreateLogGroup") }, "interrupted after"},
		{"during a write whose answer is delayed", sandbox.Faults{DelayResponses: []sandbox.DelayedResponse{{Operation: "iam:CreateRole", DelayMS: 400}}},
			func(srv *sandbox.Server, mark int) bool { return stateHas(srv, "trailwatch-cloudtrail-logs") }, "interrupted after 4 of 8 changes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, srv.LoadScenario("no-cloudwatch-logs", sandbox.ScenarioParams{}))
			withoutScenarioAlarm(t, srv)
			srv.SetFaults(tc.faults)
			journal := filepath.Join(t.TempDir(), "j.jsonl")
			mark := len(srv.Requests())
			code, out := runFixUntil(t, journal, func() bool { return tc.interrupt(srv, mark) })
			require.Equal(t, exitCancelled, code, out)
			applied := appliedOps(srv, mark)
			require.Equal(t, applied, journaledOps(t, journal), "the journal is what the sandbox applied\n%s", out)
			for _, op := range applied {
				require.True(t, strings.HasSuffix(op, " ok"), "no write was cut short: %v", applied)
			}
			if tc.want == "" {
				require.Empty(t, applied, out)
			} else {
				require.Contains(t, out, tc.want, out)
				require.NotEmpty(t, applied)
				require.Contains(t, out, "not started")
				require.NotContains(t, out, "context canceled")
			}

			srv.SetFaults(sandbox.Faults{})
			code, out = runFixUntil(t, filepath.Join(t.TempDir(), "j.jsonl"), func() bool { return false })
			require.Equal(t, exitOK, code, out)
			require.Equal(t, uninterrupted, finalCheck(t), "the re-run converges to the uninterrupted state")
		})
	}
}

// --rollback of an interrupted account undoes what it created, newest
// first, and leaves nothing pointing at what it deleted; a plain fix then
// converges.
func TestFixInterruptedWithRollback(t *testing.T) {
	srv := startFixSandbox(t, "no-cloudwatch-logs")
	withoutScenarioAlarm(t, srv)
	before := safetyResources(t, srv)
	srv.SetFaults(sandbox.Faults{DelayResponses: []sandbox.DelayedResponse{{Operation: "logs:PutMetricFilter", DelayMS: 400}}})
	journal := filepath.Join(t.TempDir(), "j.jsonl")
	mark := len(srv.Requests())
	var wired time.Time
	code, out := runFixUntil(t, journal, func() bool {
		// The filter follows the trail's wiring and is held back 400 ms
		// after it is applied: interrupt inside that window.
		if wired.IsZero() && loggedOK(srv, mark, "cloudtrail:UpdateTrail") {
			wired = time.Now()
		}
		return !wired.IsZero() && time.Since(wired) > 150*time.Millisecond
	}, "--rollback")
	require.Equal(t, exitCancelled, code, out)
	require.Contains(t, out, "interrupted after 7 of 8 changes", out)
	require.Contains(t, out, "rolled back: logs:DeleteMetricFilter", "the write in flight was completed, so it is undone too")
	require.Equal(t, appliedOps(srv, mark), journaledOps(t, journal), "the journal is what the sandbox applied, rollback included\n%s", out)
	require.Equal(t, before, safetyResources(t, srv), "everything this run created is gone, the trail unwired\n%s", out)

	srv.SetFaults(sandbox.Faults{})
	code, out = runFixUntil(t, filepath.Join(t.TempDir(), "j.jsonl"), func() bool { return false })
	require.Equal(t, exitOK, code, out)
	require.Equal(t, check.Pass, finalCheck(t)[0].Status)
}

// The second Ctrl-C exits at once, after the journal entry being written is
// on disk; the first only cancels.
func TestSecondInterruptExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	j, err := fix.OpenJournal(filepath.Join(dir, "j.jsonl"))
	require.NoError(t, err)
	e, _, stderr := testEnv()
	e.aborts = &abortList{}
	e.atAbort(j.Abandon)
	sigs := make(chan os.Signal, 2)
	cancelled := make(chan struct{})
	exited := make(chan int, 1)
	go watchInterrupts(sigs, func() { close(cancelled) }, e, func(code int) { exited <- code })

	sigs <- syscall.SIGINT
	<-cancelled
	require.NoError(t, j.Record(fix.Entry{Operation: "sns:CreateTopic", Result: "ok"}), "after the first, writes are still journaled")
	select {
	case <-exited:
		t.Fatal("the first interrupt must not exit")
	case <-time.After(20 * time.Millisecond):
	}
	sigs <- syscall.SIGINT
	require.Equal(t, exitCancelled, <-exited)
	require.Contains(t, stderr.String(), "interrupted again: exiting now")
	require.ErrorContains(t, j.Record(fix.Entry{Operation: "sns:Subscribe"}), "abandoned", "nothing is journaled after the exit began")
	require.Equal(t, []string{"sns:CreateTopic ok"}, journaledOps(t, filepath.Join(dir, "j.jsonl")))
}

// The same through a real SIGINT to a trailwatch process (the tests above
// cancel the context the signal handler cancels): sent while the answer to
// the delayed iam:CreateRole is held back, the write completes and is
// journaled, the rest is not started, and the process exits 130.
func TestFixProcessInterruptedBySIGINT(t *testing.T) {
	if os.Getenv("TRAILWATCH_FIX_CHILD") == "1" {
		os.Exit(Run([]string{"trailwatch", "fix", "--yes", "--wire-logs", "--notify", wireNotify, "--journal", os.Getenv("TRAILWATCH_JOURNAL")},
			strings.NewReader(""), os.Stdout, os.Stderr))
	}
	srv := startFixSandbox(t, "no-cloudwatch-logs")
	withoutScenarioAlarm(t, srv)
	srv.SetFaults(sandbox.Faults{DelayResponses: []sandbox.DelayedResponse{{Operation: "iam:CreateRole", DelayMS: 400}}})
	journal := filepath.Join(t.TempDir(), "j.jsonl")
	mark := len(srv.Requests())

	cmd := exec.Command(os.Args[0], "-test.run=^TestFixProcessInterruptedBySIGINT$")
	cmd.Env = append(os.Environ(), "TRAILWATCH_FIX_CHILD=1", "TRAILWATCH_JOURNAL="+journal)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(30 * time.Second)
	for !stateHas(srv, "trailwatch-cloudtrail-logs") {
		require.True(t, time.Now().Before(deadline), "the role was never created:\n%s", out.String())
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, out.String())
	require.Equal(t, exitCancelled, exit.ExitCode(), out.String())
	require.Contains(t, out.String(), "interrupted after 4 of 8 changes")
	applied := appliedOps(srv, mark)
	require.Contains(t, applied, "iam:CreateRole ok", "the write in flight completed")
	require.Equal(t, applied, journaledOps(t, journal), "the journal is what the sandbox applied\n%s", out.String())
}
