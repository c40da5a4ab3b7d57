package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/sandbox"
)

// sandboxOptions are the flags of `trailwatch sandbox`.
type sandboxOptions struct {
	listen   string
	scenario string
	accounts int
}

func sandboxCommand(e *env) *cli.Command {
	opts := &sandboxOptions{}
	return &cli.Command{
		Name:  "sandbox",
		Usage: "serve a local emulated AWS endpoint (STS, IAM, SNS, Organizations, CloudTrail, CloudWatch Logs, CloudWatch) until interrupted",
		Description: "Speaks the real AWS wire protocols, so the AWS CLI and SDKs work against it with --endpoint-url or AWS_ENDPOINT_URL.\n" +
			"It listens on loopback by default and has no real authentication: keep it there. See docs/sandbox.md.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:4566", Usage: "address to listen on", Destination: &opts.listen},
			&cli.StringFlag{Name: "scenario", Usage: "world to start with: " + strings.Join(sandbox.ScenarioNames(), ", ") + " (default: one empty account)", Destination: &opts.scenario},
			&cli.IntFlag{Name: "accounts", Usage: "number of accounts of the fleet scenario, or of members of the org scenarios", Destination: &opts.accounts},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("sandbox takes no arguments, got %q", c.Args().Slice())
			}
			if opts.accounts < 0 {
				return usageError("--accounts %d: want a positive number", opts.accounts)
			}
			srv, err := sandbox.New(sandbox.Options{Scenario: opts.scenario, Accounts: opts.accounts})
			if err != nil {
				return usageError("--scenario: %w", err)
			}
			running, err := srv.Start(opts.listen)
			if err != nil {
				return fmt.Errorf("start sandbox: %w", err)
			}
			printSandboxBanner(e.stderr, running.URL, opts.scenario, srv.Credentials())
			<-c.Context.Done()
			return running.Close()
		},
	}
}

// printSandboxBanner tells how to point the AWS CLI or an SDK at the sandbox.
func printSandboxBanner(w io.Writer, url, scenario string, creds []sandbox.Credential) {
	if scenario == "" {
		scenario = "default (one empty account)"
	}
	fmt.Fprintf(w, "trailwatch sandbox serving %s (scenario: %s)\n\n", url, scenario)
	fmt.Fprintf(w, "Point the AWS CLI or an SDK at it (any secret key works):\n\n")
	fmt.Fprintf(w, "  export AWS_ENDPOINT_URL=%s\n", url)
	fmt.Fprintf(w, "  export AWS_ACCESS_KEY_ID=%s\n", creds[0].AccessKey)
	fmt.Fprintf(w, "  export AWS_SECRET_ACCESS_KEY=sandbox\n")
	fmt.Fprintf(w, "  export AWS_REGION=%s\n\n", sandbox.DefaultRegion)
	fmt.Fprintf(w, "(AWS CLI before 2.13 ignores AWS_ENDPOINT_URL: pass --endpoint-url %s)\n\n", url)
	fmt.Fprintf(w, "or as a profile in ~/.aws/config:\n\n")
	fmt.Fprintf(w, "  [profile sandbox]\n  endpoint_url = %s\n  region = %s\n  aws_access_key_id = %s\n  aws_secret_access_key = sandbox\n\n", url, sandbox.DefaultRegion, creds[0].AccessKey)
	const shown = 5
	fmt.Fprintf(w, "Accounts (%d):\n", len(creds))
	for i, c := range creds {
		if i == shown {
			fmt.Fprintf(w, "  … and %d more (GET %s/_sandbox/state lists them)\n", len(creds)-shown, url)
			break
		}
		fmt.Fprintf(w, "  %s  access key %s\n", c.Account, c.AccessKey)
	}
	fmt.Fprintf(w, "\nControl endpoints under %s/_sandbox/ (reset, state, scenario, faults, …). Stop with Ctrl-C.\n", url)
}
