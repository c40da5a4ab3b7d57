// Command trailwatch audits and fixes the control "CloudTrail configuration
// changes are monitored" (CIS AWS Foundations 4.5, Security Hub CloudWatch.5).
// The command layer is internal/cli.
package main

import (
	"os"

	"github.com/trailwatch/trailwatch/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
