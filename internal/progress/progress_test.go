package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clock is a pinned, settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a bytes.Buffer safe for the meter's clock goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// An hour between clock ticks: only the test's own tick calls redraw.
const never = time.Hour

func TestLiveLine(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var w syncBuffer
	m := Start(&w, "check", 4, Options{Live: true, Every: never, Now: c.now})
	c.add(2 * time.Second)
	m.Done("PASS")
	require.Equal(t, "\r\033[Kcheck: 1/4 accounts, 1 pass, 0 fail, 0 error, 2s elapsed, about 6s left", w.String())

	// Within the redraw interval nothing is drawn, except the last account.
	c.add(10 * time.Millisecond)
	m.Done("FAIL")
	require.Equal(t, 1, strings.Count(w.String(), "\r"))
	m.tick()
	require.Equal(t, 2, strings.Count(w.String(), "\r"), "the clock redraws")
	m.SetTotal(5)
	c.add(time.Second)
	m.Done("MANUAL")
	require.Contains(t, w.String()[strings.LastIndex(w.String(), "\r"):], "3/5 accounts", "the total as the run now knows it")
	m.SetTotal(4)
	m.Done("ERROR")
	last := w.String()[strings.LastIndex(w.String(), "\r"):]
	require.Equal(t, "\r\033[Kcheck: 4/4 accounts, 1 pass, 1 fail, 1 error, 1 manual, 3s elapsed", last)

	m.Finish()
	require.True(t, strings.HasSuffix(w.String(), "\r\033[K"), "the line is cleared for what follows")
	require.NotContains(t, w.String(), "\n", "a live line never scrolls")
}

// A meter that learns of more accounts than it started with still clears
// the line it drew.
func TestLiveLineRaisedTotal(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var w syncBuffer
	m := Start(&w, "check", 1, Options{Live: true, Every: never, Now: c.now})
	m.SetTotal(3)
	c.add(time.Second)
	m.Done("PASS")
	require.Contains(t, w.String(), "1/3 accounts")
	m.Finish()
	require.True(t, strings.HasSuffix(w.String(), "\r\033[K"), "the line is cleared for what follows")
}

func TestPlainLines(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var w syncBuffer
	m := Start(&w, "plan", 3, Options{Every: 10 * time.Second, Now: c.now})
	m.Done("PASS")
	require.Empty(t, w.String(), "nothing before the first interval")
	c.add(11 * time.Second)
	m.Done("FAIL")
	require.Equal(t, "plan: 2/3 accounts, 1 pass, 1 fail, 0 error, 11s elapsed, about 5.5s left\n", w.String())
	c.add(time.Second)
	m.Done("PASS")
	require.Equal(t, 1, strings.Count(w.String(), "\n"), "at most one line per interval")
	m.Finish()
	require.Equal(t, "plan: 3/3 accounts, 2 pass, 1 fail, 0 error, 12s elapsed\n", w.String()[strings.Index(w.String(), "\n")+1:])
	require.NotContains(t, w.String(), "\r")
}

func TestQuietRuns(t *testing.T) {
	for _, tc := range []struct {
		name  string
		total int
		live  bool
	}{{"one account, live", 1, true}, {"one account, plain", 1, false}, {"a short plain run", 5, false}} {
		t.Run(tc.name, func(t *testing.T) {
			var w syncBuffer
			m := Start(&w, "check", tc.total, Options{Live: tc.live, Every: never})
			for range tc.total {
				m.Done("PASS")
			}
			m.Finish()
			require.Empty(t, w.String())
		})
	}
	var nilMeter *Meter
	nilMeter.Done("PASS")
	nilMeter.Finish()
}

// The clock goroutine reports on its own while nothing finishes, and many
// accounts finishing at once are all counted (run with -race).
func TestClockAndConcurrency(t *testing.T) {
	var w syncBuffer
	m := Start(&w, "fix", 200, Options{Every: time.Millisecond})
	require.Eventually(t, func() bool { return strings.Contains(w.String(), "fix: 0/200 accounts") }, 5*time.Second, time.Millisecond)
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() { defer wg.Done(); m.Done("PASS") }()
	}
	wg.Wait()
	m.Finish()
	out := w.String()
	require.Contains(t, out[strings.LastIndex(strings.TrimSuffix(out, "\n"), "\n")+1:], "fix: 200/200 accounts, 200 pass")
}
