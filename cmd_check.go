package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/termsafe"
)

// callTimeout bounds each AWS call (each page), retries included: long
// enough for the retry policy's backoff (internal/awsenv) to ride out
// throttling, short enough that a hung connection does not hold a run.
const callTimeout = 5 * time.Minute

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "audit whether CloudTrail configuration changes are monitored, per account",
		ArgsUsage: " ",
		Description: "Follows trail → log group → metric filter → alarm → SNS topic → confirmed subscriber for every account\n" +
			"reached by the selected profiles. Read-only: docs/iam/check-policy.json lists every permission it uses.\n" +
			"Exit 0 when every account passes, 1 when any fails, 3 when any is ERROR or MANUAL. See docs/check.md.",
		Flags: append(selectionFlags(),
			&cli.StringFlag{Name: "output", Value: "text", Usage: "`FORMAT` of the report on stdout: text or json"},
			&cli.BoolFlag{Name: "strict", Usage: "require exactly the CIS filter pattern (Security Hub's reading)"},
			&cli.BoolFlag{Name: "verify-patterns", Usage: "also ask CloudWatch Logs (logs:TestMetricFilter, read-only, one call per filter) whether each filter matches trailwatch's CloudTrail records, and report where it disagrees"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("check takes no arguments, got %q", c.Args().Slice())
			}
			output := c.String("output")
			if output != "text" && output != "json" {
				return usageError("--output %q: want text or json", output)
			}
			sel, err := selectionFromContext(c)
			if err != nil {
				return err
			}
			targets, err := sel.targets(c.Context, e, e.aws)
			if err != nil {
				return err
			}
			opts := check.Options{Strict: c.Bool("strict"), VerifyPatterns: c.Bool("verify-patterns"), Parallel: sel.parallel, CallTimeout: callTimeout}
			if len(targets) > 1 && e.isTerminal(e.stderr) {
				opts.Progress = func(done, total int, r check.Result) {
					fmt.Fprintf(e.stderr, "[%d/%d] %s %s\n", done, total, termsafe.Escape(r.Account), r.Status)
				}
			}
			report := check.Run(c.Context, targets, opts)
			if c.Context.Err() != nil {
				return errCancelled
			}
			if output == "json" {
				err = check.WriteJSON(e.stdout, report)
			} else {
				err = check.WriteText(e.stdout, report, e.palette(e.stdout))
			}
			if err != nil {
				return err
			}
			return withCode(checkExitCode(report.Summary))
		},
	}
}
