//go:build linux

package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/hinshun/vt10x"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/sandbox"
)

// drillAtTerminal runs `trailwatch drill args...` at a pseudo-terminal
// (stdin and stderr), stdout a buffer; it returns the person and a wait
// for the exit code and stdout.
func drillAtTerminal(t *testing.T, args ...string) (*ptyPerson, func() (int, string)) {
	t.Helper()
	t.Setenv("NO_COLOR", "1")
	was := enterWindow
	enterWindow = 50 * time.Millisecond
	t.Cleanup(func() { enterWindow = was })
	master, tty, err := pty.Open()
	require.NoError(t, err)
	require.NoError(t, pty.Setsize(master, &pty.Winsize{Rows: 40, Cols: 120}))
	p := &ptyPerson{t: t, master: master, ttyFd: int(tty.Fd()), vt: vt10x.New(vt10x.WithSize(120, screenRows), vt10x.WithWriter(master))}
	read := make(chan struct{})
	go func() {
		defer close(read)
		p.read()
	}()
	var stdout bytes.Buffer
	e, _, _ := testEnv()
	e.stdin, e.stdout, e.stderr, e.isTerminal = tty, &stdout, tty, osIsTerminal
	done, code := make(chan struct{}), 0
	go func() {
		defer close(done)
		code = runApp(context.Background(), e, append([]string{"trailwatch", "drill", "--journal", filepath.Join(t.TempDir(), "j.jsonl"), "--timeout", "5s"}, args...))
	}()
	t.Cleanup(func() { master.Close() })
	return p, func() (int, string) {
		select {
		case <-done:
		case <-time.After(ptyDeadline):
			p.write(keyCtrlC)
			t.Fatalf("drill did not end; the terminal shows:\n%s", p.drawn())
		}
		tty.Close()
		<-read
		return code, stdout.String()
	}
}

const drillQuestion = "Make the 1 drill above? Their topics' subscribers get a real alarm. [y/N] "

// At a terminal the drill asks once, after the plan; Enter is no: nothing
// is called.
func TestDrillAtTerminalEnterDeclines(t *testing.T) {
	srv := startDrillSandbox(t, "compliant", "")
	p, wait := drillAtTerminal(t)
	p.answer(drillQuestion, keyEnter)
	code, out := wait()
	require.Equal(t, exitCancelled, code, p.drawn())
	require.Contains(t, p.drawn(), drillQuestion+"no")
	require.Contains(t, out, "notifies (a real alarm): arn:aws:sns:us-east-1:"+sandbox.DefaultAccount+":security-alerts", "the plan was shown before the question")
	require.Contains(t, out, "Nothing was called.")
	require.Empty(t, drillWrites(srv))
}

// y drills.
func TestDrillAtTerminalYes(t *testing.T) {
	srv := startDrillSandbox(t, "compliant", "")
	p, wait := drillAtTerminal(t)
	p.answer(drillQuestion, "y")
	code, out := wait()
	require.Equal(t, exitOK, code, p.drawn()+out)
	require.Contains(t, out, "DELIVERED")
	require.Equal(t, []string{"cloudtrail:StartLogging"}, drillWrites(srv))
}
