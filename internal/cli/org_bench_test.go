package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
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
// account and 999 members) with 100 ms per request at --parallel 32. The
// bound is the fleet benchmarks' — 1.2 × critical path × 100 ms ×
// ⌈accounts/32⌉, the critical path being the most sequential round trips
// any account needed (sandbox.CriticalPath over its requests, plus the
// member's AssumeRole, which the sandbox logs under the seat) — plus the
// seat's discovery, which comes before any member: its identity, the
// organization and the pages of ListAccounts, one after another. The
// benchmark fails above the bound, unless each active member was assumed
// exactly once, or when a verdict is not the scenario's; it reports the
// peak heap (sandbox included, as it runs in-process).
func BenchmarkCheckOrg1000(b *testing.B) {
	const (
		members  = 999
		parallel = 32
		latency  = 100 * time.Millisecond
	)
	srv := benchOrg(b, "org", members, int(latency/time.Millisecond))
	var heap float64
	for b.Loop() {
		b.StopTimer()
		// A fresh world empties the request log (it keeps 10,000 entries).
		require.NoError(b, srv.LoadScenario("org", sandbox.ScenarioParams{Accounts: members}))
		srv.SetFaults(sandbox.Faults{LatencyMS: int(latency / time.Millisecond)})
		stop := peakHeap()
		b.StartTimer()
		start := time.Now()
		e, out, errOut := testEnv()
		code := runApp(context.Background(), e, []string{"trailwatch", "check", "--org", "--parallel", "32", "--output", "json"})
		wall := time.Since(start)
		b.StopTimer()
		heap = max(heap, stop())
		if code != exitFailed {
			b.Fatalf("check --org exited %d, want %d (one member cannot be assumed): %s", code, exitFailed, errOut.String())
		}
		var rep check.Report
		require.NoError(b, json.Unmarshal(out.Bytes(), &rep))
		verifyOrgVerdicts(b, rep, members)

		byAccount := map[string][]sandbox.LogEntry{}
		var discovery []sandbox.LogEntry
		assumed := 0
		for _, e := range srv.Requests() {
			switch {
			case e.Service == "organizations" || (e.Service == "sts" && e.Action == "GetCallerIdentity" && e.Account == sandbox.DefaultAccount && len(byAccount[e.Account]) == 0):
				discovery = append(discovery, e)
			case e.Service == "sts" && e.Action == "AssumeRole":
				assumed++
			default:
				byAccount[e.Account] = append(byAccount[e.Account], e)
			}
		}
		if assumed != members-1 {
			b.Fatalf("%d AssumeRole calls, want %d: one per active member", assumed, members-1)
		}
		path := 0
		for account, entries := range byAccount {
			n := sandbox.CriticalPath(entries)
			if account != sandbox.DefaultAccount {
				n++ // its AssumeRole, before everything else it asks
			}
			path = max(path, n)
		}
		rounds := (members + 1 + parallel - 1) / parallel
		discoveryTime := time.Duration(sandbox.CriticalPath(discovery)) * latency
		critical := discoveryTime + time.Duration(path*rounds)*latency
		bound := discoveryTime + time.Duration(1.2*float64(path)*float64(latency)*float64(rounds))
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(critical.Seconds(), "critical-path-s")
		b.ReportMetric(bound.Seconds(), "bound-s")
		b.ReportMetric(wall.Seconds()/critical.Seconds(), "x-critical-path")
		b.ReportMetric(float64(path), "round-trips")
		b.ReportMetric(discoveryTime.Seconds(), "discovery-s")
		b.ReportMetric(float64(assumed)/float64(members-1), "assume-per-member")
		if wall > bound {
			b.Errorf("%s, above the bound %s (%d round trips, %s of discovery)", wall.Round(time.Millisecond), bound.Round(time.Millisecond), path, discoveryTime)
		}
		b.StartTimer()
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
