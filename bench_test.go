package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/sandbox"
)

// benchFleet serves a fleet of n accounts on 127.0.0.1, one profile each,
// with latencyMS added to every API request to stand in for the network.
func benchFleet(b *testing.B, n, latencyMS int) *sandbox.Server {
	b.Helper()
	srv, err := sandbox.New(sandbox.Options{Scenario: "fleet", Accounts: n})
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
	srv.SetFaults(sandbox.Faults{LatencyMS: latencyMS})
	return srv
}

func benchRun(b *testing.B, args ...string) int {
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: os.Getenv, isTerminal: func(any) bool { return false }}
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
			e := &env{getenv: os.Getenv}
			var kept uint64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				targets, err := selection{all: true}.targets(context.Background(), e, e.aws)
				require.NoError(b, err)
				require.Len(b, targets, n)
				runtime.GC()
				runtime.ReadMemStats(&after)
				kept = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
				runtime.KeepAlive(targets)
			}
			b.ReportMetric(float64(kept)/(1<<20), "MB-kept")
			b.ReportMetric(float64(kept)/float64(n)/1024, "KB-kept/profile")
		})
	}
}
