// Package cli is trailwatch's command layer: it turns the command line into
// the plain options of check, plan and fix, owns the terminal (colour,
// prompts, progress) and chooses the exit code. It is the only package that
// imports urfave/cli, survey, fatih/color and golang.org/x/term.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
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

func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:            "trailwatch",
		Usage:           `audit and fix "CloudTrail configuration changes are monitored" (CIS AWS 4.5, Security Hub CloudWatch.5)`,
		Version:         version,
		Reader:          e.stdin,
		Writer:          e.stdout,
		ErrWriter:       e.stderr,
		HideHelpCommand: true,
		// urfave/cli adds --help itself only beside its own help command,
		// which helpCommand replaces.
		Flags: []cli.Flag{cli.HelpFlag},
		// Errors are printed and mapped to exit codes by Run, not by urfave/cli.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   flagUsageError,
		// Without a command, the help; with an unknown one, a usage error.
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return unknownCommand("command", c.Args().First(), c.App)
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			helpCommand(),
			sandboxCommand(e),
			patternCommand(e),
			checkCommand(e),
			planCommand(e),
			fixCommand(e),
			demoCommand(e),
			drillCommand(e),
		},
	}
	defaultUsageErrors(app.Commands)
	return app
}

func flagUsageError(_ *cli.Context, err error, _ bool) error {
	return usageError("%w", err)
}

// defaultUsageErrors gives every command without its own OnUsageError the
// app's: urfave/cli applies the app's only to the app's own flags, so a
// command's flag mistake would otherwise print help on stdout and exit 3.
func defaultUsageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		if c.OnUsageError == nil {
			c.OnUsageError = flagUsageError
		}
		defaultUsageErrors(c.Subcommands)
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
