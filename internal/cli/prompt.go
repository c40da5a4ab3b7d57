package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/AlecAivazis/survey/v2/terminal"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/termsafe"
	"github.com/trailwatch/trailwatch/internal/wrap"
	"github.com/trailwatch/trailwatch/plan"
)

// ttyPrompter asks fix's questions at the terminal, built on survey's
// terminal package (github.com/AlecAivazis/survey/v2/terminal): its key
// mode with echo and signals off, its RuneReader for single keys, its key
// names. The questions are drawn on stderr so stdout stays data. survey's
// Select is not used: it filters by substring, so "a" then Enter picked
// "skip". The notify line alone is edited by golang.org/x/term: survey's
// line reader (RuneReader.ReadLine, which its Input uses) erases a wrapped
// answer's later rows on Enter (TestFixAtTerminalLongWrappedAnswer), and
// with Enter taken from it, it still sizes the terminal only once (a resize
// then backspace erases the wrong cells), ignores Ctrl-U, and lets the next
// line overwrite a wrapped answer when Enter is pressed on its first row
// (TestFixAtTerminalNotifyLineEditing).
type ttyPrompter struct {
	in  ttyFile
	out io.Writer
	// done closes when the run is stopped (SIGINT or SIGTERM from outside):
	// a question waiting for a key gives up at once.
	done <-chan struct{}
	// enterWindow is how long a single-key answer waits for an Enter that
	// belongs to it, so "a" then Enter is one answer, not "all" followed
	// by an Enter that skips the next question.
	enterWindow time.Duration
}

type ttyFile interface {
	io.Reader
	Fd() uintptr
}

// prompter returns env's prompt if set, else the terminal prompter when
// stdin is a terminal and there is one to draw on: stderr, or when stderr
// is redirected (fix 2>fix.log), the controlling terminal, as ssh and gpg
// ask for a passphrase. out is where the questions are drawn; done stops a
// waiting question.
func (e *env) prompter(done <-chan struct{}) (p fix.Prompter, out io.Writer, ok bool) {
	if e.prompt != nil {
		return e.prompt, e.stderr, true
	}
	in, ok := e.stdin.(ttyFile)
	if !ok || !e.isTerminal(e.stdin) {
		return nil, nil, false
	}
	out = e.stderr
	if !e.isTerminal(e.stderr) {
		tty, err := e.controllingTerminal()
		if err != nil {
			return nil, nil, false
		}
		out = tty
	}
	return ttyPrompter{in: in, out: out, done: done, enterWindow: enterWindow}, out, true
}

// controllingTerminal opens /dev/tty for writing; it fails when the
// process has no controlling terminal (cron, CI, setsid). The caller
// closes it.
func (e *env) controllingTerminal() (*os.File, error) {
	f, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	if !e.isTerminal(f) {
		f.Close()
		return nil, errors.New("/dev/tty is not a terminal")
	}
	return f, nil
}

// enterWindow: a person presses Enter after a key within a few hundred
// milliseconds. The pty tests shorten it; they are never run in parallel.
var enterWindow = 400 * time.Millisecond

// approveKeys are the answers of the approval prompt. Enter is n: the
// safe default changes nothing.
var approveKeys = []struct {
	key      rune
	decision fix.Decision
	word     string
}{
	{'y', fix.Yes, "yes"},
	{'n', fix.Skip, "no"},
	{'a', fix.All, "all"},
	{'q', fix.Quit, "quit"},
}

// approveLegend is drawn with every question; each line fits 80 columns.
const approveLegend = `  y apply this account   n skip it (Enter)   a this one, then ask for the rest
  q quit: apply only the accounts answered y so far  ? help  Ctrl-C cancel all
`

const approveHelp = `  y  apply this account's changes (after every account has been asked)
  n  skip this account; Enter and Ctrl-D do the same
  a  apply this account, then draw every remaining account's changes (each
     one that needs someone to notify is asked, earlier answers offered) and
     ask once whether to apply all of them too (Enter: no)
  q  stop asking: the accounts already answered y are applied, this one
     and the rest are skipped
  Ctrl-C  cancel the whole run: nothing is applied, exit 130
Nothing is written until every account has been asked.
`

func (p ttyPrompter) Approve(a plan.AccountPlan) (fix.Decision, error) {
	question := fmt.Sprintf("Apply %d %s to account %s? [y,n,a,q,?] ", len(a.Changes), plural(len(a.Changes), "change", "changes"), who(a))
	if err := p.ask(approveLegend + question); err != nil {
		return fix.Skip, err
	}
	// stray is when ? or a key that is no answer was read: an Enter right
	// after it is that key's, not the default answer. It is not swallowed
	// as after an answer, which would lose a key pressed next.
	var stray time.Time
	for {
		key, more, err := p.key()
		if err != nil {
			return fix.Skip, err
		}
		switch key {
		case terminal.KeyEnter, '\n':
			if time.Since(stray) < p.enterWindow {
				continue
			}
			return fix.Skip, p.say("no\n\n")
		case terminal.KeyEndTransmission:
			return fix.Skip, p.say("no\n\n")
		case terminal.KeyInterrupt:
			return fix.Skip, p.cancelled()
		case '?':
			if err := p.ask("?\n" + approveHelp + question); err != nil {
				return fix.Skip, err
			}
			stray = time.Now()
			continue
		}
		for _, k := range approveKeys {
			if key == k.key || key == k.key-'a'+'A' {
				if err := p.say(k.word + "\n\n"); err != nil {
					return fix.Skip, err
				}
				if more {
					// What followed the key came with it: nothing to wait for.
					return k.decision, nil
				}
				return k.decision, p.swallowEnter()
			}
		}
		if err := p.ask("\n  press y, n, a, q or ? (Enter skips)\n" + question); err != nil {
			return fix.Skip, err
		}
		stray = time.Now()
	}
}

const notifyHelp = `  Name whoever should receive the alarm. What you type is subscribed to the
  alarm's topic; SNS asks an email address or a URL to confirm first.
    you@example.com                                    email
    https://hooks.example.com/sns                      https (http:// too)
    arn:aws:sqs:us-east-1:123456789012:alerts          sqs
    arn:aws:lambda:us-east-1:123456789012:function:f   lambda
    sms:+14155550100 or +14155550100                   sms
    email-json:you@example.com                         email-json
  An SNS topic ARN (arn:aws:sns:…) makes the alarm notify that topic instead
  of a new one, as --topic-arn does. A number picks one of the choices listed.
  Enter on an empty line, or Ctrl-D, skips this account; Ctrl-C cancels the run.
`

func (p ttyPrompter) Notify(a plan.AccountPlan, offers []fix.Offer) (string, error) {
	question := fmt.Sprintf("Who should be notified for account %s?\n"+
		"  The ENDPOINT above: you@example.com, https://…, an SQS/Lambda ARN, sms:+…\n", who(a))
	if len(offers) > 0 {
		question += "  or the number of one of these:\n"
		for i, o := range offers {
			question += fmt.Sprintf("    %d  %s\n       %s\n", i+1, termsafe.Escape(o.Answer), termsafe.Escape(o.Why))
		}
	}
	question += "  Enter skips this account; ? shows examples.\n"
	if err := p.ask(question); err != nil {
		return "", err
	}
	for {
		line, err := p.line("notify> ")
		switch {
		case errors.Is(err, errPromptCancelled):
			return "", p.say("  (skipped: nobody named)\n\n")
		case err != nil:
			return "", err
		}
		answer := strings.TrimSpace(line)
		switch answer {
		case "":
			return "", p.say("  (skipped: nobody named)\n\n")
		case "?":
			if err := p.say(notifyHelp); err != nil {
				return "", err
			}
			continue
		}
		if n, ok := choiceNumber(answer); ok {
			if n < 1 || n > len(offers) {
				if err := p.say(fmt.Sprintf("  %d: no such choice\n  try again; Enter skips, ? helps\n", n)); err != nil {
					return "", err
				}
				continue
			}
			answer = offers[n-1].Answer
		}
		if arn, ok := plan.NotifyTopicARN(answer); ok {
			return arn, p.say(fmt.Sprintf("  → topic %s, instead of a new one\n\n", termsafe.Escape(arn)))
		}
		ep, err := plan.ParseNotify(answer)
		if err != nil {
			if err := p.say("  " + termsafe.Escape(err.Error()) + "\n  try again; Enter skips, ? helps\n"); err != nil {
				return "", err
			}
			continue
		}
		return answer, p.say(fmt.Sprintf("  → protocol %s, endpoint %s\n\n", ep.Protocol, termsafe.Escape(ep.Endpoint)))
	}
}

// choiceNumber reads an answer that picks a listed choice: a few digits,
// never a phone number (+14155550100 is an SMS endpoint).
func choiceNumber(s string) (int, bool) {
	if len(s) > 3 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// ApproveRest is asked after "a", once every remaining account's changes
// are drawn. Only y applies them: Enter, n and Ctrl-D skip them all.
func (p ttyPrompter) ApproveRest(accounts []plan.AccountPlan) (bool, error) {
	changes := 0
	names := make([]string, len(accounts))
	for i, a := range accounts {
		changes += len(a.Changes)
		names[i] = who(a)
	}
	to := "account " + names[0]
	if len(names) > 1 {
		to = fmt.Sprintf("%d more accounts: %s", len(names), strings.Join(names, ", "))
	}
	question := fmt.Sprintf("Apply also the %d %s drawn above to %s? [y,N] ", changes, plural(changes, "change", "changes"), to)
	if err := p.ask(question); err != nil {
		return false, err
	}
	var stray time.Time
	for {
		key, more, err := p.key()
		if err != nil {
			return false, err
		}
		switch key {
		case terminal.KeyEnter, '\n':
			if time.Since(stray) < p.enterWindow {
				continue
			}
			return false, p.say("no\n\n")
		case terminal.KeyEndTransmission, 'n', 'N':
			return false, p.say("no\n\n")
		case terminal.KeyInterrupt:
			return false, p.cancelled()
		case 'y', 'Y':
			if err := p.say("yes\n\n"); err != nil || more {
				return err == nil, err
			}
			return true, p.swallowEnter()
		}
		if err := p.ask("\n  press y to apply them all, n or Enter to skip them all, Ctrl-C to cancel the run\n" + question); err != nil {
			return false, err
		}
		stray = time.Now()
	}
}

func who(a plan.AccountPlan) string {
	s := termsafe.Escape(a.Account)
	if len(a.Profiles) > 0 {
		s += " (profile " + termsafe.Escape(strings.Join(a.Profiles, ", ")) + ")"
	}
	return s
}

// say writes to the terminal in its normal mode, where "\n" starts a line.
func (p ttyPrompter) say(s string) error {
	if _, err := io.WriteString(p.out, s); err != nil {
		return fmt.Errorf("prompt: %w", err)
	}
	return nil
}

// ask writes a question as say does, each line wrapped at word boundaries
// to the terminal's width, so a name in it is never split; the spaces the
// question ends with, before its answer, are kept. What is echoed back
// after an answer is written as is.
func (p ttyPrompter) ask(s string) error {
	if width, _, err := term.GetSize(int(p.in.Fd())); err == nil && width > 0 {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			body := strings.TrimRight(l, " ")
			lines[i] = wrap.Line(body, width) + l[len(body):]
		}
		s = strings.Join(lines, "\n")
	}
	return p.say(s)
}

func (p ttyPrompter) cancelled() error {
	_ = p.say("^C\n")
	return fix.ErrCancelled
}

// errPromptCancelled is Ctrl-D on an empty line: cancel this prompt only.
var errPromptCancelled = errors.New("prompt cancelled")

// keys puts the terminal in survey's key-reading mode (no echo, no line
// buffering, no signals: Ctrl-C arrives as a key) after discarding whatever
// was typed before the question was on the screen: keys pressed earlier
// (say, a second Enter) must not answer a question the person has not read.
// Each call reads with a new RuneReader, so keys left over from an earlier
// read are dropped with it.
func (p ttyPrompter) keys() (rr *terminal.RuneReader, tap *keyTap, restore func(), err error) {
	if err := unix.IoctlSetInt(int(p.in.Fd()), unix.TCFLSH, unix.TCIFLUSH); err != nil {
		return nil, nil, nil, fmt.Errorf("prompt: discard typeahead: %w", err)
	}
	tap = &keyTap{ttyFile: p.in}
	rr = terminal.NewRuneReader(terminal.Stdio{In: tap})
	if err := rr.SetTermMode(); err != nil {
		return nil, nil, nil, fmt.Errorf("prompt: raw mode: %w", err)
	}
	return rr, tap, func() { _ = rr.RestoreTermMode() }, nil
}

// keyTap is stdin as survey's RuneReader reads it, keeping the last read:
// keys that arrive in one read were typed together.
type keyTap struct {
	ttyFile
	last []byte
	err  error
}

func (t *keyTap) Read(b []byte) (int, error) {
	n, err := t.ttyFile.Read(b)
	t.last, t.err = append(t.last[:0], b[:n]...), err
	return n, err
}

// key reads one key press. An escape sequence (an arrow key) is one key,
// which no answer uses. Keys typed fast enough to arrive with it come back
// in more: Ctrl-C among them wins, and an Enter there belongs to the key.
func (p ttyPrompter) key() (key rune, more bool, err error) {
	rr, tap, restore, err := p.keys()
	if err != nil {
		return 0, false, err
	}
	defer restore()
	if err := p.waitForKey(); err != nil {
		return 0, false, err
	}
	key, size, err := rr.ReadRune()
	switch {
	case hungUp(tap.err):
		// The terminal is gone: nobody is left to answer.
		return 0, false, fix.ErrCancelled
	case tap.err != nil:
		return 0, false, fmt.Errorf("prompt: read key: %w", tap.err)
	case bytes.IndexByte(tap.last, terminal.KeyInterrupt) >= 0:
		return terminal.KeyInterrupt, false, nil
	case err != nil:
		// An escape sequence survey does not know (Alt and a key): no answer.
		return terminal.KeyEscape, false, nil
	}
	return key, tap.last[0] != terminal.KeyEscape && len(tap.last) > size, nil
}

// swallowEnter consumes what is typed right after a single-key answer,
// Enter above all; the next prompt would discard it anyway, but it may
// not have started yet. Only Ctrl-C keeps its meaning.
func (p ttyPrompter) swallowEnter() error {
	if p.enterWindow <= 0 {
		return nil
	}
	_, tap, restore, err := p.keys()
	if err != nil {
		return err
	}
	defer restore()
	fds := []unix.PollFd{{Fd: int32(p.in.Fd()), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, int(p.enterWindow.Milliseconds()))
	if err != nil || n == 0 {
		// EINTR (a resize) or nothing typed: the answer stands either way.
		return nil
	}
	// Read as it came, not as runes: a RuneReader handed the start of an
	// escape sequence would wait for its end, which may never be typed.
	_, _ = tap.Read(make([]byte, 64))
	if bytes.IndexByte(tap.last, terminal.KeyInterrupt) >= 0 {
		// Ctrl-C right after the answer still cancels the run.
		return p.cancelled()
	}
	return nil
}

// line reads one line with x/term's editor (see ttyPrompter for why not
// survey's), in survey's key mode, sized to the terminal and resized with
// it. Ctrl-C cancels the run; Ctrl-D on an empty line cancels this prompt
// (errPromptCancelled).
func (p ttyPrompter) line(prompt string) (string, error) {
	_, _, restore, err := p.keys()
	if err != nil {
		return "", err
	}
	defer restore()
	in := &keyReader{r: p.in, wait: p.waitForKey}
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{in, p.out}, prompt)
	fd := int(p.in.Fd())
	if w, h, err := term.GetSize(fd); err == nil {
		_ = t.SetSize(w, h)
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	done := make(chan struct{})
	defer func() {
		signal.Stop(winch)
		close(done)
	}()
	go func() {
		for {
			select {
			case <-winch:
				if w, h, err := term.GetSize(fd); err == nil {
					_ = t.SetSize(w, h)
				}
			case <-done:
				return
			}
		}
	}()
	s, err := t.ReadLine()
	// Not through t.Write, which would redraw the prompt after the text.
	switch {
	case in.stopped:
		return "", fix.ErrCancelled
	case in.interrupted || in.hungUp:
		return "", p.cancelled()
	case errors.Is(err, io.EOF):
		_ = p.say("\n")
		return "", errPromptCancelled
	case err != nil:
		return "", fmt.Errorf("prompt: read line: %w", err)
	}
	return s, nil
}

// keyReader passes keys on to x/term's line editor, noting Ctrl-C and a
// hang-up (ReadLine answers Ctrl-C, Ctrl-D and a closed terminal alike with
// io.EOF, and only Ctrl-D cancels no more than the prompt), and spelling
// Home and End the way the editor knows them: terminals send several forms.
type keyReader struct {
	r io.Reader
	// wait, when set, blocks until a key can be read; an error is the run
	// stopped.
	wait                         func() error
	interrupted, hungUp, stopped bool
}

var keySpellings = strings.NewReplacer(
	"\x1b[1~", "\x01", "\x1b[7~", "\x01", "\x1bOH", "\x01", // Home: Ctrl-A
	"\x1b[4~", "\x05", "\x1b[8~", "\x05", "\x1bOF", "\x05", // End: Ctrl-E
	"\x1bOA", "\x1b[A", "\x1bOB", "\x1b[B", "\x1bOC", "\x1b[C", "\x1bOD", "\x1b[D", // arrows in application mode
)

func (c *keyReader) Read(b []byte) (int, error) {
	if c.wait != nil {
		if err := c.wait(); err != nil {
			c.stopped = true
			return 0, io.EOF
		}
	}
	n, err := c.r.Read(b)
	c.hungUp = c.hungUp || hungUp(err)
	if bytes.IndexByte(b[:n], terminal.KeyInterrupt) >= 0 {
		c.interrupted = true
	}
	if bytes.IndexByte(b[:n], terminal.KeyEscape) >= 0 {
		// Every spelling is at most as long as the sequence it replaces.
		n = copy(b, keySpellings.Replace(string(b[:n])))
	}
	return n, err
}

// stopPoll is how often a question waiting for a key looks whether the run
// was stopped by a signal: the terminal is in raw mode, so SIGINT from
// outside (kill -INT) or SIGTERM is not a key and would otherwise be seen
// only when the next key is pressed.
const stopPoll = 50 * time.Millisecond

// waitForKey waits until stdin has something to read, or the run is
// stopped (fix.ErrCancelled).
func (p ttyPrompter) waitForKey() error {
	fds := []unix.PollFd{{Fd: int32(p.in.Fd()), Events: unix.POLLIN}}
	for {
		select {
		case <-p.done:
			_ = p.say("\n")
			return fix.ErrCancelled
		default:
		}
		n, err := unix.Poll(fds, int(stopPoll.Milliseconds()))
		if err == nil && n > 0 {
			return nil
		}
		if err != nil && !errors.Is(err, unix.EINTR) {
			// Let the read report what is wrong with the terminal.
			return nil
		}
	}
}

// hungUp reports a read from a terminal that is gone: a closed terminal
// reads as end of file, a pseudo-terminal whose other side closed (a
// terminal window, an ssh connection) fails with EIO.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, unix.EIO)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
