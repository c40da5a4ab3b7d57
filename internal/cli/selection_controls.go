package cli

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/control"
)

// controlSelection is which controls a command decides (--control,
// --benchmark); the zero value is the default control alone, as before
// controls could be chosen.
type controlSelection struct {
	controls []control.Control // empty: the default control
	standard control.Standard  // zero: no --benchmark
}

// controlFlags are --control and --benchmark, shared by check, plan, fix
// (through selectionFlags) and pattern (--control only: it explains one).
func controlFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "control", Usage: "`CONTROL` to decide (repeatable, or comma-separated): a Security Hub ID (CloudWatch.1–CloudWatch.14), a CIS number (4.1–4.15), a trailwatch name (cloudtrail-changes) or all; default: cloudtrail-changes (docs/controls.md)"},
		&cli.StringFlag{Name: "benchmark", Usage: "decide the controls of standard `NAME` and number them as it does: cis-1.2 … cis-6.0, securityhub, securityhub-cis-1.4 (docs/controls.md)"},
	}
}

// controlsFromContext resolves --control and --benchmark; an unknown value
// is a usage error naming the nearest known one.
func controlsFromContext(c *cli.Context) (controlSelection, error) {
	var s controlSelection
	if c.IsSet("benchmark") {
		std, err := control.Benchmark(c.String("benchmark"))
		if err != nil {
			return s, unknownSelection("--benchmark", err)
		}
		s.standard = std
	}
	picked, err := control.Select(c.StringSlice("control"), s.standard)
	if err != nil {
		return s, unknownSelection("--control", err)
	}
	switch {
	case len(picked) > 0:
		s.controls = picked
	case c.IsSet("control"):
		return s, usageError("--control: want a control, e.g. CloudWatch.5, 4.5 or all")
	case s.standard.Name != "":
		s.controls = s.standard.Controls
	}
	return s, nil
}

// unknownSelection is err (a control.UnknownError) as a usage error with a
// did-you-mean.
func unknownSelection(flag string, err error) error {
	var u *control.UnknownError
	if !errors.As(err, &u) {
		return usageError("%s: %w", flag, err)
	}
	hint := "see docs/controls.md"
	if s := nearest(u.Value, u.Names); s != "" && u.Why == "" {
		hint = fmt.Sprintf("did you mean %q? (see docs/controls.md)", s)
	}
	return usageError("%s: %w: %s", flag, err, hint)
}
