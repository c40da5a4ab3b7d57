package cli

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
	"golang.org/x/term"

	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/internal/wrap"
)

// env is what a command may touch of the outside world and the dependencies
// it is given: the one I/O-and-dependencies struct every command takes.
// Tests start from testEnv and set what they need.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// isTerminal reports whether the stream is an interactive terminal.
	isTerminal func(any) bool
	// aws is laid over every AWS configuration the commands load; the demo
	// uses it to reach its sandbox and nothing else.
	aws awsenv.Overrides
	// prompt, when set, is who fix asks instead of the terminal prompter:
	// tests answer through it without one.
	prompt fix.Prompter
	// now, when set, is the clock reports are stamped with (golden files).
	now func() time.Time
	// aborts, when set, is what a second interrupt does before exiting.
	aborts *abortList
	// stopSignal, when set, holds the first signal that stopped the run
	// (SIGINT or SIGTERM), which decides the exit code; shared by the
	// copies the demo makes.
	stopSignal *atomic.Pointer[os.Signal]
	// width, when set, stands in for the terminal's width (tests); 0 is
	// no wrapping.
	width func(w io.Writer) int
}

func (e *env) noteSignal(sig os.Signal) {
	if e.stopSignal != nil {
		e.stopSignal.Store(&sig)
	}
}

func (e *env) stoppedBy() os.Signal {
	if e.stopSignal == nil {
		return nil
	}
	if s := e.stopSignal.Load(); s != nil {
		return *s
	}
	return nil
}

type abortList struct {
	mu sync.Mutex
	fs []func()
}

func osIsTerminal(f any) bool {
	if file, ok := f.(*os.File); ok {
		return isatty.IsTerminal(file.Fd()) || isatty.IsCygwinTerminal(file.Fd())
	}
	return false
}

// palette decides colour in one place: NO_COLOR, TERM=dumb and non-terminals
// turn it off, and fatih/color is kept in step so nothing else colours by itself.
func (e *env) palette(w io.Writer) style.Palette {
	enabled := e.isTerminal(w) && e.getenv("NO_COLOR") == "" && e.getenv("TERM") != "dumb"
	color.NoColor = !enabled
	if !enabled {
		return style.Plain()
	}
	paint := func(attrs ...color.Attribute) func(string) string {
		c := color.New(attrs...)
		c.EnableColor()
		return func(s string) string { return c.Sprint(s) }
	}
	return style.Palette{
		Good:  paint(color.FgGreen),
		Bad:   paint(color.FgRed),
		Warn:  paint(color.FgYellow),
		Faint: paint(color.Faint),
		Bold:  paint(color.Bold),
	}
}

// termWidth is the width of the terminal w is, 0 when w is not one: text
// is then written as is, one line per line.
func (e *env) termWidth(w io.Writer) int {
	if e.width != nil {
		return e.width(w)
	}
	f, ok := w.(*os.File)
	if !ok || !e.isTerminal(w) {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return cols
}

// render draws text through f onto w, wrapped at word boundaries to w's
// terminal width (values such as ARNs are never split); without a
// terminal, exactly as f writes it.
func (e *env) render(w io.Writer, f func(io.Writer) error) error {
	width := e.termWidth(w)
	if width <= 0 {
		return f(w)
	}
	ww := wrap.New(w, width).(*wrap.Writer)
	if err := f(ww); err != nil {
		return err
	}
	return ww.Flush()
}

// atAbort registers what must be done before exiting at once on a second
// interrupt (flush and close the journal).
func (e *env) atAbort(f func()) {
	if e.aborts == nil {
		return
	}
	e.aborts.mu.Lock()
	defer e.aborts.mu.Unlock()
	e.aborts.fs = append(e.aborts.fs, f)
}

func (e *env) abort() {
	if e.aborts == nil {
		return
	}
	e.aborts.mu.Lock()
	defer e.aborts.mu.Unlock()
	for _, f := range e.aborts.fs {
		f()
	}
}
