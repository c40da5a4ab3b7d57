package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/check"
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

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "audit whether CloudTrail configuration changes are monitored, per account",
		ArgsUsage: " ",
		Description: "Follows trail → log group → metric filter → alarm → SNS topic → confirmed subscriber for every account\n" +
			"reached by the selected profiles. Read-only: docs/iam/check-policy.json lists every permission it uses.\n" +
			"Exit 0 when every account passes, 1 when any fails, 3 when any is ERROR or MANUAL. See docs/check.md;\n" +
			"the formats are described in docs/outputs.md.",
		Flags: append(selectionFlags(),
			&cli.StringFlag{Name: "output", Value: "text", Usage: "`FORMAT` of the report on stdout: " + formatNames()},
			&cli.GenericFlag{Name: "output-file", Value: &outputFiles{}, Usage: "also write the report as FORMAT to PATH (`FORMAT=PATH`, repeatable)"},
			&cli.StringFlag{Name: "report", Usage: "also write a self-contained HTML report to `FILE` (opens offline in any browser)"},
			&cli.BoolFlag{Name: "strict", Usage: "require exactly the CIS filter pattern (Security Hub's reading)"},
			&cli.BoolFlag{Name: "verify-patterns", Usage: "also ask CloudWatch Logs (logs:TestMetricFilter, read-only, one call per filter) whether each filter matches trailwatch's CloudTrail records, and report where it disagrees"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("check takes no arguments, got %q", c.Args().Slice())
			}
			output, err := report.ParseFormat(c.String("output"))
			if err != nil {
				return usageError("--output: %w", err)
			}
			sel, err := selectionFromContext(c)
			if err != nil {
				return err
			}
			files := *c.Generic("output-file").(*outputFiles)
			paths := make([]string, 0, len(files)+1)
			for _, f := range files {
				paths = append(paths, f.path)
			}
			if c.IsSet("report") {
				if c.String("report") == "" {
					return usageError("--report: want a file name, e.g. report.html")
				}
				paths = append(paths, c.String("report"))
			}
			pending, err := openPending(paths, 0o666)
			if err != nil {
				return usageError("--output-file/--report: %w", err)
			}
			defer discard(pending)

			targets, skipped, err := sel.reach(c.Context, e, e.aws)
			if err != nil {
				return err
			}
			opts := check.Options{Strict: c.Bool("strict"), VerifyPatterns: c.Bool("verify-patterns"), Parallel: sel.parallel, CallTimeout: callTimeout,
				Tool: tool(), Now: e.now, Select: sel.keep()}
			var finish func()
			opts.Progress, finish = e.checkProgress("check")
			rep := check.Run(c.Context, targets, opts)
			finish()
			rep.Skip(skipped)
			if c.Context.Err() != nil {
				return errCancelled
			}
			if err := report.Write(e.stdout, output, rep, e.palette(e.stdout)); err != nil {
				return err
			}
			for i, f := range files {
				if err := pending[i].commit(func(w io.Writer) error { return report.Write(w, f.format, rep, style.Plain()) }); err != nil {
					return err
				}
			}
			if c.IsSet("report") {
				if err := pending[len(files)].commit(func(w io.Writer) error { return report.WriteHTML(w, rep) }); err != nil {
					return err
				}
			}
			if n := report.ASFFSkipped(rep); n > 0 && (output == report.ASFF || hasFormat(files, report.ASFF)) {
				fmt.Fprintf(e.stderr, "trailwatch: asff: %d result(s) left out: an ASFF finding needs the account ID, and those accounts could not be identified\n", n)
			}
			return withCode(checkExitCode(rep.Summary))
		},
	}
}

func hasFormat(files outputFiles, f report.Format) bool {
	for _, o := range files {
		if o.format == f {
			return true
		}
	}
	return false
}
