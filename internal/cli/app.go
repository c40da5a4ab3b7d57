// Package cli is trailwatch's command layer: it turns the command line into
// the plain options of check, plan and fix, owns the terminal (colour,
// prompts, progress) and chooses the exit code. It is the only package that
// imports urfave/cli, survey, fatih/color and golang.org/x/term.
package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/termsafe"
)

// version is set at build time with
// -ldflags "-X github.com/trailwatch/trailwatch/internal/cli.version=...".
var version = "dev"

// tool names this program in the reports it writes. A function, not a
// variable initialised from version: the compiler may fold that copy before
// the linker's -X has set version.
func tool() check.Tool { return check.Tool{Name: "trailwatch", Version: version} }

func init() {
	// A boolean flag is off unless given: "(default: false)" on each says
	// nothing.
	stringer := cli.FlagStringer
	cli.FlagStringer = func(f cli.Flag) string {
		s := stringer(f)
		if _, ok := f.(*cli.BoolFlag); ok {
			s = strings.TrimSuffix(s, " (default: false)")
		}
		return s
	}
	// urfave/cli's templates leave spaces at the ends of some lines.
	printer := cli.HelpPrinter
	cli.HelpPrinter = func(w io.Writer, templ string, data any) {
		var b bytes.Buffer
		printer(&b, templ, data)
		_, _ = w.Write(trailingSpace.ReplaceAll(b.Bytes(), nil))
	}
}

var trailingSpace = regexp.MustCompile(`(?m)[ \t]+$`)

func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:            "trailwatch",
		Usage:           `audit, fix and drill the CIS AWS monitoring controls: metric filter → alarm → SNS topic → subscriber (Security Hub CloudWatch.1–14)`,
		Version:         version,
		Reader:          e.stdin,
		Writer:          e.stdout,
		ErrWriter:       e.stderr,
		HideHelpCommand: true,
		// urfave/cli adds --help itself only beside its own help command,
		// which helpCommand replaces; --version is named here so that a
		// mistyped flag can be matched against it.
		Flags: []cli.Flag{cli.HelpFlag, cli.VersionFlag},
		// Errors are printed and mapped to exit codes by Run, not by urfave/cli.
		ExitErrHandler: func(*cli.Context, error) {},
		// Without a command, the help; with an unknown one, a usage error.
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return unknownCommand("command", c.Args().First(), c.App)
			}
			return cli.ShowAppHelp(c)
		},
		// In the order they are used: audit, understand a filter, plan,
		// fix, prove delivery; then the tools to try it without an AWS
		// account.
		Commands: []*cli.Command{
			helpCommand(),
			checkCommand(e),
			patternCommand(e),
			planCommand(e),
			fixCommand(e),
			drillCommand(e),
			demoCommand(e),
			sandboxCommand(e),
			versionCommand(),
		},
	}
	app.OnUsageError = flagUsageError(app.Name, app.Flags)
	defaultUsageErrors(app.Name, app.Commands)
	return app
}

// versionCommand is `trailwatch version`, the same as --version.
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version (as --version does)",
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			cli.ShowVersion(c)
			return nil
		},
	}
}

// defaultUsageErrors gives every command without its own OnUsageError one
// that knows its flags: urfave/cli applies the app's only to the app's own
// flags, so a command's flag mistake would otherwise print help on stdout
// and exit 3.
func defaultUsageErrors(parent string, cmds []*cli.Command) {
	for _, c := range cmds {
		if c.OnUsageError == nil {
			c.OnUsageError = flagUsageError(parent+" "+c.Name, c.Flags)
		}
		defaultUsageErrors(parent+" "+c.Name, c.Subcommands)
	}
}

// Run runs trailwatch with the process's arguments and streams and returns
// its exit code.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, isTerminal: osIsTerminal, aborts: &abortList{},
		stopSignal: &atomic.Pointer[os.Signal]{}}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	// SIGTERM is what CI systems and service managers send to cancel a
	// job: it is handled as Ctrl-C is, so the journal stays truthful.
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go watchInterrupts(sigs, func() { cancel(signalCause(e.stoppedBy())) }, e, os.Exit)
	return runApp(ctx, e, args)
}

// errTerminated is the cause of a context cancelled by SIGTERM; a run it
// ends exits exitTerminated instead of exitCancelled.
var errTerminated = errors.New("terminated (SIGTERM)")

// watchInterrupts turns the first Ctrl-C or SIGTERM into a cancelled
// context: the commands stop starting work (fix completes the writes
// already sent and journals them) and report what happened. A second one
// exits at once, after what is being journaled is on disk.
func watchInterrupts(sigs <-chan os.Signal, cancel func(), e *env, exit func(int)) {
	sig, ok := <-sigs
	if !ok {
		return
	}
	e.noteSignal(sig)
	cancel()
	if sig, ok = <-sigs; !ok {
		return
	}
	e.abort()
	fmt.Fprintln(e.stderr, "trailwatch: interrupted again: exiting now; writes still in flight are not in the journal")
	if sig == syscall.SIGTERM {
		exit(exitTerminated)
	}
	exit(exitCancelled)
}

func signalCause(sig os.Signal) error {
	if sig == syscall.SIGTERM {
		return errTerminated
	}
	return context.Canceled
}

func runApp(ctx context.Context, e *env, args []string) int {
	err := newApp(e).RunContext(ctx, args)
	if err == nil && ctx.Err() != nil {
		err = errCancelled
	}
	if errors.Is(err, errCancelled) && errors.Is(context.Cause(ctx), errTerminated) {
		var ee *exitError
		if !errors.As(err, &ee) {
			err = &exitError{code: exitTerminated, err: errTerminated}
		}
	}
	var ee *exitError
	if err != nil && (!errors.As(err, &ee) || ee.err != nil) {
		// Errors quote names, AWS's messages and file contents: inert on a
		// terminal, with the lines trailwatch itself laid out kept.
		fmt.Fprintf(e.stderr, "trailwatch: %s\n", termsafe.Lines(err.Error()))
	}
	return exitCode(err)
}
