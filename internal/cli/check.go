package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/report"
)

// callTimeout bounds each AWS call (each page), retries included: long
// enough for the retry policy's backoff (internal/awsenv) to ride out
// throttling, short enough that a hung connection does not hold a run.
const callTimeout = 5 * time.Minute

func formatNames() string {
	names := make([]string, len(report.Formats))
	for i, f := range report.Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// checkCmdOptions is what `check` was asked to do.
type checkCmdOptions struct {
	sel            selection
	output         report.Format
	strict, verify bool
	files          outputFiles // --output-file
	// pending are the files of files, then --report's when html is set,
	// reserved while the flags are read.
	pending []*pendingFile
	html    bool
}

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "audit the CIS monitoring controls (default: CloudTrail configuration changes), per account and control",
		ArgsUsage: " ",
		Description: "Follows trail → log group → metric filter → alarm → SNS topic → confirmed subscriber for every account\n" +
			"reached by the selected profiles, for each control --control or --benchmark selects (docs/controls.md).\n" +
			"Read-only: docs/iam/check-policy.json lists every permission it uses.\n" +
			"Exit 0 when every account passes, 1 when any fails, 3 when any is ERROR or MANUAL. See docs/check.md;\n" +
			"the formats are described in docs/outputs.md.",
		Flags: append(selectionFlags(),
			&cli.StringFlag{Name: "output", Value: "text", Usage: "`FORMAT` of the report on stdout: " + formatNames()},
			&cli.GenericFlag{Name: "output-file", Value: &outputFiles{}, Usage: "also write the report as FORMAT to PATH (`FORMAT=PATH`, repeatable)"},
			&cli.StringFlag{Name: "report", Usage: "also write a self-contained HTML report to `FILE` (opens offline in any browser)"},
			&cli.BoolFlag{Name: "strict", Usage: "require a prescribed filter text, whitespace aside (Security Hub compares the text, not the meaning)"},
			&cli.BoolFlag{Name: "verify-patterns", Usage: "also ask CloudWatch Logs (logs:TestMetricFilter, read-only, one call per filter) whether each filter matches trailwatch's CloudTrail records, and report where it disagrees"},
		),
		Action: func(c *cli.Context) error {
			opts, err := checkCmdOptionsFrom(c)
			if err != nil {
				return err
			}
			defer discard(opts.pending)
			return checkRun(c.Context, e, opts)
		},
	}
}

// checkCmdOptionsFrom binds and validates check's flags; every mistake is
// a usage error, found before anything is read.
func checkCmdOptionsFrom(c *cli.Context) (o checkCmdOptions, err error) {
	if err := noArgs(c); err != nil {
		return o, err
	}
	if o.output, err = report.ParseFormat(c.String("output")); err != nil {
		names := make([]string, len(report.Formats))
		for i, f := range report.Formats {
			names[i] = string(f)
		}
		return o, usageError("--output %q: want one of %s (docs/outputs.md); an HTML page is --report FILE", c.String("output"), strings.Join(names, ", "))
	}
	if o.sel, err = selectionFromContext(c); err != nil {
		return o, err
	}
	o.strict, o.verify = c.Bool("strict"), c.Bool("verify-patterns")
	o.files = *c.Generic("output-file").(*outputFiles)
	paths := make([]outPath, 0, len(o.files)+1)
	for _, f := range o.files {
		paths = append(paths, outPath{"--output-file " + string(f.format) + "=", f.path})
	}
	if o.html = c.IsSet("report"); o.html {
		if c.String("report") == "" {
			return o, usageError("--report: want a file name, e.g. report.html")
		}
		paths = append(paths, outPath{"--report", c.String("report")})
	}
	if o.pending, err = openPending(paths, 0o666); err != nil {
		return o, usageError("%w", err)
	}
	return o, nil
}

func checkRun(ctx context.Context, e *env, o checkCmdOptions) error {
	reached, err := o.sel.reach(ctx, e, e.aws)
	if err != nil {
		return err
	}
	co := o.sel.checkOptions(e, o.strict)
	co.VerifyPatterns = o.verify
	var finish func()
	co.Progress, finish = e.checkProgress("check")
	rep, err := reached.check(ctx, co)
	finish()
	if err != nil {
		return err
	}
	rep.Skip(reached.skipped)
	if ctx.Err() != nil {
		return errCancelled
	}
	if err := writeReport(e, o.output, rep); err != nil {
		return err
	}
	for i, f := range o.files {
		if err := o.pending[i].commit(func(w io.Writer) error { return report.Write(w, f.format, rep, style.Plain()) }); err != nil {
			return err
		}
	}
	if o.html {
		if err := o.pending[len(o.files)].commit(func(w io.Writer) error { return report.WriteHTML(w, rep) }); err != nil {
			return err
		}
	}
	if n := report.ASFFSkipped(rep); n > 0 && (o.output == report.ASFF || hasFormat(o.files, report.ASFF)) {
		fmt.Fprintf(e.stderr, "trailwatch: asff: %d result(s) left out: an ASFF finding needs the account ID, and those accounts could not be identified\n", n)
	}
	return withCode(checkExitCode(rep.Summary))
}

func hasFormat(files outputFiles, f report.Format) bool {
	for _, o := range files {
		if o.format == f {
			return true
		}
	}
	return false
}
