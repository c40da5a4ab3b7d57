//go:build linux

package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/hinshun/vt10x"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/sandbox"
)

// runChildIfAsked runs trailwatch with the arguments in
// TRAILWATCH_CHILD_ARGS (separated by newlines) when this test binary is
// the child a test below started, and exits with its code.
func runChildIfAsked() {
	if args := os.Getenv("TRAILWATCH_CHILD_ARGS"); args != "" {
		os.Exit(Run(append([]string{"trailwatch"}, strings.Split(args, "\n")...), os.Stdin, os.Stdout, os.Stderr))
	}
}

// childProcess is this test binary re-run as `trailwatch args...`.
func childProcess(t *testing.T, test string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), "TRAILWATCH_CHILD_ARGS="+strings.Join(args, "\n"))
	return cmd
}

// fixProcessAtTerminal starts `trailwatch fix args...` as a process whose
// controlling terminal is a pseudo-terminal, as a shell starts it: a new
// session with the pty's slave as stdin and stdout. stderr is the pty too
// unless a file is given for it (fix 2>fix.log).
func fixProcessAtTerminal(t *testing.T, test string, stderr *os.File, args ...string) (*ptyPerson, *exec.Cmd) {
	t.Helper()
	t.Setenv("NO_COLOR", "1")
	master, tty, err := pty.Open()
	require.NoError(t, err)
	const cols = 100
	require.NoError(t, pty.Setsize(master, &pty.Winsize{Rows: 40, Cols: cols}))
	p := &ptyPerson{t: t, master: master, ttyFd: int(tty.Fd()), vt: vt10x.New(vt10x.WithSize(cols, screenRows), vt10x.WithWriter(master))}
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		p.read()
	}()
	args = append([]string{"fix", "--journal", filepath.Join(t.TempDir(), "journal.jsonl")}, args...)
	cmd := childProcess(t, test, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	if stderr != nil {
		cmd.Stderr = stderr
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		tty.Close()
		master.Close()
		<-readerDone
	})
	return p, cmd
}

// exitOf waits for the child and returns its exit code.
func exitOf(t *testing.T, p *ptyPerson, cmd *exec.Cmd, within time.Duration) int {
	t.Helper()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err == nil {
			return 0
		}
		exit, ok := err.(*exec.ExitError)
		require.True(t, ok, "%v", err)
		return exit.ExitCode()
	case <-time.After(within):
		t.Fatalf("fix did not exit within %s; the terminal shows:\n%s", within, p.drawn())
	}
	return -1
}

// With stderr redirected to a file and stdin a terminal, the questions and
// the diff are drawn on the controlling terminal, and answering works; the
// file gets what is not a conversation.
func TestFixAtTerminalWithStderrRedirected(t *testing.T) {
	runChildIfAsked()
	srv := startSandbox(t, "no-alarm")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	log, err := os.Create(filepath.Join(t.TempDir(), "fix.log"))
	require.NoError(t, err)
	defer log.Close()
	p, cmd := fixProcessAtTerminal(t, "TestFixAtTerminalWithStderrRedirected", log, "--notify", testQueue)
	p.waitFor("+ sns:CreateTopic")
	p.answer(approveNoAlarm, "y")
	code := exitOf(t, p, cmd, ptyDeadline)

	require.Equal(t, exitOK, code, p.drawn())
	require.Equal(t, []string{"sns:CreateTopic", "sns:Subscribe", "monitoring:PutMetricAlarm"}, writeCalls(srv))
	p.waitFor("applied 3 of 3 changes") // stdout is the terminal too
	require.Contains(t, p.view(), approveNoAlarm+"? [y,n,a,q,?] yes\n")
	logged, err := os.ReadFile(log.Name())
	require.NoError(t, err)
	require.NotContains(t, string(logged), "Apply 3 changes", "the question is not in the file")
}

// With no terminal at all (no controlling terminal, stdin not a
// terminal), fix refuses as before.
func TestFixWithoutAnyTerminalRefuses(t *testing.T) {
	runChildIfAsked()
	startFixSandbox(t, "no-alarm")
	cmd := childProcess(t, "TestFixWithoutAnyTerminalRefuses", "fix", "--notify", testQueue)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	require.True(t, ok, "%v: %s", err, out)
	require.Equal(t, exitUsage, exit.ExitCode(), string(out))
	require.Contains(t, string(out), "there is no terminal to ask at")
}

// SIGINT or SIGTERM from outside while a question waits for a key ends the
// run at once (the terminal is in raw mode, where neither is a key):
// nothing is applied, and the exit code names the signal.
func TestFixPromptStoppedBySignal(t *testing.T) {
	runChildIfAsked()
	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		code   int
		prompt string
		args   []string
	}{
		{"SIGINT at the approval prompt", syscall.SIGINT, exitCancelled, approveNoAlarm, []string{"--notify", testQueue}},
		{"SIGTERM at the approval prompt", syscall.SIGTERM, exitTerminated, approveNoAlarm, []string{"--notify", testQueue}},
		{"SIGTERM at the notify prompt", syscall.SIGTERM, exitTerminated, "notify> ", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSandbox(t, "no-alarm")
			t.Setenv("XDG_STATE_HOME", t.TempDir())
			p, cmd := fixProcessAtTerminal(t, "TestFixPromptStoppedBySignal", nil, tc.args...)
			p.waitFor(tc.prompt)
			p.waitForRaw()
			require.NoError(t, cmd.Process.Signal(tc.sig))
			// A deadline for a hung prompt, far below the one that waits for
			// a key: without handling, the prompt would wait forever.
			code := exitOf(t, p, cmd, 5*time.Second)
			require.Equal(t, tc.code, code, p.drawn())
			require.Empty(t, writeCalls(srv))
		})
	}
}

// A real SIGTERM to a fix process mid-run, as a CI system cancels a job:
// sent while the answer to the delayed iam:CreateRole is held back, the
// write completes and is journaled, the rest is not started, and the
// process exits 143.
func TestFixProcessTerminatedBySIGTERM(t *testing.T) {
	runChildIfAsked()
	srv := startFixSandbox(t, "no-cloudwatch-logs")
	withoutScenarioAlarm(t, srv)
	srv.SetFaults(sandbox.Faults{DelayResponses: []sandbox.DelayedResponse{{Operation: "iam:CreateRole", DelayMS: 400}}})
	journal := filepath.Join(t.TempDir(), "j.jsonl")
	mark := len(srv.Requests())

	cmd := childProcess(t, "TestFixProcessTerminatedBySIGTERM", "fix", "--yes", "--wire-logs", "--notify", wireNotify, "--journal", journal)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(30 * time.Second)
	for !stateHas(srv, "trailwatch-cloudtrail-logs") {
		require.True(t, time.Now().Before(deadline), "the role was never created:\n%s", out.String())
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err := cmd.Wait()
	exit, ok := err.(*exec.ExitError)
	require.True(t, ok, "%v: %s", err, out.String())
	require.Equal(t, exitTerminated, exit.ExitCode(), out.String())
	require.Contains(t, out.String(), "interrupted after 4 of 8 changes")
	require.Contains(t, out.String(), "trailwatch: terminated (SIGTERM)")
	applied := appliedOps(srv, mark)
	require.Contains(t, applied, "iam:CreateRole ok", "the write in flight completed")
	require.Equal(t, applied, journaledOps(t, journal), "the journal is what the sandbox applied\n%s", out.String())
}

// check and plan stopped by SIGTERM exit 143, by SIGINT 130: the cause of
// the cancelled context (what watchInterrupts records) decides.
func TestStoppedRunExitCodeNamesTheSignal(t *testing.T) {
	startSandbox(t, "no-alarm")
	for _, tc := range []struct {
		cause error
		code  int
		said  string
	}{
		{errTerminated, exitTerminated, "trailwatch: terminated (SIGTERM)"},
		{context.Canceled, exitCancelled, "trailwatch: cancelled"},
	} {
		for _, cmd := range []string{"check", "plan"} {
			t.Run(cmd+" "+tc.said, func(t *testing.T) {
				ctx, cancel := context.WithCancelCause(context.Background())
				cancel(tc.cause)
				e, _, errOut := testEnv()
				require.Equal(t, tc.code, runApp(ctx, e, []string{"trailwatch", cmd}), errOut.String())
				require.Contains(t, errOut.String(), tc.said)
			})
		}
	}
}

// A second signal exits at once, with the code of that signal.
func TestSecondSIGTERMExitsAtOnceWith143(t *testing.T) {
	e, _, stderr := testEnv()
	e.aborts = &abortList{}
	aborted := false
	e.atAbort(func() { aborted = true })
	sigs := make(chan os.Signal, 2)
	cancelled := make(chan struct{})
	exited := make(chan int, 1)
	go watchInterrupts(sigs, func() { close(cancelled) }, e, func(code int) { exited <- code })
	sigs <- syscall.SIGTERM
	<-cancelled
	sigs <- syscall.SIGTERM
	require.Equal(t, exitTerminated, <-exited)
	require.True(t, aborted, "the journal is closed before the exit")
	require.Contains(t, stderr.String(), "exiting now")
}
