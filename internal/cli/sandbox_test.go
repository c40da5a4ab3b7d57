package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lockedBuffer is written by the command's goroutine and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func sandboxTestEnv(stderr io.Writer) *env {
	e, _, _ := testEnv()
	e.stdout, e.stderr, e.getenv = io.Discard, stderr, func(string) string { return "" }
	return e
}

// The command serves until its context is cancelled, after printing where
// and with which credentials to reach it.
func TestSandboxCommandServesUntilInterrupted(t *testing.T) {
	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runApp(ctx, sandboxTestEnv(stderr), []string{"trailwatch", "sandbox", "--listen", "127.0.0.1:0", "--scenario", "fleet", "--accounts", "7"})
	}()

	urlRE := regexp.MustCompile(`AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+)`)
	var url string
	require.Eventually(t, func() bool {
		if m := urlRE.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
			return true
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "no endpoint URL on stderr: %s", stderr.String())
	banner := stderr.String()
	require.Contains(t, banner, "AWS_ACCESS_KEY_ID=AKIASANDBOX000000001")
	require.Contains(t, banner, "Accounts (7):")
	require.Contains(t, banner, "… and 2 more")

	resp, err := http.Get(url + "/_sandbox/counts")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	cancel()
	select {
	case code := <-done:
		require.Equal(t, exitCancelled, code)
	case <-time.After(5 * time.Second):
		t.Fatal("sandbox did not stop when interrupted")
	}
	_, err = http.Get(url + "/_sandbox/counts")
	require.Error(t, err, "the listener is closed")
}

func TestSandboxCommandUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown scenario":  {"--scenario", "atlantis"},
		"negative accounts": {"--accounts", "-1"},
		"stray argument":    {"now"},
	} {
		var stderr bytes.Buffer
		code := runApp(context.Background(), sandboxTestEnv(&stderr), append([]string{"trailwatch", "sandbox", "--listen", "127.0.0.1:0"}, args...))
		require.Equal(t, exitUsage, code, "%s: %s", name, stderr.String())
	}
}

func TestSandboxCommandCannotListen(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	var stderr bytes.Buffer
	code := runApp(context.Background(), sandboxTestEnv(&stderr), []string{"trailwatch", "sandbox", "--listen", taken.Addr().String()})
	require.Equal(t, exitFailed, code)
	require.Contains(t, stderr.String(), "start sandbox")
}
