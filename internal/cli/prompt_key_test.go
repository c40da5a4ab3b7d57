//go:build linux

package cli

import (
	"os"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/trailwatch/trailwatch/fix"
)

// noAnswer stands for any key no answer of the approval prompt uses (which
// one is survey's business: only prompt.go knows survey).
const noAnswer rune = -1

// A key press is one key, however many bytes the terminal sends for it;
// keys that arrive with it are "more" (an Enter there belongs to it), a
// Ctrl-C among them wins, and keys no answer uses come back as something
// no answer matches.
func TestPromptKey(t *testing.T) {
	for _, tc := range []struct {
		name, typed string
		key         rune
		more        bool
	}{
		{"a key", "y", 'y', false},
		{"a key and its Enter in one read", "a\r", 'a', true},
		{"a capital", "Q", 'Q', false},
		{"Enter", "\r", '\n', false}, // the terminal turns it into a newline
		{"an arrow", "\x1b[A", noAnswer, false},
		{"an arrow in application mode", "\x1bOD", noAnswer, false},
		{"Home as some terminals send it", "\x1b[1~", noAnswer, false},
		{"Alt and a key", "\x1bx", noAnswer, false},
		{"Escape", "\x1b", noAnswer, false},
		{"Ctrl-C after a key", "y\x03", '\x03', false},
		{"Ctrl-D", "\x04", '\x04', false},
		{"a letter beyond ASCII", "é", 'é', false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			master, tty, err := pty.Open()
			require.NoError(t, err)
			t.Cleanup(func() { tty.Close(); master.Close() })
			whenReading(tty, func() { _, _ = master.WriteString(tc.typed) })
			key, more, err := ttyPrompter{in: tty, out: tty}.key()
			require.NoError(t, err)
			if tc.key == noAnswer {
				require.NotContains(t, "yYnNaAqQ?\r\n\x03\x04", string(key), "%q answers nothing", tc.typed)
			} else {
				require.Equal(t, tc.key, key, "%q", tc.typed)
			}
			require.Equal(t, tc.more, more, "%q", tc.typed)
			tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
			require.NoError(t, err)
			require.NotZero(t, tio.Lflag&unix.ICANON, "the terminal is back in its normal mode")
		})
	}
}

// A terminal window closed at a question leaves nobody to answer: the run
// is cancelled, not failed, at either prompt.
func TestPromptHangUp(t *testing.T) {
	for name, ask := range map[string]func(ttyPrompter) error{
		"approval": func(p ttyPrompter) error { _, _, err := p.key(); return err },
		"notify":   func(p ttyPrompter) error { _, err := p.line("notify> "); return err },
	} {
		t.Run(name, func(t *testing.T) {
			master, tty, err := pty.Open()
			require.NoError(t, err)
			defer tty.Close()
			whenReading(tty, func() { master.Close() })
			require.ErrorIs(t, ask(ttyPrompter{in: tty, out: tty}), fix.ErrCancelled)
		})
	}
}

// whenReading calls do once the prompt reads keys from tty, in the
// background: keys typed before that are discarded as typeahead.
func whenReading(tty *os.File, do func()) {
	fd := int(tty.Fd()) // here: the test closes tty, without telling this goroutine
	go func() {
		for {
			tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
			if err != nil || tio.Lflag&unix.ICANON == 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		do()
	}()
}
