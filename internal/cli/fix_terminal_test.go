//go:build linux

package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/hinshun/vt10x"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

// The prompts put the terminal in raw mode and read keys one at a time; an
// in-memory buffer cannot stand in for that. So these tests give the app the
// slave side of a pseudo-terminal as stdin and stderr and play the person at
// the master side: read what is drawn, press keys. What is drawn also feeds
// a VT100 emulator (hinshun/vt10x, the one survey's own tests use), so a
// test can assert the screen a person sees after redraws, not just the bytes.
// The emulator answers queries (a cursor position report) through the master
// as a real terminal does, so a prompt that asks the terminal is not stuck.

// ptyDeadline bounds every wait for the app. It is a deadline for a hung
// prompt, not a timing assertion: the runs take well under a second.
const ptyDeadline = 20 * time.Second

// Keys as a terminal sends them in raw mode.
const (
	keyEnter = "\r"
	keyCtrlC = "\x03"
	keyCtrlD = "\x04"
)

// The emulated screen is tall, so a whole session fits on it and nothing
// scrolls away: the width is what wraps lines, and the app reads only that.
const screenRows = 300

// ptyPerson sits at the master side of a pseudo-terminal.
type ptyPerson struct {
	t      *testing.T
	master *os.File
	ttyFd  int

	mu     sync.Mutex
	screen bytes.Buffer // everything the app drew
	seen   int          // screen offset up to which waitFor has matched
	vt     vt10x.Terminal
}

// fixAtTerminal runs `trailwatch fix args...` at a pseudo-terminal, with
// stdout a buffer, as when redirected to a file.
type fixAtTerminal struct {
	*ptyPerson
	stdout bytes.Buffer
	code   int
	done   chan struct{}
	// hangUp closes the slave and waits until everything drawn is read.
	hangUp func()
}

func startFixAtTerminal(t *testing.T, cols int, args ...string) *fixAtTerminal {
	t.Helper()
	t.Setenv("NO_COLOR", "1")
	// Long enough for the "a moment later" Enter below, short enough not
	// to wait after every answer.
	was := enterWindow
	enterWindow = 150 * time.Millisecond
	t.Cleanup(func() { enterWindow = was })
	master, tty, err := pty.Open()
	require.NoError(t, err)
	require.NoError(t, pty.Setsize(master, &pty.Winsize{Rows: 40, Cols: uint16(cols)}))
	r := &fixAtTerminal{
		ptyPerson: &ptyPerson{t: t, master: master, ttyFd: int(tty.Fd()), vt: vt10x.New(vt10x.WithSize(cols, screenRows), vt10x.WithWriter(master))},
		done:      make(chan struct{}),
	}
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		r.read()
	}()
	// isTerminal is the real check: the pty's slave counts as a terminal,
	// the stdout buffer does not.
	e, _, _ := testEnv()
	e.stdin, e.stdout, e.stderr, e.isTerminal = tty, &r.stdout, tty, osIsTerminal
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

// read copies what the app draws to the screen until the pty closes.
func (p *ptyPerson) read() {
	buf := make([]byte, 4096)
	for {
		n, err := p.master.Read(buf)
		if n > 0 {
			p.mu.Lock()
			p.screen.Write(buf[:n])
			_, _ = p.vt.Write(buf[:n])
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
		k := strings.Index(p.drawnLocked()[p.seen:], text)
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

// waitForRaw waits until the prompt reads keys: it draws its question
// first, then discards typeahead and switches the terminal to raw mode.
func (p *ptyPerson) waitForRaw() {
	p.t.Helper()
	deadline := time.Now().Add(ptyDeadline)
	for {
		tio, err := unix.IoctlGetTermios(p.ttyFd, unix.TCGETS)
		require.NoError(p.t, err)
		if tio.Lflag&unix.ICANON == 0 {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the terminal never left canonical mode; it shows:\n%s", p.drawn())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// answer waits for a question to be drawn and to read keys, then presses
// keys.
func (p *ptyPerson) answer(question, keys string) {
	p.t.Helper()
	p.waitFor(question)
	p.waitForRaw()
	p.write(keys)
}

// drawn is every byte drawn, with the terminal's line ends read as "\n".
func (p *ptyPerson) drawn() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.drawnLocked()
}

func (p *ptyPerson) drawnLocked() string {
	return strings.ReplaceAll(p.screen.String(), "\r\n", "\n")
}

// text is the screen with wrapped rows joined again: a row filled to the
// last column continues on the next.
func (p *ptyPerson) text() string {
	cols, _ := p.vt.Size()
	var b strings.Builder
	for _, row := range strings.Split(p.view(), "\n") {
		b.WriteString(row)
		if len([]rune(row)) != cols {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// view is the emulated screen, each row without trailing blanks and the
// blank rows after the last drawn one left off.
func (p *ptyPerson) view() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	rows := strings.Split(p.vt.String(), "\n")
	for i := range rows {
		rows[i] = strings.TrimRight(rows[i], " \x00")
	}
	for len(rows) > 0 && rows[len(rows)-1] == "" {
		rows = rows[:len(rows)-1]
	}
	return strings.Join(rows, "\n") + "\n"
}

// notifyRows is the screen's rows and the index of the last one the notify
// prompt starts (-1 if none does).
func (p *ptyPerson) notifyRows() (rows []string, at int) {
	rows = strings.Split(p.view(), "\n")
	at = -1
	for i, row := range rows {
		if strings.HasPrefix(row, "notify> ") {
			at = i
		}
	}
	return rows, at
}

// wrapAt is s as a terminal cols wide draws it, one row after another.
func wrapAt(s string, cols int) []string {
	var rows []string
	for len(s) > cols {
		rows, s = append(rows, s[:cols]), s[cols:]
	}
	return append(rows, s)
}

// resize changes the terminal's size as a window manager does: the pty's
// size, then SIGWINCH, which the kernel would send to the terminal's
// foreground process — the test binary is not in the pty's session.
func (p *ptyPerson) resize(cols int) {
	p.t.Helper()
	p.mu.Lock()
	p.vt.Resize(cols, screenRows)
	p.mu.Unlock()
	require.NoError(p.t, pty.Setsize(p.master, &pty.Winsize{Rows: 40, Cols: uint16(cols)}))
	require.NoError(p.t, syscall.Kill(os.Getpid(), syscall.SIGWINCH))
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

const approveNoAlarm = "Apply 3 changes to account " + sandbox.DefaultAccount

// With stdout redirected to a file, the diff is drawn on the terminal the
// question is asked at, before the question; the file gets the result only.
func TestFixAtTerminalDiffIsOnTheTerminalWithStdoutRedirected(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, 80, "--notify", testQueue)
	r.waitFor("+ sns:CreateTopic")
	r.waitFor("+ cloudwatch:PutMetricAlarm")
	r.answer(approveNoAlarm, keyEnter)
	code, out := r.wait()

	require.Equal(t, exitFindings, code, "stdout:\n%s\nterminal:\n%s", out, r.drawn())
	require.Empty(t, writeCalls(srv))
	require.NotContains(t, out, "sns:CreateTopic", "stdout is data: the result, not the conversation")
	require.Contains(t, out, "FAIL NO_ALARM (declined)")
	require.Contains(t, r.view(), "FAIL NO_ALARM (declined)", "the person sees the summary too")
}

// Enter takes the default answer: the account is skipped, nothing written.
func TestFixAtTerminalEnterSkips(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, 80, "--notify", testQueue)
	r.answer(approveNoAlarm, keyEnter)
	code, out := r.wait()

	require.Equal(t, exitFindings, code, "stdout:\n%s\nterminal:\n%s", out, r.drawn())
	require.Empty(t, writeCalls(srv))
	require.Contains(t, r.view(), approveNoAlarm+"? [y,n,a,q,?] no\n", "the answer is written after the question")
}

// y applies: the SQS subscriber is confirmed at once, and check passes.
func TestFixAtTerminalYesApplies(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, 80, "--notify", testQueue)
	r.answer(approveNoAlarm, "y")
	code, out := r.wait()

	require.Equal(t, exitOK, code, "stdout:\n%s\nterminal:\n%s", out, r.drawn())
	require.Equal(t, []string{"sns:CreateTopic", "sns:Subscribe", "monitoring:PutMetricAlarm"}, writeCalls(srv))
	require.Contains(t, out, "applied 3 of 3 changes")
	require.Contains(t, r.view(), approveNoAlarm+"? [y,n,a,q,?] yes\n")
	code, stdout, stderr := runCheckCmd(t)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "PASS")
}

// Fleet accounts 10, 8 and 19 fail NO_ALARM_TOPIC, NO_ALARM and NO_ALARM:
// each has three changes to approve, and each needs a new topic (someone
// to notify). Accounts whose alarm and topic already work, such as 7
// (only its filter is missing), need nobody.
var promptFleet = []string{"100000000010", "100000000008", "100000000019"}

// approveRest is the question after "a", for the accounts drawn after it.
func approveRest(changes, accounts int) string {
	if accounts == 1 {
		return fmt.Sprintf("Apply also the %d changes drawn above to account ", changes)
	}
	return fmt.Sprintf("Apply also the %d changes drawn above to %d more accounts: ", changes, accounts)
}

func approveFleet(i, changes int) string {
	return "Apply " + string(rune('0'+changes)) + " changes to account " + promptFleet[i] + " (profile " + promptFleet[i] + ")?"
}

// "a" then Enter is one answer, however the two keys arrive: the Enter
// does not answer the question for the rest, which y then applies; none is
// skipped. "y" then Enter
// does not answer the next account's question either.
func TestFixAtTerminalKeyThenEnterIsOneAnswer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		press func(r *fixAtTerminal)
		// written are the indexes into promptFleet written to.
		written []int
		code    int
	}{
		{"a and Enter in one read", func(r *fixAtTerminal) {
			r.answer(approveFleet(0, 3), "a"+keyEnter)
			r.answer(approveRest(6, 2), "y")
		}, []int{0, 1, 2}, exitOK},
		{"a, then Enter a moment later", func(r *fixAtTerminal) {
			r.answer(approveFleet(0, 3), "a")
			time.Sleep(50 * time.Millisecond)
			r.write(keyEnter)
			r.answer(approveRest(6, 2), "y")
		}, []int{0, 1, 2}, exitOK},
		{"y and Enter in one read, then the next account is still asked", func(r *fixAtTerminal) {
			r.answer(approveFleet(0, 3), "y"+keyEnter)
			r.answer(approveFleet(1, 3), "q")
		}, []int{0}, exitFindings},
		{"y, then Enter a moment later, then the next account is still asked", func(r *fixAtTerminal) {
			r.answer(approveFleet(0, 3), "y")
			time.Sleep(50 * time.Millisecond)
			r.write(keyEnter)
			r.answer(approveFleet(1, 3), "q")
		}, []int{0}, exitFindings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fleetProfiles(t, promptFleet)
			r := startFixAtTerminal(t, 80, "--parallel", "1", "--profile", strings.Join(promptFleet, ","), "--notify", testQueue)
			tc.press(r)
			code, out := r.wait()
			require.Equal(t, tc.code, code, "stdout:\n%s\nterminal:\n%s", out, r.view())
			var want []string
			for _, i := range tc.written {
				want = append(want, promptFleet[i])
			}
			slices.Sort(want) // writtenAccounts lists them sorted
			require.Equal(t, want, writtenAccounts(srv), r.view())
			require.NotContains(t, r.view(), "[y,n,a,q,?] no", "no account was skipped by an Enter")
		})
	}
}

// What people type at the notify prompt: the protocol is inferred where
// the endpoint says it, the parsed protocol and endpoint are shown back,
// and the subscription is made with exactly those.
func TestFixAtTerminalNotifyInputForms(t *testing.T) {
	for _, tc := range []struct {
		typed, protocol, endpoint string
	}{
		{"you@example.com", "email", "you@example.com"},
		{"email-json:you@example.com", "email-json", "you@example.com"},
		{"https://hooks.example.com/sns", "https", "https://hooks.example.com/sns"},
		{"https:https://hooks.example.com/sns", "https", "https://hooks.example.com/sns"},
		{"arn:aws:sqs:us-east-1:111111111111:q", "sqs", "arn:aws:sqs:us-east-1:111111111111:q"},
		{"arn:aws:lambda:us-east-1:111111111111:function:notify", "lambda", "arn:aws:lambda:us-east-1:111111111111:function:notify"},
		{"sms:+14155550100", "sms", "+14155550100"},
		{"  +14155550100  ", "sms", "+14155550100"},
	} {
		t.Run(tc.typed, func(t *testing.T) {
			srv := startSandbox(t, "no-alarm")
			r := startFixAtTerminal(t, 80)
			r.waitFor("+ sns:Subscribe")
			r.waitFor("PROTOCOL:ENDPOINT")
			r.answer("notify> ", tc.typed+keyEnter)
			r.waitFor("→ protocol " + tc.protocol + ", endpoint " + tc.endpoint + "\n")
			r.answer(approveNoAlarm, "y")
			code, out := r.wait()

			require.Contains(t, []int{exitOK, exitFindings}, code, "stdout:\n%s\nterminal:\n%s", out, r.view())
			require.Equal(t, []string{"sns:CreateTopic", "sns:Subscribe", "monitoring:PutMetricAlarm"}, writeCalls(srv))
			require.Contains(t, out, "← "+tc.protocol+":"+tc.endpoint+" ", "subscribed as shown back")
		})
	}
}

// An answer that is no endpoint says why, in the prompt's words (no flag
// names), and asks again; ? shows the forms; Enter then skips.
func TestFixAtTerminalNotifyRejectsAndHelps(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, 80)
	r.answer("notify> ", "pigeon:coop"+keyEnter)
	r.waitFor(`unknown protocol "pigeon"`)
	r.answer("notify> ", "?"+keyEnter)
	r.waitFor("arn:aws:sqs:us-east-1:123456789012:alerts")
	r.answer("notify> ", keyEnter)
	code, out := r.wait()

	require.Equal(t, exitFindings, code, "stdout:\n%s\nterminal:\n%s", out, r.view())
	require.Empty(t, writeCalls(srv))
	require.NotContains(t, r.view(), "--notify \"", "the prompt's errors name no flag")
	require.NotContains(t, r.view(), "Apply ")
	require.Contains(t, out, "FAIL NO_ALARM (needs you: see above)")
	require.Contains(t, out, "a new SNS topic needs someone to notify", "stdout explains what its summary points to")
}

// After "a", every remaining account is drawn before anything is applied:
// a later account that needs someone to notify is asked again, with the
// endpoint named for the first offered as a choice (never reused unasked),
// then one question covers the rest, and Enter (its default) applies none
// of them. The applied list marks each step + (created) or ~ (updated: the
// alarm account 10 already had).
func TestFixAtTerminalAllDrawsTheRestAndAsksOnce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rest    string
		written []string
		code    int
	}{
		{"y applies the rest", "y", promptFleet[:2], exitOK},
		{"Enter applies none of the rest", keyEnter, promptFleet[:1], exitFindings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			accounts := promptFleet[:2]
			srv := fleetProfiles(t, accounts)
			r := startFixAtTerminal(t, 80, "--parallel", "1", "--profile", strings.Join(accounts, ","))
			queue := strings.TrimPrefix(testQueue, "sqs:")
			r.answer("notify> ", queue+keyEnter)
			r.answer(approveFleet(0, 3), "a")
			r.waitFor("Account " + accounts[1] + " (profile " + accounts[1] + ")")
			r.waitFor("+ sns:CreateTopic")
			r.waitFor("1  " + queue + "\n       as answered for account " + accounts[0] + " (profile " + accounts[0] + ")")
			r.answer("notify> ", "1"+keyEnter)
			r.waitFor("→ protocol sqs, endpoint " + queue)
			// The question wraps at a word boundary: the account is not split.
			r.answer(approveRest(3, 1)+accounts[1]+" (profile\n    "+accounts[1]+")? [y,N] ", tc.rest)
			code, out := r.wait()

			require.Equal(t, tc.code, code, "stdout:\n%s\nterminal:\n%s", out, r.view())
			require.Equal(t, slices.Sorted(slices.Values(tc.written)), writtenAccounts(srv))
			require.Equal(t, 2, strings.Count(r.view(), "notify> "), r.view())
			require.NotContains(t, r.text(), "as answered for account "+accounts[0]+".", "no endpoint is reused unasked")
			// Account 10's alarm is the user's, updated; account 8 gets a new one.
			require.Regexp(t, `✓ topic\s+\+ sns:CreateTopic`, out)
			require.Regexp(t, `✓ alarm\s+~ cloudwatch:PutMetricAlarm\s+cloudtrail-config-changes`, out)
			if len(tc.written) == 2 {
				require.Regexp(t, `✓ alarm\s+\+ cloudwatch:PutMetricAlarm\s+trailwatch-cloudtrail-changes`, out)
			}
		})
	}
}

// Ctrl-D cancels the prompt it is pressed at (the account is skipped) and
// nothing typed after it reaches the next prompt: neither keys in the same
// read nor keys typed before the next question is on the screen.
func TestFixAtTerminalCtrlDCancelsThePromptOnly(t *testing.T) {
	accounts := promptFleet[:2]
	srv := fleetProfiles(t, accounts)
	r := startFixAtTerminal(t, 80, "--parallel", "1", "--profile", strings.Join(accounts, ","))
	r.waitFor("notify> ")
	r.waitForRaw()
	// Reads get slow, so the keys typed below arrive while the second
	// account is still being planned, before its question is drawn.
	srv.SetFaults(sandbox.Faults{LatencyMS: 150})
	r.write(keyCtrlD + "y" + keyEnter)
	r.waitFor("(skipped: nobody named)")
	r.write("a" + keyEnter)
	r.answer("notify> ", keyCtrlD)
	r.waitFor("(skipped: nobody named)")
	code, out := r.wait()

	require.Equal(t, exitFindings, code, "stdout:\n%s\nterminal:\n%s", out, r.view())
	require.Empty(t, writeCalls(srv))
	require.NotContains(t, r.view(), "Apply ", "both accounts stayed blocked: no approval was asked")
	require.Equal(t, 2, strings.Count(r.view(), "notify>\n  (skipped: nobody named)"), "neither prompt got a key but Ctrl-D:\n%s", r.view())
}

// Ctrl-D at the approval prompt is the safe default: skip this account.
func TestFixAtTerminalCtrlDAtTheApprovalPromptSkips(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, 80, "--notify", testQueue)
	r.answer(approveNoAlarm, keyCtrlD)
	code, out := r.wait()

	require.Equal(t, exitFindings, code, "stdout:\n%s\nterminal:\n%s", out, r.view())
	require.Empty(t, writeCalls(srv))
	require.Contains(t, out, "FAIL NO_ALARM (declined)")
}

// A queue ARN long enough to wrap twice at 80 columns: sqs allows queue
// names of 80 characters.
var longQueue = "arn:aws:sqs:us-east-1:111111111111:" + strings.Repeat("trail-changes-", 5) + "for-the-security-team"

// A long answer wraps; the prompt's line is redrawn across the wrap, what
// was drawn before it stays on the screen, and the next question follows
// it.
func TestFixAtTerminalLongWrappedAnswer(t *testing.T) {
	startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, 80)
	r.answer("notify> ", longQueue[:70])
	time.Sleep(20 * time.Millisecond)
	// Backspace over the wrap and type the rest: the editor redraws.
	r.write(strings.Repeat("\x7f", 3) + longQueue[67:] + keyEnter)
	r.waitFor("→ protocol sqs, endpoint " + longQueue + "\n")
	r.answer(approveNoAlarm, "n")
	code, out := r.wait()
	require.Equal(t, exitFindings, code, "stdout:\n%s\nterminal:\n%s", out, r.view())

	rows, at := r.notifyRows()
	require.GreaterOrEqual(t, at, 1, r.view())
	// The question's last line; above it, the account's alert topic is
	// offered as a choice.
	require.Equal(t, "  Enter skips this account; ? shows examples.", rows[at-1], "the question above the answer survives")
	require.Contains(t, r.view(), "Who should be notified for account "+sandbox.DefaultAccount+"?\n")
	want := wrapAt("notify> "+longQueue, 80)
	require.Equal(t, want, rows[at:at+len(want)], "the answer, wrapped at 80 columns\n%s", r.view())
	require.True(t, strings.HasPrefix(rows[at+len(want)], "  → protocol sqs, endpoint arn:aws:sqs:"), r.view())
	require.Contains(t, strings.Join(rows[at+len(want):], "\n"), approveNoAlarm+"? [y,n,a,q,?] no")
}

// A resize while typing keeps the line: the answer read is what was typed.
func TestFixAtTerminalResizeWhileTyping(t *testing.T) {
	startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, 80)
	r.answer("notify> ", longQueue[:60])
	time.Sleep(20 * time.Millisecond)
	r.resize(50)
	time.Sleep(20 * time.Millisecond)
	r.write(longQueue[60:] + keyEnter)
	r.waitFor("→ protocol sqs, endpoint " + longQueue + "\n")
	r.answer(approveNoAlarm, "n")
	code, out := r.wait()
	require.Equal(t, exitFindings, code, "stdout:\n%s\nterminal:\n%s", out, r.view())
	require.Contains(t, out, "FAIL NO_ALARM (declined)")
}

// Editing the notify line redraws it right wherever the cursor is: over
// the wrap, after a resize, after Ctrl-U, and when Enter is pressed with
// the cursor on an earlier row of a wrapped answer. survey's line reader
// gets each of these wrong (it sizes the terminal once and knows no
// Ctrl-U), which is why the notify line is x/term's editor.
func TestFixAtTerminalNotifyLineEditing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		keys   []string // written a moment apart, as a person types
		resize int      // after the first keys, when not 0
		answer string
		cols   int // the width the answer is drawn at in the end
	}{
		{"backspace across the wrap", []string{longQueue[:80], strings.Repeat("\x7f", 15), longQueue[65:] + keyEnter}, 0, longQueue, 80},
		{"a resize, then backspace across the new wrap", []string{longQueue[:60], strings.Repeat("\x7f", 20), longQueue[40:] + keyEnter}, 50, longQueue, 50},
		{"Ctrl-U clears the line", []string{"junk", "\x15you@example.com" + keyEnter}, 0, "you@example.com", 80},
		{"Enter with the cursor on the first row of a wrapped answer", []string{longQueue, "\x1b[H", keyEnter}, 0, longQueue, 80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			startSandbox(t, "no-alarm")
			r := startFixAtTerminal(t, 80)
			r.answer("notify> ", tc.keys[0])
			for i, keys := range tc.keys[1:] {
				time.Sleep(20 * time.Millisecond)
				if i == 0 && tc.resize != 0 {
					r.resize(tc.resize)
					time.Sleep(20 * time.Millisecond)
				}
				r.write(keys)
			}
			ep, err := plan.ParseNotify(tc.answer)
			require.NoError(t, err)
			r.waitFor("→ protocol " + ep.Protocol + ", endpoint " + tc.answer + "\n")
			r.answer(approveNoAlarm, "n")
			code, out := r.wait()
			require.Equal(t, exitFindings, code, "stdout:\n%s\nterminal:\n%s", out, r.view())

			rows, at := r.notifyRows()
			require.GreaterOrEqual(t, at, 0, r.view())
			want := wrapAt("notify> "+tc.answer, tc.cols)
			require.Equal(t, want, rows[at:min(at+len(want), len(rows))], "the answer as typed, wrapped at %d columns\n%s", tc.cols, r.view())
			require.True(t, strings.HasPrefix(rows[at+len(want)], "  → protocol "+ep.Protocol), "the next line follows the answer\n%s", r.view())
		})
	}
}

// q ends the questions and applies what was answered y before it (exit as
// the accounts end: 1 while some still fail); Ctrl-C cancels the run and
// applies nothing, even what was answered y (exit 130).
func TestFixAtTerminalQuitVersusCtrlC(t *testing.T) {
	for _, tc := range []struct {
		name    string
		second  string
		written []string
		code    int
	}{
		{"q applies the accounts answered y", "q", promptFleet[:1], exitFindings},
		{"Ctrl-C applies nothing", keyCtrlC, nil, exitCancelled},
		{"Ctrl-C right after an answer still cancels", "y" + keyCtrlC, nil, exitCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fleetProfiles(t, promptFleet)
			r := startFixAtTerminal(t, 80, "--parallel", "1", "--profile", strings.Join(promptFleet, ","), "--notify", testQueue)
			r.answer(approveFleet(0, 3), "y")
			r.answer(approveFleet(1, 3), tc.second)
			code, out := r.wait()

			require.Equal(t, tc.code, code, "stdout:\n%s\nterminal:\n%s", out, r.view())
			require.Equal(t, tc.written, writtenAccounts(srv))
			require.NotContains(t, r.view(), approveFleet(2, 3), "nobody is asked after q or Ctrl-C")
			require.Contains(t, r.view(), "q quit: apply only the accounts answered y so far", "the legend says what q does")
			if tc.code == exitCancelled {
				require.NotContains(t, out, "Summary", "nothing is applied or reported after a cancel")
				require.Contains(t, r.view(), "trailwatch: cancelled")
			} else {
				require.Regexp(t, promptFleet[1]+`\s+`+promptFleet[1]+`\s+0/3\s+FAIL NO_ALARM \(declined\)`, out)
			}
		})
	}
}

// An Enter pressed a moment after ? or after a key that is no answer
// belongs to that key, as it does after an answer: it does not take the
// default and skip the account the person is still being asked about.
func TestFixAtTerminalEnterAfterHelpDoesNotSkip(t *testing.T) {
	for _, tc := range []struct{ name, key, shown string }{
		{"after ?", "?", "Ctrl-C  cancel the whole run: nothing is applied, exit 130"},
		{"after a key that is no answer", "x", "press y, n, a, q or ? (Enter skips)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSandbox(t, "no-alarm")
			r := startFixAtTerminal(t, 80, "--notify", testQueue)
			r.answer(approveNoAlarm, tc.key)
			r.waitFor(tc.shown)
			time.Sleep(50 * time.Millisecond)
			r.write(keyEnter)
			// Past the window: y is read as the next key, not swallowed.
			time.Sleep(2 * enterWindow)
			r.answer(approveNoAlarm, "y")
			code, out := r.wait()
			require.Equal(t, exitOK, code, "stdout:\n%s\nterminal:\n%s", out, r.view())
			require.NotContains(t, r.view(), "[y,n,a,q,?] no", "the Enter did not skip the account")
			require.Equal(t, []string{"sns:CreateTopic", "sns:Subscribe", "monitoring:PutMetricAlarm"}, writeCalls(srv))
		})
	}
}

// ? at the approval prompt explains every key and asks again.
func TestFixAtTerminalApprovalHelp(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, 80, "--notify", testQueue)
	r.answer(approveNoAlarm, "?")
	r.waitFor("Ctrl-C  cancel the whole run: nothing is applied, exit 130")
	r.answer(approveNoAlarm, "x")
	r.waitFor("press y, n, a, q or ? (Enter skips)")
	r.answer(approveNoAlarm, "n")
	code, _ := r.wait()
	require.Equal(t, exitFindings, code, r.view())
	require.Empty(t, writeCalls(srv))
}

// The whole session at 80 columns, across three failing accounts (one only
// a person can fix), stdout redirected: the golden file is the screen.
func TestFixAtTerminalTranscriptGolden(t *testing.T) {
	accounts := []string{"100000000003", "100000000010", "100000000008"}
	fleetProfiles(t, accounts)
	r := startFixAtTerminal(t, 80, "--parallel", "1", "--profile", strings.Join(accounts, ","))
	r.answer("notify> ", "security@example.com"+keyEnter)
	r.answer("Apply 3 changes to account 100000000010", "a")
	r.answer("notify> ", "1"+keyEnter)
	r.answer("Apply also the", "y")
	code, out := r.wait()
	require.Equal(t, exitFindings, code, "stdout:\n%s\nterminal:\n%s", out, r.view())

	got := regexp.MustCompile(`journal: \S+`).ReplaceAllString(r.view(), "journal: JOURNAL")
	requireGolden(t, filepath.Join("testdata", "fix-terminal-80.golden"), got)
}

// Ctrl-C at the notify prompt, even with a half-typed answer, cancels the
// run: exit 130, nothing written, the terminal back in its normal mode.
func TestFixAtTerminalCtrlCAtTheNotifyPrompt(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	r := startFixAtTerminal(t, 80)
	r.answer("notify> ", "you@exa")
	r.waitFor("you@exa")
	r.write(keyCtrlC)
	r.waitFor("trailwatch: cancelled")
	tio, err := unix.IoctlGetTermios(r.ttyFd, unix.TCGETS)
	require.NoError(t, err)
	require.NotZero(t, tio.Lflag&unix.ICANON, "raw mode was left on")
	code, out := r.wait()

	require.Equal(t, exitCancelled, code, "stdout:\n%s\nterminal:\n%s", out, r.view())
	require.Empty(t, writeCalls(srv))
	require.Contains(t, r.view(), "notify> you@exa^C\ntrailwatch: cancelled")
}
