package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/sandbox"
)

// benchOrg serves an org scenario with members on 127.0.0.1, reached from
// the management account's keys in the environment, with latencyMS added
// to every API request to stand in for the network.
func benchOrg(b *testing.B, scenario string, members, latencyMS int) *sandbox.Server {
	b.Helper()
	srv, err := sandbox.New(sandbox.Options{Scenario: scenario, Accounts: members})
	require.NoError(b, err)
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(b, err)
	b.Cleanup(func() { running.Close() })
	dir := b.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": running.URL, "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "AWS_ACCESS_KEY_ID": sandbox.DefaultAccessKey,
		"AWS_SECRET_ACCESS_KEY": "s", "AWS_PROFILE": "", "AWS_REGION": sandbox.DefaultRegion,
		"AWS_EC2_METADATA_DISABLED": "true", "XDG_STATE_HOME": dir, "AWS_CA_BUNDLE": "",
	} {
		b.Setenv(k, v)
	}
	srv.SetFaults(sandbox.Faults{LatencyMS: latencyMS})
	return srv
}

// peakHeap samples the heap in use until stop is called and returns the
// highest value seen, in MiB. The sandbox runs in the same process, so the
// figure includes its state of the whole organization.
func peakHeap() (stop func() float64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() float64 {
		close(done)
		wg.Wait()
		return float64(peak.Load()) / (1 << 20)
	}
}

// BenchmarkCheckOrg1000 is check --org over 1,000 accounts (the management
// account and 999 members) with 100 ms per request at --parallel 32. It
// reports wall time per run against two bounds drawn from the sandbox's
// request log: the critical path as the fleet benchmarks state it (the most
// sequential requests any account made, AssumeRole included, × 100 ms ×
// ⌈accounts/32⌉, plus the seat's discovery requests, which come first), and
// the tighter work bound (all accounts' sequential requests spread over 32
// workers, plus discovery). It fails unless each member but the suspended
// one was assumed exactly once and the verdicts are the scenario's.
func BenchmarkCheckOrg1000(b *testing.B) {
	const (
		members  = 999
		parallel = 32
		latency  = 100 * time.Millisecond
	)
	srv := benchOrg(b, "org", members, int(latency/time.Millisecond))
	var wall time.Duration
	var heap float64
	for b.Loop() {
		mark := len(srv.Requests())
		stop := peakHeap()
		start := time.Now()
		var out, errOut bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: os.Getenv, isTerminal: func(any) bool { return false }}
		code := runApp(context.Background(), e, []string{"trailwatch", "check", "--org", "--parallel", "32", "--output", "json"})
		wall = time.Since(start)
		heap = max(heap, stop())
		if code != exitFailed {
			b.Fatalf("check --org exited %d, want %d (one member cannot be assumed): %s", code, exitFailed, errOut.String())
		}
		var rep check.Report
		require.NoError(b, json.Unmarshal(out.Bytes(), &rep))
		verifyOrgVerdicts(b, rep, members)
		perAccount := map[string]int{}
		assumed := map[string]int{}
		discovery := 0
		for _, e := range srv.Requests()[mark:] {
			switch {
			case e.Service == "organizations" || (e.Service == "sts" && e.Action == "GetCallerIdentity"):
				discovery++
			case e.Service == "sts" && e.Action == "AssumeRole":
				// Logged under the caller (the seat); charged to the member
				// it reaches, whose first request it is.
				assumed["member"]++
			default:
				perAccount[e.Account]++
			}
		}
		if assumed["member"] != members-1 {
			b.Fatalf("%d AssumeRole calls, want %d: one per active member", assumed["member"], members-1)
		}
		longest, total := 0, 0
		for account, n := range perAccount {
			if account != sandbox.DefaultAccount {
				n++ // its AssumeRole
			}
			longest = max(longest, n)
			total += n
		}
		total++ // the unassumable member's refused AssumeRole, its only request
		rounds := (members + 1 + parallel - 1) / parallel
		bound := time.Duration(discovery+longest*rounds) * latency
		work := time.Duration(discovery)*latency + time.Duration(float64(total)/parallel*float64(latency))
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(bound.Seconds(), "critical-path-s")
		b.ReportMetric(wall.Seconds()/bound.Seconds(), "x-critical-path")
		b.ReportMetric(work.Seconds(), "work-bound-s")
		b.ReportMetric(float64(longest), "max-sequential-requests")
		b.ReportMetric(float64(discovery), "discovery-requests")
		b.ReportMetric(float64(assumed["member"])/float64(members-1), "assume-per-member")
	}
	b.ReportMetric(heap, "peak-heap-MiB")
}

// verifyOrgVerdicts holds a check --org report of the org scenario to its
// verdicts: every member PASSes through the organization trail but the
// unassumable one (ERROR, ASSUME_ROLE_FAILED) and the suspended one
// (skipped).
func verifyOrgVerdicts(b *testing.B, rep check.Report, members int) {
	b.Helper()
	if len(rep.Results) != members || len(rep.Skipped) != 1 || rep.Skipped[0].Account != sandbox.OrgSuspendedMember {
		b.Fatalf("%d results and skipped %v, want %d and the suspended member", len(rep.Results), rep.Skipped, members)
	}
	for _, r := range rep.Results {
		switch {
		case r.Account == sandbox.OrgUnassumableMember:
			if r.Status != check.Error || r.ErrorCode != "ASSUME_ROLE_FAILED" {
				b.Fatalf("unassumable member: %s %s %s", r.Status, r.ErrorCode, r.Message)
			}
		case r.Account == sandbox.DefaultAccount:
			if r.Status != check.Pass || r.Via != nil {
				b.Fatalf("management account: %s %s", r.Status, r.Message)
			}
		case r.Status != check.Pass || r.Via == nil || r.Via.Kind != "organization_trail":
			b.Fatalf("member %s: %s %s", r.Account, r.Status, r.Message)
		}
	}
}

// BenchmarkFixOrg200 is fix --org --yes over an organization of 200
// members whose organization trail has no alarm, with 5 ms per request:
// check, plan, apply and re-check. Each run starts from the scenario (the
// reload is not timed) and fails unless the chain was fixed once, in the
// owner alone, and, once the subscription is confirmed, check --org passes
// every account but the unassumable one and a second fix writes nothing.
func BenchmarkFixOrg200(b *testing.B) {
	const members = 200
	srv := benchOrg(b, "org-unmonitored", members, 5)
	journal := filepath.Join(b.TempDir(), "j.jsonl")
	for b.Loop() {
		b.StopTimer()
		require.NoError(b, srv.LoadScenario("org-unmonitored", sandbox.ScenarioParams{Accounts: members}))
		srv.SetFaults(sandbox.Faults{LatencyMS: 5})
		b.StartTimer()
		code := benchRun(b, "fix", "--org", "--yes", "--parallel", "32", "--notify", "email:security@example.com", "--journal", journal)
		b.StopTimer()
		if code != exitFindings {
			b.Fatalf("fix --org exited %d, want %d (a subscription awaits confirmation)", code, exitFindings)
		}
		writes := writesByAccount(srv, 0)
		if len(writes) != 1 || len(writes[sandbox.DefaultAccount]) != 3 {
			b.Fatalf("writes %v: want the owner's three (topic, subscription, alarm) only", writes)
		}
		srv.ConfirmPendingSubscriptions()
		if code := benchRun(b, "check", "--org", "--parallel", "32", "--exclude-accounts", sandbox.OrgUnassumableMember); code != exitOK {
			b.Fatalf("check --org after fix exited %d, want 0", code)
		}
		mark := len(srv.Requests())
		benchRun(b, "fix", "--org", "--yes", "--parallel", "32", "--notify", "email:security@example.com", "--journal", journal)
		if w := writesByAccount(srv, mark); len(w) != 0 {
			b.Fatalf("a second fix wrote %v", w)
		}
		b.StartTimer()
	}
	_ = os.Remove(journal)
}
