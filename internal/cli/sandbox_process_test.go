package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/sandbox"
)

// The sandbox has no authentication: an address others can reach is
// refused unless asked for, and so is a size for a scenario it cannot size.
func TestSandboxCommandRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"all interfaces", []string{"--listen", "0.0.0.0:0"}, "--listen 0.0.0.0:0: not a loopback address"},
		{"no host", []string{"--listen", ":0"}, "pass --allow-remote"},
		{"a LAN address", []string{"--listen", "192.168.1.10:4566"}, "not a loopback address"},
		{"a host name", []string{"--listen", "sandbox.example.com:4566"}, "not a loopback address"},
		{"not host:port", []string{"--listen", "4566"}, "--listen 4566: want HOST:PORT, e.g. 127.0.0.1:4566\n"},
		{"accounts without the fleet", []string{"--listen", "127.0.0.1:0", "--accounts", "5"}, `--accounts sizes the fleet and org scenarios only, not "the default"`},
		{"accounts with another scenario", []string{"--listen", "127.0.0.1:0", "--scenario", "compliant", "--accounts", "5"}, `not "compliant"`},
		{"too many accounts", []string{"--listen", "127.0.0.1:0", "--scenario", "fleet", "--accounts", "1001"}, "want 1 to 1000"},
		{"too few members", []string{"--listen", "127.0.0.1:0", "--scenario", "org", "--accounts", "1"}, "--accounts 1: want 2 to 1000 for the org scenario"},
		{"no accounts", []string{"--listen", "127.0.0.1:0", "--scenario", "fleet", "--accounts", "0"}, "--accounts 0: want 1 to 1000 for the fleet scenario"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := runApp(context.Background(), sandboxTestEnv(&stderr), append([]string{"trailwatch", "sandbox"}, tc.args...))
			require.Equal(t, exitUsage, code, stderr.String())
			require.Contains(t, stderr.String(), tc.want)
		})
	}
	for _, ok := range []string{"127.0.0.1:4566", "127.0.0.2:1", "localhost:0", "[::1]:4566"} {
		require.NoError(t, loopbackOnly(ok, false), ok)
	}
	require.NoError(t, loopbackOnly("0.0.0.0:4566", true), "--allow-remote allows any address")
}

// --help states the defaults the command really uses: without --accounts
// the fleet has that many accounts.
func TestSandboxHelpShowsTrueDefaults(t *testing.T) {
	var stdout bytes.Buffer
	e := sandboxTestEnv(&bytes.Buffer{})
	e.stdout = &stdout
	require.Equal(t, exitOK, runApp(context.Background(), e, []string{"trailwatch", "sandbox", "--help"}))
	help := stdout.String()
	require.Contains(t, help, `(default: "127.0.0.1:4566")`)
	require.Regexp(t, `--accounts N .*\(default: 3 for fleet, 12 for org\)`, help)
	require.Contains(t, help, "(default: one empty account)")

	srv, err := sandbox.New(sandbox.Options{Scenario: "fleet"})
	require.NoError(t, err)
	require.Len(t, srv.Credentials(), sandbox.DefaultFleetAccounts, "the default shown is the default used")
	require.Equal(t, 3, sandbox.DefaultFleetAccounts)
}

// --print-endpoint writes the chosen address, and only it, as one line of
// stdout; with port 0 that is how a script learns the port.
func TestSandboxPrintEndpoint(t *testing.T) {
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	e := sandboxTestEnv(stderr)
	e.stdout = stdout
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runApp(ctx, e, []string{"trailwatch", "sandbox", "--listen", "127.0.0.1:0", "--print-endpoint"})
	}()
	require.Eventually(t, func() bool { return strings.HasSuffix(stdout.String(), "\n") }, 5*time.Second, 10*time.Millisecond)
	out := stdout.String()
	require.Regexp(t, `^http://127\.0\.0\.1:[1-9][0-9]*\n$`, out)
	url := strings.TrimSpace(out)
	require.Contains(t, stderr.String(), "AWS_ENDPOINT_URL="+url, "the banner stays on stderr")
	resp, err := http.Get(url + "/_sandbox/counts")
	require.NoError(t, err)
	resp.Body.Close()
	cancel()
	require.Equal(t, exitCancelled, <-done)
	require.Equal(t, out, stdout.String(), "nothing else on stdout")
}

// SIGTERM stops the sandbox as Ctrl-C does: the listener closes and it
// exits 130. The command runs in a child process, which the signal reaches.
func TestSandboxStopsOnSIGTERM(t *testing.T) {
	if os.Getenv("TRAILWATCH_SANDBOX_CHILD") == "1" {
		os.Exit(Run([]string{"trailwatch", "sandbox", "--listen", "127.0.0.1:0", "--print-endpoint"}, os.Stdin, os.Stdout, os.Stderr))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSandboxStopsOnSIGTERM$")
	cmd.Env = append(os.Environ(), "TRAILWATCH_SANDBOX_CHILD=1")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, stderr.String())
	url := strings.TrimSpace(line)
	require.Regexp(t, regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`), url)
	resp, err := http.Get(url + "/_sandbox/counts")
	require.NoError(t, err)
	resp.Body.Close()

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop on SIGTERM")
	}
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v: %s", err, stderr.String())
	require.Equal(t, exitCancelled, exit.ExitCode(), "stopped, not killed: %s", stderr.String())
	_, err = http.Get(url + "/_sandbox/counts")
	require.Error(t, err, "the listener is closed")
}

// The sandbox command runs the alerting pipeline (what drill follows), with
// CloudTrail's delivery delay from --pipeline-delay; a negative one is bad
// usage.
func TestSandboxRunsThePipeline(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		delay int
	}{{nil, 2000}, {[]string{"--pipeline-delay", "150ms"}, 150}} {
		stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
		e := sandboxTestEnv(stderr)
		e.stdout = stdout
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() {
			done <- runApp(ctx, e, append([]string{"trailwatch", "sandbox", "--listen", "127.0.0.1:0", "--print-endpoint"}, tc.args...))
		}()
		require.Eventually(t, func() bool { return strings.HasSuffix(stdout.String(), "\n") }, 5*time.Second, 10*time.Millisecond)
		resp, err := http.Get(strings.TrimSpace(stdout.String()) + "/_sandbox/pipeline")
		require.NoError(t, err)
		var got sandbox.PipelineConfig
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
		resp.Body.Close()
		cancel()
		require.Equal(t, exitCancelled, <-done)
		require.True(t, got.Enabled, "the pipeline runs")
		require.Equal(t, tc.delay, got.DeliveryDelayMS)
	}
	e, _, errOut := testEnv()
	code := runApp(context.Background(), e, []string{"trailwatch", "sandbox", "--listen", "127.0.0.1:0", "--pipeline-delay", "-1s"})
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut.String(), "--pipeline-delay -1s")
}
