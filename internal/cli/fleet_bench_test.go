package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/sandbox"
)

// benchFleet serves a fleet of n accounts on 127.0.0.1, one profile each,
// with latencyMS added to every API request to stand in for the network.
func benchFleet(b *testing.B, n, latencyMS int) *sandbox.Server {
	b.Helper()
	srv := benchFleetOf(b, sandbox.Options{Scenario: "fleet", Accounts: n})
	srv.SetFaults(sandbox.Faults{LatencyMS: latencyMS})
	return srv
}

func benchRun(b *testing.B, args ...string) int {
	e, _, _ := testEnv()
	return runApp(context.Background(), e, append([]string{"trailwatch"}, args...))
}

func totalRequests(srv *sandbox.Server) int {
	n := 0
	for _, c := range srv.Counts() {
		n += c
	}
	return n
}

// BenchmarkCheckFleet20 checks 20 accounts, 8 at a time, with 5 ms of
// latency per request: the figure is wall time per whole run, and the API
// calls each account costs.
func BenchmarkCheckFleet20(b *testing.B) {
	srv := benchFleet(b, 20, 5)
	before := totalRequests(srv)
	for b.Loop() {
		if code := benchRun(b, "check", "--all-profiles", "--parallel", "8", "--output", "json"); code != exitFindings {
			b.Fatalf("check exited %d, want %d (the fleet has failing accounts)", code, exitFindings)
		}
	}
	b.ReportMetric(float64(totalRequests(srv)-before)/float64(b.N)/20, "calls/account")
}

// BenchmarkFixFleet20 fixes the same fleet from scratch each time (the
// reload is not timed): check, plan, apply and check again.
func BenchmarkFixFleet20(b *testing.B) {
	srv := benchFleet(b, 20, 5)
	calls := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		require.NoError(b, srv.LoadScenario("fleet", sandbox.ScenarioParams{Accounts: 20}))
		srv.SetFaults(sandbox.Faults{LatencyMS: 5})
		start := totalRequests(srv)
		b.StartTimer()
		code := benchRun(b, "fix", "--yes", "--all-profiles", "--parallel", "8", "--wire-logs",
			"--notify", "sqs:arn:aws:sqs:us-east-1:111111111111:alerts", "--journal", filepath.Join(b.TempDir(), "j.jsonl"))
		if code != exitFindings {
			b.Fatalf("fix exited %d, want %d (8 accounts need a person)", code, exitFindings)
		}
		calls += totalRequests(srv) - start
	}
	b.ReportMetric(float64(calls)/float64(b.N)/20, "calls/account")
}

// BenchmarkStartup loads every profile of shared files with n profiles, as
// --all-profiles does before its first request: the time, the heap the
// loaded configurations keep (after a GC), and the bytes allocated.
func BenchmarkStartup(b *testing.B) {
	for _, n := range []int{1000, 2000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			dir := b.TempDir()
			var config, creds strings.Builder
			for i := range n {
				fmt.Fprintf(&config, "[profile p%d]\nregion = %s\n", i, sandbox.DefaultRegion)
				fmt.Fprintf(&creds, "[p%d]\naws_access_key_id = AKIA%016d\naws_secret_access_key = s\n", i, i)
			}
			require.NoError(b, os.WriteFile(filepath.Join(dir, "config"), []byte(config.String()), 0o600))
			require.NoError(b, os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds.String()), 0o600))
			for k, v := range map[string]string{
				"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
				"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "", "AWS_REGION": "", "AWS_EC2_METADATA_DISABLED": "true",
			} {
				b.Setenv(k, v)
			}
			e, _, _ := testEnv()
			var kept, peak uint64
			var slowest time.Duration
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				stop := sampleHeap(&peak)
				start := time.Now()
				targets, err := selection{all: true}.targets(context.Background(), e, e.aws)
				slowest = max(slowest, time.Since(start))
				stop()
				require.NoError(b, err)
				require.Len(b, targets, n)
				runtime.GC()
				runtime.ReadMemStats(&after)
				kept = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
				runtime.KeepAlive(targets)
			}
			b.ReportMetric(float64(kept)/(1<<20), "MB-kept")
			b.ReportMetric(float64(kept)/float64(n)/1024, "KB-kept/profile")
			b.ReportMetric(float64(peak)/(1<<20), "MB-peak-heap")
			// The targets at 1,000 profiles; 2,000 shows the growth.
			if n == 1000 && (slowest > time.Second || peak > 200<<20) {
				b.Errorf("%d profiles: %s before the first request and a %d MB peak heap, want at most 1s and 200 MB",
					n, slowest.Round(time.Millisecond), peak>>20)
			}
		})
	}
}

// sampleHeap records the largest heap (live and not yet collected objects)
// seen every millisecond until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			metrics.Read(sample)
			*peak = max(*peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() { close(done); <-finished }
}

// benchCheck runs check --output json over every profile and returns the
// verdict per account.
func benchCheck(b *testing.B, parallel int) (map[string]check.Result, time.Duration) {
	b.Helper()
	e, out, errOut := testEnv()
	start := time.Now()
	runApp(context.Background(), e, []string{"trailwatch", "check", "--all-profiles", "--parallel", strconv.Itoa(parallel), "--output", "json"})
	wall := time.Since(start)
	var rep check.Report
	require.NoError(b, json.Unmarshal(out.Bytes(), &rep), errOut.String())
	byAccount := map[string]check.Result{}
	for _, r := range rep.Results {
		byAccount[r.Account] = r
	}
	return byAccount, wall
}

func verdict(r check.Result) string {
	return strings.TrimSpace(string(r.Status) + " " + string(r.Reason))
}

// BenchmarkCheckFleetWeather checks 1,000 accounts at --parallel 64 with
// 20 ms latency, under 30% throttling and 5% server errors, then 60%
// throttling: every verdict must be the calm-weather one, with no ERROR at
// 0.3 and at most 1% (each saying it was throttled) at 0.6.
func BenchmarkCheckFleetWeather(b *testing.B) {
	const n = 1000
	srv := benchFleet(b, n, 20)
	calm, _ := benchCheck(b, 64)
	require.Len(b, calm, n)
	b.Run("calm", func(b *testing.B) {
		for b.Loop() {
			results, wall := benchCheck(b, 64)
			for account, r := range results {
				require.Equal(b, verdict(calm[account]), verdict(r), account)
			}
			b.ReportMetric(wall.Seconds(), "wall-s")
		}
	})
	for _, w := range []struct {
		throttle, errors float64
		maxErrors        int
	}{{0.3, 0.05, 0}, {0.6, 0.05, n / 100}} {
		b.Run(fmt.Sprintf("throttle=%.1f,errors=%.2f", w.throttle, w.errors), func(b *testing.B) {
			for b.Loop() {
				srv.SetFaults(sandbox.Faults{LatencyMS: 20, ThrottleRate: w.throttle, ErrorRate: w.errors})
				stormy, wall := benchCheck(b, 64)
				srv.SetFaults(sandbox.Faults{LatencyMS: 20})
				require.Len(b, stormy, n, "every account identified")
				errs := 0
				for account, r := range stormy {
					if r.Status == check.Error {
						errs++
						require.Equal(b, "THROTTLED", r.ErrorCode, "%s: %s", account, r.Message)
						require.Contains(b, r.Message, "throttled by AWS after 20 attempts: retry later or lower --parallel")
						continue
					}
					require.Equal(b, verdict(calm[account]), verdict(r), account)
				}
				require.LessOrEqual(b, errs, w.maxErrors)
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(float64(errs), "errors")
			}
		})
	}
}

// BenchmarkFixFleetWeather fixes 200 accounts under 30% throttling and 5%
// server errors in one run: every account a machine can fix ends PASS.
func BenchmarkFixFleetWeather(b *testing.B) {
	const n = 200
	srv := benchFleet(b, n, 20)
	for b.Loop() {
		b.StopTimer()
		require.NoError(b, srv.LoadScenario("fleet", sandbox.ScenarioParams{Accounts: n}))
		srv.SetFaults(sandbox.Faults{LatencyMS: 20, ThrottleRate: 0.3, ErrorRate: 0.05})
		b.StartTimer()
		start := time.Now()
		code := benchRun(b, "fix", "--yes", "--all-profiles", "--parallel", "64", "--wire-logs",
			"--notify", "sqs:arn:aws:sqs:us-east-1:111111111111:alerts", "--journal", filepath.Join(b.TempDir(), "j.jsonl"))
		wall := time.Since(start)
		b.StopTimer()
		require.Equal(b, exitFindings, code, "accounts only a person can fix remain")
		srv.SetFaults(sandbox.Faults{})
		after, _ := benchCheck(b, 64)
		left := 0
		for account, r := range after {
			switch verdict(r) {
			case "PASS":
			case "FAIL NO_MULTI_REGION_TRAIL", "FAIL TRAIL_NOT_LOGGING", "FAIL MANAGEMENT_EVENTS_NOT_CAPTURED", "FAIL LOGS_DELIVERY_FAILING":
				left++
			default:
				b.Fatalf("%s is %s after fix: %s", account, verdict(r), r.Message)
			}
		}
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(left), "person-only")
		b.StartTimer()
	}
}

// BenchmarkCheckLatency100 checks 1,000 accounts with 100 ms per request at
// --parallel 32, 64 and 256. The bound is 1.2 × critical path × 100 ms ×
// ⌈1000/P⌉, the critical path counted from the sandbox's request log.
func BenchmarkCheckLatency100(b *testing.B) {
	const n = 1000
	srv := benchFleet(b, n, 100)
	for _, p := range []int{32, 64, 256} {
		b.Run("parallel="+strconv.Itoa(p), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				// A fresh world empties the request log (it keeps 10,000 entries).
				require.NoError(b, srv.LoadScenario("fleet", sandbox.ScenarioParams{Accounts: n}))
				srv.SetFaults(sandbox.Faults{LatencyMS: 100})
				b.StartTimer()
				results, wall := benchCheck(b, p)
				require.Len(b, results, n)
				byAccount := map[string][]sandbox.LogEntry{}
				for _, e := range srv.Requests() {
					byAccount[e.Account] = append(byAccount[e.Account], e)
				}
				path := 0
				for _, entries := range byAccount {
					path = max(path, sandbox.CriticalPath(entries))
				}
				bound := time.Duration(float64(path) * 1.2 * float64(100*time.Millisecond) * float64((n+p-1)/p))
				b.ReportMetric(wall.Seconds(), "wall-s")
				b.ReportMetric(bound.Seconds(), "bound-s")
				b.ReportMetric(float64(path), "round-trips")
				if wall > bound {
					b.Errorf("--parallel %d: %s, above the bound %s (%d round trips)", p, wall.Round(time.Millisecond), bound.Round(time.Millisecond), path)
				}
			}
		})
	}
}
