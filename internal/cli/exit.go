package cli

import (
	"errors"
	"fmt"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/plan"
)

// Exit codes, decided here and nowhere else. docs/exit-codes.md documents them.
const (
	exitOK        = 0   // all compliant / nothing to change / every event matched
	exitFindings  = 1   // non-compliant, changes pending, or a pattern that misses events
	exitUsage     = 2   // bad usage or bad input (flags, pattern syntax, files)
	exitFailed    = 3   // could not evaluate or apply (AWS errors, MANUAL results)
	exitCancelled = 130 // interrupted or cancelled by the user
	// exitTerminated is a run of check, plan or fix stopped by SIGTERM:
	// 128+15, what a shell reports for a process SIGTERM killed, so a CI
	// log tells a cancelled job from a person's Ctrl-C.
	exitTerminated = 143
)

// errCancelled is returned when the user interrupts a run.
var errCancelled = errors.New("cancelled")

// exitError carries the process exit code chosen by a command. A nil err
// means the command already reported everything it had to say.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad usage or input: exit 2.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// withCode returns a silent error that only sets the exit code.
func withCode(code int) error {
	if code == exitOK {
		return nil
	}
	return &exitError{code: code}
}

// exitCode maps an error returned by the app to the process exit code.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errCancelled):
		return exitCancelled
	default:
		return exitFailed
	}
}

// checkExitCode follows docs/exit-codes.md: a definite FAIL is what a
// script acts on, so it wins over ERROR and MANUAL.
func checkExitCode(s check.Summary) int {
	switch {
	case s.Fail > 0:
		return exitFindings
	case s.Error > 0 || s.Manual > 0:
		return exitFailed
	}
	return exitOK
}

// planExitCode: planned changes, or accounts still failing that need a
// person, are what a script acts on (1); otherwise accounts that could not
// be evaluated make it 3.
func planExitCode(p plan.Plan, failed int) int {
	create, update, _ := p.Counts()
	if create+update > 0 {
		return exitFindings
	}
	for _, a := range p.Accounts {
		if a.Status == check.Fail {
			return exitFindings
		}
	}
	if failed > 0 {
		return exitFailed
	}
	return exitOK
}

// fixExitCode: an apply that failed or found its plan stale is the most
// urgent (3); then accounts still non-compliant or declined (1); then
// accounts that could not be evaluated (3); else every account is compliant.
func fixExitCode(reports []fix.Report) int {
	for _, r := range reports {
		if r.Result != nil && r.Result.Outcome != fix.Done {
			return exitFailed
		}
	}
	unsettled := false
	for _, r := range reports {
		switch r.Now().Status {
		case check.Fail:
			return exitFindings
		case check.Pass:
		default:
			unsettled = true
		}
	}
	if unsettled {
		return exitFailed
	}
	return exitOK
}
