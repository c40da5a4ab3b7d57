package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/sandbox"
)

// familyFleetAccounts sizes BenchmarkCheckFamilyLatency100: 1,000 accounts,
// or TRAILWATCH_FAMILY_BENCH_ACCOUNTS for a quicker trial of the same shape.
func familyFleetAccounts(b *testing.B) int {
	if v := os.Getenv("TRAILWATCH_FAMILY_BENCH_ACCOUNTS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err)
		return n
	}
	return 1000
}

// BenchmarkCheckFamilyLatency100 checks a fleet whose every account carries
// all fifteen controls' chains on one trail, log group and topic (the fleet
// scenario's breaks fall on cloudtrail-changes), with 100 ms per request at
// --parallel 16: once for the default control alone, once with --control
// all. Fifteen controls read the same trail, filters and topic and add only
// their alarm lookups, side by side, so the critical path in round trips is
// one control's (the median compliant account's, counted from the
// sandbox's request log) and the wall time may grow by CPU alone: at most
// 1.3 times one control's. Fifteen controls cost about 10 ms of CPU per
// account against 3 for one (client and sandbox together; reported as
// cpu-s): --parallel 16 keeps a wave of accounts latency-bound (4 round
// trips, 400 ms, against some 160 ms of CPU) even when the other users of
// a shared 2-core machine leave it one core.
func BenchmarkCheckFamilyLatency100(b *testing.B) {
	n, parallel := familyFleetAccounts(b), 16
	all := control.All()
	srv := benchFleetOf(b, sandbox.Options{Scenario: "fleet", Accounts: n, Family: all})
	run := func(args ...string) (wall time.Duration, paths []int, cpu float64) {
		b.Helper()
		require.NoError(b, srv.LoadScenario("fleet", sandbox.ScenarioParams{Accounts: n, Family: all}))
		srv.SetFaults(sandbox.Faults{LatencyMS: 100})
		e, out, errOut := testEnv()
		cpuBefore := processCPU()
		start := time.Now()
		runApp(context.Background(), e, append([]string{"trailwatch", "check", "--all-profiles", "--parallel", strconv.Itoa(parallel), "--output", "json"}, args...))
		wall = time.Since(start)
		cpu = processCPU() - cpuBefore
		var rep check.Report
		require.NoError(b, json.Unmarshal(out.Bytes(), &rep), errOut.String())
		require.Equal(b, n, rep.Summary.Accounts)
		require.Len(b, rep.Results, n*max(1, len(rep.Controls)))
		return wall, accountPaths(srv.Requests()), cpu
	}
	for b.Loop() {
		b.StopTimer()
		oneWall, onePaths, oneCPU := run()
		b.StartTimer()
		allWall, allPaths, allCPU := run("--control", "all")
		// The median compliant account's path is the structure; the
		// longest also counts a request the machine's load held back.
		onePath, allPath := onePaths[len(onePaths)/2], allPaths[len(allPaths)/2]
		b.StopTimer()
		ratio := allWall.Seconds() / oneWall.Seconds()
		b.ReportMetric(oneWall.Seconds(), "one-control-wall-s")
		b.ReportMetric(allWall.Seconds(), "all-controls-wall-s")
		b.ReportMetric(ratio, "ratio")
		b.ReportMetric(float64(onePath), "one-control-round-trips")
		b.ReportMetric(float64(allPath), "all-controls-round-trips")
		b.ReportMetric(float64(onePaths[len(onePaths)-1]), "one-control-longest-round-trips")
		b.ReportMetric(float64(allPaths[len(allPaths)-1]), "all-controls-longest-round-trips")
		// CPU of the whole process, the sandbox's included: what the
		// extra controls cost beside their waiting.
		b.ReportMetric(oneCPU, "one-control-cpu-s")
		b.ReportMetric(allCPU, "all-controls-cpu-s")
		if ratio > 1.3 {
			b.Errorf("%d controls took %s, %.2f× one control's %s (bound 1.3×)", len(all), allWall.Round(time.Millisecond), ratio, oneWall.Round(time.Millisecond))
		}
		if allPath > onePath {
			b.Errorf("critical path: %d round trips for %d controls, %d for one", allPath, len(all), onePath)
		}
		b.StartTimer()
	}
}

// processCPU is the CPU time the process has used, in seconds (as the Go
// runtime estimates it, GC included, idle time not).
func processCPU() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/total:cpu-seconds"}, {Name: "/cpu/classes/idle:cpu-seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64() - s[1].Value.Float64()
}

// accountPaths are the critical paths, in round trips, of the fleet's
// compliant accounts (every link read, for one control as for fifteen)
// whose every request is still in the log (it keeps the latest 10,000):
// those whose identity call is there. Sorted.
func accountPaths(entries []sandbox.LogEntry) []int {
	byAccount := map[string][]sandbox.LogEntry{}
	whole := map[string]bool{}
	for _, e := range entries {
		byAccount[e.Account] = append(byAccount[e.Account], e)
		if e.Action == "GetCallerIdentity" {
			whole[e.Account] = true
		}
	}
	var paths []int
	kinds := 1 + len(sandbox.FailReasons) // the fleet cycles compliant, then each reason
	for account, es := range byAccount {
		i, err := strconv.Atoi(account)
		if whole[account] && err == nil && (i-100000000001)%kinds == 0 {
			paths = append(paths, sandbox.CriticalPath(es))
		}
	}
	slices.Sort(paths)
	return paths
}

// benchFleetOf serves the sandbox opts describe on 127.0.0.1 with one
// profile per account, as benchFleet does for the plain fleet.
func benchFleetOf(b *testing.B, opts sandbox.Options) *sandbox.Server {
	b.Helper()
	srv, err := sandbox.New(opts)
	require.NoError(b, err)
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(b, err)
	b.Cleanup(func() { running.Close() })
	dir := b.TempDir()
	var config, creds strings.Builder
	for _, c := range srv.Credentials() {
		config.WriteString("[profile a" + c.Account + "]\nregion = " + sandbox.DefaultRegion + "\n")
		creds.WriteString("[a" + c.Account + "]\naws_access_key_id = " + c.AccessKey + "\naws_secret_access_key = s\n")
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
