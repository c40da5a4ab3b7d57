package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/sandbox"
)

// BenchmarkFixFamilyFleet50 fixes a fleet of 50 accounts from scratch each
// time (the reload is not timed), 8 at a time with 5 ms of latency per
// request: check, plan, apply and check again, for the default control
// alone and for all fifteen. The figures are wall time per run, the API
// calls and the writes each account costs.
func BenchmarkFixFamilyFleet50(b *testing.B) {
	const n = 50
	for _, tc := range []struct {
		name    string
		control string
	}{{"1-control", "cloudtrail-changes"}, {"15-controls", "all"}} {
		b.Run(tc.name, func(b *testing.B) {
			srv := benchFleet(b, n, 5)
			calls, writes := 0, 0
			for b.Loop() {
				b.StopTimer()
				require.NoError(b, srv.LoadScenario("fleet", sandbox.ScenarioParams{Accounts: n}))
				srv.SetFaults(sandbox.Faults{LatencyMS: 5})
				start := totalRequests(srv)
				b.StartTimer()
				e, _, _ := testEnv()
				code := runApp(context.Background(), e, []string{"trailwatch", "fix", "--control", tc.control, "--yes", "--all-profiles", "--parallel", "8", "--wire-logs",
					"--notify", "sqs:arn:aws:sqs:us-east-1:111111111111:alerts", "--journal", filepath.Join(b.TempDir(), "j.jsonl")})
				if code != exitFindings {
					b.Fatalf("fix exited %d, want %d (some accounts need a person)", code, exitFindings)
				}
				calls += totalRequests(srv) - start
				writes += writeCount(srv)
			}
			b.ReportMetric(float64(calls)/float64(b.N)/n, "calls/account")
			b.ReportMetric(float64(writes)/float64(b.N)/n, "writes/account")
		})
	}
}

// writeCount counts the write requests since the scenario was loaded, from
// the sandbox's counts (its request log keeps only the latest entries).
func writeCount(srv *sandbox.Server) int {
	n := 0
	for op, c := range srv.Counts() {
		service, action, _ := strings.Cut(op, ":")
		if isWriteRequest(sandbox.LogEntry{Service: service, Action: action}) {
			n += c
		}
	}
	return n
}
