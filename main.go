// Command trailwatch audits, fixes and drills the CIS AWS Foundations
// monitoring controls (Security Hub CloudWatch.1–14): a trail's log group, a
// metric filter, an alarm, an SNS topic and someone who receives it.
// The command layer is internal/cli.
package main

import (
	"os"

	"github.com/trailwatch/trailwatch/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
