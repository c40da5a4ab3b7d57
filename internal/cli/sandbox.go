package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/internal/termsafe"
	"github.com/trailwatch/trailwatch/sandbox"
)

// sandboxOptions are the flags of `trailwatch sandbox`.
type sandboxOptions struct {
	listen        string
	scenario      string
	accounts      int
	allowRemote   bool
	printEndpoint bool
	listScenarios bool
	pipelineDelay time.Duration
}

func sandboxCommand(e *env) *cli.Command {
	opts := &sandboxOptions{}
	return &cli.Command{
		Name:  "sandbox",
		Usage: "serve a local emulated AWS endpoint (STS, IAM, SNS, KMS, Organizations, CloudTrail, CloudWatch Logs, CloudWatch) until interrupted",
		Description: "Speaks the real AWS wire protocols, so the AWS CLI and SDKs work against it with --endpoint-url or AWS_ENDPOINT_URL.\n" +
			"It has no real authentication, so it listens on loopback only unless --allow-remote is given. It stops on\n" +
			"Ctrl-C (SIGINT) or SIGTERM and exits 130. See docs/sandbox.md.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:4566", Usage: "`ADDRESS` to listen on (port 0: any free port; see --print-endpoint)", Destination: &opts.listen},
			&cli.BoolFlag{Name: "allow-remote", Usage: "allow a --listen address other than loopback (anyone who can reach it can read and change every account)", Destination: &opts.allowRemote},
			&cli.StringFlag{Name: "scenario", Usage: "`NAME` of the world to start with (--list-scenarios lists them)", DefaultText: "one empty account", Destination: &opts.scenario},
			&cli.BoolFlag{Name: "list-scenarios", Usage: "print the scenario names, one a line, and exit", Destination: &opts.listScenarios},
			&cli.IntFlag{Name: "accounts",
				Usage:       fmt.Sprintf("number of accounts (`N`, 1 to %[1]d) of the fleet scenario, or of members (2 to %[1]d) of the org scenarios; refused with any other", sandbox.MaxFleetAccounts),
				DefaultText: fmt.Sprintf("%d for fleet, %d for org", sandbox.DefaultFleetAccounts, sandbox.OrgDefaultMembers), Destination: &opts.accounts},
			&cli.DurationFlag{Name: "pipeline-delay", Value: 2 * time.Second, Usage: "`DURATION` the emulated CloudTrail takes to deliver a call's record to the trail's log group, from which filters, alarms and SNS follow (what drill watches; AWS takes minutes)", Destination: &opts.pipelineDelay},
			&cli.BoolFlag{Name: "print-endpoint", Usage: "print the endpoint URL, and nothing else, as one line on stdout once listening (for scripts that pass port 0)", Destination: &opts.printEndpoint},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if opts.listScenarios {
				for _, n := range sandbox.ScenarioNames() {
					fmt.Fprintln(e.stdout, n)
				}
				return nil
			}
			if err := knownScenario(opts.scenario); err != nil {
				return err
			}
			if c.IsSet("accounts") && !sandbox.TakesAccounts(opts.scenario) {
				return usageError("--accounts sizes the fleet and org scenarios only, not %q", cmp.Or(opts.scenario, "the default"))
			}
			if fewest, most := sandbox.AccountsRange(opts.scenario); c.IsSet("accounts") && (opts.accounts < fewest || opts.accounts > most) {
				return usageError("--accounts %d: want %d to %d for the %s scenario", opts.accounts, fewest, most, opts.scenario)
			}
			return sandboxRun(c.Context, e, opts)
		},
	}
}

// knownScenario refuses a name the sandbox has no scenario for, with the
// nearest one. The sandbox also takes a FAIL reason (NO_ALARM) for its
// scenario (no-alarm).
func knownScenario(name string) error {
	names := sandbox.ScenarioNames()
	key := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	if name == "" || slices.Contains(names, name) || slices.Contains(names, key) {
		return nil
	}
	hint := ""
	if s := nearest(key, names); s != "" {
		hint = "; did you mean " + s + "?"
	}
	return usageError("--scenario %s: unknown scenario%s\n(trailwatch sandbox --list-scenarios lists them)", termsafe.Escape(name), hint)
}

// sandboxRun serves the sandbox until interrupted or terminated.
func sandboxRun(ctx context.Context, e *env, opts *sandboxOptions) error {
	if err := loopbackOnly(opts.listen, opts.allowRemote); err != nil {
		return usageError("--listen %s: %w", termsafe.Escape(opts.listen), err)
	}
	// Unset, each sized scenario takes its own default size.
	so := sandbox.Options{Scenario: opts.scenario, Accounts: opts.accounts}
	srv, err := sandbox.New(so)
	if err != nil {
		return usageError("--scenario: %w", err)
	}
	// Unlike the tests' sandboxes, this one runs the alerting pipeline, so
	// that drill can be tried against it.
	pipe := sandbox.DefaultPipeline
	pipe.Enabled, pipe.DeliveryDelayMS = true, int(opts.pipelineDelay/time.Millisecond)
	if err := srv.SetPipeline(pipe); err != nil {
		return usageError("--pipeline-delay %s: %w", opts.pipelineDelay, err)
	}
	// SIGTERM (a service manager, docker stop, kill) stops it as
	// Ctrl-C does, closing the listener instead of dying mid-request.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	running, err := srv.Start(opts.listen)
	if err != nil {
		return fmt.Errorf("start sandbox: %w", err)
	}
	if opts.printEndpoint {
		fmt.Fprintln(e.stdout, running.URL)
	}
	printSandboxBanner(e.stderr, running.URL, opts.scenario, srv.Credentials())
	<-ctx.Done()
	if err := running.Close(); err != nil {
		return err
	}
	// SIGTERM is how a sandbox is normally stopped, not a cancelled job:
	// 130 either way.
	return &exitError{code: exitCancelled, err: errCancelled}
}

// loopbackOnly refuses an address others could reach: the sandbox takes
// any secret key, so on a shared network it is anyone's AWS look-alike.
func loopbackOnly(addr string, allowRemote bool) error {
	if allowRemote {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want HOST:PORT, e.g. 127.0.0.1:4566")
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return errors.New("not a loopback address, and the sandbox has no authentication: listen on 127.0.0.1 or ::1, or pass --allow-remote")
}

// printSandboxBanner tells how to point the AWS CLI or an SDK at the
// sandbox. The --endpoint-url form comes first: it is the one every client
// honours. AWS_ENDPOINT_URL and endpoint_url in a profile are read only by
// AWS CLI 2.13 (v1 1.29) and SDKs of that vintage or later; an older client
// (Debian 12 ships AWS CLI 2.9) ignores both and sends the request, signed
// with the sandbox's keys, to real AWS.
func printSandboxBanner(w io.Writer, url, scenario string, creds []sandbox.Credential) {
	if scenario == "" {
		scenario = "default (one empty account)"
	}
	key := creds[0].AccessKey
	fmt.Fprintf(w, "trailwatch sandbox serving %s (scenario: %s)\n\n", url, scenario)
	fmt.Fprintf(w, "Any AWS CLI or SDK, any version: credentials in the environment (any secret\n")
	fmt.Fprintf(w, "key works) and --endpoint-url on every command:\n\n")
	fmt.Fprintf(w, "  export AWS_ACCESS_KEY_ID=%s\n", key)
	fmt.Fprintf(w, "  export AWS_SECRET_ACCESS_KEY=sandbox\n")
	fmt.Fprintf(w, "  export AWS_REGION=%s\n", sandbox.DefaultRegion)
	fmt.Fprintf(w, "  aws --endpoint-url %s sts get-caller-identity\n\n", url)
	fmt.Fprintf(w, "AWS CLI 2.13 or later (v1: 1.29) and SDKs of that vintage (boto3 1.28, the Go\n")
	fmt.Fprintf(w, "SDK v2 since late 2023) also read the endpoint from the environment or from a\n")
	fmt.Fprintf(w, "profile. Older clients ignore both and call real AWS with these keys (Debian\n")
	fmt.Fprintf(w, "12's AWS CLI is 2.9; see aws --version):\n\n")
	fmt.Fprintf(w, "  export AWS_ENDPOINT_URL=%s\n\n", url)
	fmt.Fprintf(w, "or in ~/.aws/config, used as aws --profile sandbox …:\n\n")
	fmt.Fprintf(w, "  [profile sandbox]\n  endpoint_url = %s\n  region = %s\n  aws_access_key_id = %s\n  aws_secret_access_key = sandbox\n\n", url, sandbox.DefaultRegion, key)
	fmt.Fprintf(w, "With an older client and that profile, still pass the endpoint:\n\n")
	fmt.Fprintf(w, "  aws --profile sandbox --endpoint-url %s sts get-caller-identity\n\n", url)
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
