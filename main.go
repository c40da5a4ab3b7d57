// Command trailwatch audits and fixes the control "CloudTrail configuration
// changes are monitored" (CIS AWS Foundations 4.5, Security Hub CloudWatch.5).
package main

import "os"

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
