package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/termsafe"
	"github.com/trailwatch/trailwatch/plan"
)

// ttyPrompter asks fix's questions at the terminal: stdin read in raw mode,
// the questions drawn on stderr so stdout stays data. It reads keys itself
// (survey's Select filters by substring, so "a" then Enter picked "skip",
// and its Input lost the scrollback when an answer wrapped); the line editor
// is golang.org/x/term's, which redraws a wrapped line and follows resizes.
type ttyPrompter struct {
	in  ttyFile
	out io.Writer
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
// stdin and stderr are a terminal.
func (e *env) prompter() (fix.Prompter, bool) {
	if e.prompt != nil {
		return e.prompt, true
	}
	in, ok := e.stdin.(ttyFile)
	if !ok || !e.isTerminal(e.stdin) || !e.isTerminal(e.stderr) {
		return nil, false
	}
	return ttyPrompter{in: in, out: e.stderr, enterWindow: enterWindow}, true
}

// enterWindow: a person presses Enter after a key within a few hundred
// milliseconds. The pty tests shorten it; they are never run in parallel.
var enterWindow = 400 * time.Millisecond

// Keys as the terminal sends them in raw mode.
const (
	ctrlC = 3
	ctrlD = 4
	esc   = 0x1b
)

// approveKeys are the answers of the approval prompt. Enter is n: the
// safe default changes nothing.
var approveKeys = []struct {
	key      byte
	decision fix.Decision
	word     string
}{
	{'y', fix.Yes, "yes"},
	{'n', fix.Skip, "no"},
	{'a', fix.All, "all"},
	{'q', fix.Quit, "quit"},
}

// approveLegend is drawn with every question; each line fits 80 columns.
const approveLegend = `  y apply this account   n skip it (Enter)   a apply this and every one after
  q quit: apply only the accounts answered y so far  ? help  Ctrl-C cancel all
`

const approveHelp = `  y  apply this account's changes (after every account has been asked)
  n  skip this account; Enter and Ctrl-D do the same
  a  apply this account and every remaining one without asking again; an
     account that needs someone to notify is asked once, and that answer
     serves the rest
  q  stop asking: the accounts already answered y are applied, this one
     and the rest are skipped
  Ctrl-C  cancel the whole run: nothing is applied, exit 130
Nothing is written until every account has been asked.
`

func (p ttyPrompter) Approve(a plan.AccountPlan) (fix.Decision, error) {
	question := fmt.Sprintf("Apply %d %s to account %s? [y,n,a,q,?] ", len(a.Changes), plural(len(a.Changes), "change", "changes"), who(a))
	if err := p.say(approveLegend + question); err != nil {
		return fix.Skip, err
	}
	for {
		key, more, err := p.key()
		if err != nil {
			return fix.Skip, err
		}
		switch key {
		case '\r', '\n', ctrlD:
			return fix.Skip, p.say("no\n\n")
		case ctrlC:
			return fix.Skip, p.cancelled()
		case '?':
			if err := p.say("?\n" + approveHelp + question); err != nil {
				return fix.Skip, err
			}
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
		if err := p.say("\n  press y, n, a, q or ? (Enter skips)\n" + question); err != nil {
			return fix.Skip, err
		}
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
  Enter on an empty line, or Ctrl-D, skips this account; Ctrl-C cancels the run.
`

func (p ttyPrompter) Notify(a plan.AccountPlan) (string, error) {
	question := fmt.Sprintf("Who should be notified for account %s?\n"+
		"  The ENDPOINT above: you@example.com, https://…, an SQS/Lambda ARN, sms:+…\n"+
		"  Enter skips this account; ? shows examples.\n", who(a))
	if err := p.say(question); err != nil {
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
		ep, err := plan.ParseNotify(answer)
		if err != nil {
			if err := p.say("  " + termsafe.Escape(strings.TrimPrefix(err.Error(), plan.ErrInvalidInput.Error()+": ")) + "\n  try again; Enter skips, ? helps\n"); err != nil {
				return "", err
			}
			continue
		}
		return answer, p.say(fmt.Sprintf("  → protocol %s, endpoint %s\n\n", ep.Protocol, termsafe.Escape(ep.Endpoint)))
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

func (p ttyPrompter) cancelled() error {
	_ = p.say("^C\n")
	return fix.ErrCancelled
}

// errPromptCancelled is Ctrl-D on an empty line: cancel this prompt only.
var errPromptCancelled = errors.New("prompt cancelled")

// raw puts the terminal in raw mode after discarding whatever was typed
// before the question was on the screen: keys pressed earlier (say, a
// second Enter) must not answer a question the person has not read.
func (p ttyPrompter) raw() (restore func(), err error) {
	fd := int(p.in.Fd())
	if err := unix.IoctlSetInt(fd, unix.TCFLSH, unix.TCIFLUSH); err != nil {
		return nil, fmt.Errorf("prompt: discard typeahead: %w", err)
	}
	state, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("prompt: raw mode: %w", err)
	}
	return func() { _ = term.Restore(fd, state) }, nil
}

// key reads one key press. An escape sequence (an arrow key) comes as one
// read and is returned as esc, which no answer uses. Keys typed fast enough
// to arrive with it come back in more: Ctrl-C among them wins, and an Enter
// there belongs to the key.
func (p ttyPrompter) key() (key byte, more bool, err error) {
	restore, err := p.raw()
	if err != nil {
		return 0, false, err
	}
	defer restore()
	buf := make([]byte, 16)
	for {
		n, err := p.in.Read(buf)
		if errors.Is(err, io.EOF) {
			// The terminal hung up: nobody is left to answer.
			return 0, false, fix.ErrCancelled
		}
		if err != nil {
			return 0, false, fmt.Errorf("prompt: read key: %w", err)
		}
		if bytes.IndexByte(buf[:n], ctrlC) >= 0 {
			return ctrlC, false, nil
		}
		if n > 0 {
			return buf[0], n > 1 && buf[0] != esc, nil
		}
	}
}

// swallowEnter consumes what is typed right after a single-key answer,
// Enter above all; the next prompt would discard it anyway, but it may
// not have started yet. Only Ctrl-C keeps its meaning.
func (p ttyPrompter) swallowEnter() error {
	if p.enterWindow <= 0 {
		return nil
	}
	restore, err := p.raw()
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
	buf := make([]byte, 16)
	k, _ := p.in.Read(buf)
	if bytes.IndexByte(buf[:k], ctrlC) >= 0 {
		// Ctrl-C right after the answer still cancels the run.
		return p.cancelled()
	}
	return nil
}

// line reads one line with x/term's editor, sized to the terminal and
// resized with it. Ctrl-C cancels the run; Ctrl-D on an empty line cancels
// this prompt (errPromptCancelled).
func (p ttyPrompter) line(prompt string) (string, error) {
	restore, err := p.raw()
	if err != nil {
		return "", err
	}
	defer restore()
	in := &keyReader{r: p.in}
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
	// The terminal is still raw here, so a line ends with "\r\n"; and not
	// through t.Write, which would redraw the prompt after the text.
	switch {
	case in.interrupted || in.hungUp:
		_, _ = io.WriteString(p.out, "^C\r\n")
		return "", fix.ErrCancelled
	case errors.Is(err, io.EOF):
		_, _ = io.WriteString(p.out, "\r\n")
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
	r                   io.Reader
	interrupted, hungUp bool
}

var keySpellings = strings.NewReplacer(
	"\x1b[1~", "\x01", "\x1b[7~", "\x01", "\x1bOH", "\x01", // Home: Ctrl-A
	"\x1b[4~", "\x05", "\x1b[8~", "\x05", "\x1bOF", "\x05", // End: Ctrl-E
	"\x1bOA", "\x1b[A", "\x1bOB", "\x1b[B", "\x1bOC", "\x1b[C", "\x1bOD", "\x1b[D", // arrows in application mode
)

func (c *keyReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.hungUp = c.hungUp || errors.Is(err, io.EOF)
	if bytes.IndexByte(b[:n], ctrlC) >= 0 {
		c.interrupted = true
	}
	if bytes.IndexByte(b[:n], esc) >= 0 {
		// Every spelling is at most as long as the sequence it replaces.
		n = copy(b, keySpellings.Replace(string(b[:n])))
	}
	return n, err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
