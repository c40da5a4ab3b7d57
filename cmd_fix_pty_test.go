//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/trailwatch/trailwatch/sandbox"
)

// survey's prompts put the terminal in raw mode, ask it where the cursor is
// and read keys one at a time; in-memory buffers cannot stand in for that.
// So these tests give the app the slave side of a pseudo-terminal as stdin
// and stderr, as survey's own tests do, and play the person at the master
// side: read what is drawn, answer the cursor queries, press keys.

// ptyDeadline bounds every wait for the app. It is a deadline for a hung
// prompt, not a timing assertion: the runs take well under a second.
const ptyDeadline = 20 * time.Second

// Keys as a terminal sends them in raw mode.
const (
	keyEnter     = "\r"
	keyArrowDown = "\x1b[B"
	keyCtrlC     = "\x03"
)

// Device Status Report: survey's Input asks where the cursor is ("\x1b[6n")
// and reads the report ("\x1b[ROW;COLR") from stdin. 24;80 is the corner of
// the 80×24 terminal (survey reads the size the same way).
const (
	cursorQuery  = "\x1b[6n"
	cursorReport = "\x1b[24;80R"
)

// ptyPerson sits at the master side of a pseudo-terminal.
type ptyPerson struct {
	t      *testing.T
	master *os.File
	ttyFd  int

	mu     sync.Mutex
	screen bytes.Buffer // everything the app drew
	seen   int          // screen offset up to which waitFor has matched
	lines  []typedLine
}

// typedLine is an answer to an Input prompt. survey's cursor query reads
// stdin up to the report and drops whatever follows it in the same read, so
// keys are never sent after a report the app may not have read yet: they
// travel in front of the first report after the prompt's text, and survey
// keeps bytes that come before the report.
type typedLine struct {
	after string
	keys  string
	sent  bool
}

// fixAtTerminal runs `trailwatch fix args...` at a pseudo-terminal, with
// stdout a buffer as when piped. lines answer Input prompts: the keys are
// typed once the prompt showing the text appears.
type fixAtTerminal struct {
	*ptyPerson
	stdout bytes.Buffer
	code   int
	done   chan struct{}
	// hangUp closes the slave and waits until everything drawn is read.
	hangUp func()
}

func startFixAtTerminal(t *testing.T, lines []typedLine, args ...string) *fixAtTerminal {
	t.Helper()
	master, tty, err := pty.Open()
	require.NoError(t, err)
	require.NoError(t, pty.Setsize(master, &pty.Winsize{Rows: 24, Cols: 80}))
	r := &fixAtTerminal{
		ptyPerson: &ptyPerson{t: t, master: master, ttyFd: int(tty.Fd()), lines: lines},
		done:      make(chan struct{}),
	}
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		r.read()
	}()
	// isTerminal is the real check: the pty's slave counts as a terminal,
	// the stdout buffer does not.
	e := &env{stdin: tty, stdout: &r.stdout, stderr: tty, getenv: os.Getenv, isTerminal: osIsTerminal}
	args = append([]string{"trailwatch", "fix", "--journal", filepath.Join(t.TempDir(), "journal.jsonl")}, args...)
	go func() {
		defer close(r.done)
		r.code = runApp(context.Background(), e, args)
	}()
	var once sync.Once
	r.hangUp = func() {
		once.Do(func() {
			tty.Close()
			<-readerDone
		})
	}
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			// The test failed at a prompt: interrupt it so the app ends
			// before the sandbox it talks to is closed.
			r.write(keyCtrlC)
			select {
			case <-r.done:
			case <-time.After(ptyDeadline):
				t.Errorf("fix still runs after Ctrl-C")
			}
		}
		r.hangUp()
		master.Close()
	})
	return r
}

// read copies what the app draws to the screen and answers cursor queries,
// until the pty closes.
func (p *ptyPerson) read() {
	buf := make([]byte, 4096)
	answered := 0 // screen offset past the last answered query
	for {
		n, err := p.master.Read(buf)
		if n > 0 {
			p.mu.Lock()
			p.screen.Write(buf[:n])
			screen := p.screen.String()
			for {
				k := strings.Index(screen[answered:], cursorQuery)
				if k < 0 {
					break
				}
				k += answered
				answered = k + len(cursorQuery)
				reply := cursorReport
				for i := range p.lines {
					if l := &p.lines[i]; !l.sent && strings.Contains(screen[:k], l.after) {
						reply, l.sent = l.keys+reply, true
						break
					}
				}
				_, _ = p.master.WriteString(reply)
			}
			p.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

func (p *ptyPerson) write(keys string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = p.master.WriteString(keys)
}

// waitFor waits until text is drawn after what earlier waits matched.
func (p *ptyPerson) waitFor(text string) {
	p.t.Helper()
	deadline := time.Now().Add(ptyDeadline)
	for {
		p.mu.Lock()
		k := strings.Index(p.screen.String()[p.seen:], text)
		if k >= 0 {
			p.seen += k + len(text)
		}
		p.mu.Unlock()
		if k >= 0 {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%q did not appear within %s; the terminal shows:\n%s", text, ptyDeadline, p.drawn())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// press waits until the prompt reads keys (the terminal is in raw mode:
// survey draws the prompt first and switches after) and presses them.
func (p *ptyPerson) press(keys string) {
	p.t.Helper()
	deadline := time.Now().Add(ptyDeadline)
	for {
		tio, err := unix.IoctlGetTermios(p.ttyFd, unix.TCGETS)
		require.NoError(p.t, err)
		if tio.Lflag&unix.ICANON == 0 {
			break
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the terminal never left canonical mode; it shows:\n%s", p.drawn())
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.write(keys)
}

func (p *ptyPerson) drawn() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.screen.String()
}

// wait returns the exit code and stdout once the app has ended; the screen
// is then complete.
func (r *fixAtTerminal) wait() (int, string) {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(ptyDeadline):
		r.t.Fatalf("fix did not end within %s; the terminal shows:\n%s", ptyDeadline, r.drawn())
	}
	r.hangUp()
	return r.code, r.stdout.String()
}

// Enter takes the default answer: the account is skipped, nothing written.
func TestFixAtTerminalEnterSkips(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, nil, "--notify", testQueue)
	r.waitFor("Apply 3 changes to account " + sandbox.DefaultAccount)
	r.waitFor("no, skip this account")
	r.press(keyEnter)
	code, out := r.wait()

	require.Equal(t, exitFindings, code, "stdout:\n%s\nterminal:\n%s", out, r.drawn())
	require.Empty(t, writeCalls(srv))
	require.Contains(t, out, "+ sns:CreateTopic", "the account's diff is shown before the question")
	require.Contains(t, out, "FAIL NO_ALARM (declined)")
}

// Arrow down selects "yes": the changes are applied, the SQS subscriber is
// confirmed at once, and check passes afterwards.
func TestFixAtTerminalYesApplies(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, nil, "--notify", testQueue)
	r.waitFor("Apply 3 changes to account " + sandbox.DefaultAccount)
	r.press(keyArrowDown + keyEnter)
	code, out := r.wait()

	require.Equal(t, exitOK, code, "stdout:\n%s\nterminal:\n%s", out, r.drawn())
	require.Equal(t, []string{"sns:CreateTopic", "sns:Subscribe", "monitoring:PutMetricAlarm"}, writeCalls(srv))
	require.Contains(t, out, "applied 3 of 3 changes")
	require.Contains(t, r.drawn(), "yes, apply these changes", "survey shows the answer chosen")
	code, stdout, stderr := runCheckCmd(t)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "PASS")
}

// Without --notify a new topic has nobody to tell: fix asks who, re-plans
// with the answer, then asks about the new plan.
func TestFixAtTerminalAsksWhomToNotify(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, []typedLine{{after: "Who should be?", keys: testQueue + keyEnter}})
	r.waitFor("Account " + sandbox.DefaultAccount + ": nobody would be notified")
	r.waitFor("Apply 3 changes to account " + sandbox.DefaultAccount)
	r.press(keyArrowDown + keyEnter)
	code, out := r.wait()

	require.Equal(t, exitOK, code, "stdout:\n%s\nterminal:\n%s", out, r.drawn())
	require.Equal(t, []string{"sns:CreateTopic", "sns:Subscribe", "monitoring:PutMetricAlarm"}, writeCalls(srv))
	require.Contains(t, out, "+ sns:Subscribe", "the re-planned diff is shown before the question")
	require.Contains(t, out, strings.TrimPrefix(testQueue, "sqs:"))
	code, stdout, stderr := runCheckCmd(t)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "PASS")
}

// An empty answer to "who should be notified?" leaves the account blocked:
// no approval is asked, nothing is written.
func TestFixAtTerminalEmptyNotifyAnswerChangesNothing(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, []typedLine{{after: "Who should be?", keys: keyEnter}})
	r.waitFor("nobody would be notified")
	code, out := r.wait()

	require.Equal(t, exitFindings, code, "stdout:\n%s\nterminal:\n%s", out, r.drawn())
	require.Empty(t, writeCalls(srv))
	require.NotContains(t, r.drawn(), "Apply ")
	require.Contains(t, out, "a new SNS topic needs someone to notify", "the reason the account stays as it is")
	require.Contains(t, out, "FAIL NO_ALARM (needs you: see above)")
}

// Ctrl-C at the prompt cancels the run: exit 130, nothing written.
func TestFixAtTerminalCtrlCCancels(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, nil, "--notify", testQueue)
	r.waitFor("Apply 3 changes to account " + sandbox.DefaultAccount)
	r.press(keyCtrlC)
	code, out := r.wait()

	require.Equal(t, exitCancelled, code, "stdout:\n%s\nterminal:\n%s", out, r.drawn())
	require.Empty(t, writeCalls(srv))
	require.NotContains(t, out, "Summary", "nothing is applied or reported after a cancel")
	require.Contains(t, r.drawn(), "trailwatch: cancelled")
}
