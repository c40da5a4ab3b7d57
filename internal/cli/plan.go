package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/awserr"
	"github.com/trailwatch/trailwatch/internal/parallel"
	"github.com/trailwatch/trailwatch/internal/termsafe"
	"github.com/trailwatch/trailwatch/plan"
)

// planFlags are every flag that shapes a plan; fix takes the same ones.
func planFlags() []cli.Flag {
	return append(selectionFlags(),
		&cli.StringSliceFlag{Name: "notify", Usage: "subscribe `[PROTOCOL:]ENDPOINT` to the alarm's topic (repeatable): email, email-json, http, https, sqs, lambda, sms; a bare address, https://…, an SQS/Lambda ARN or +phone names its own"},
		&cli.StringFlag{Name: "topic-arn", Usage: "notify this existing SNS topic `ARN` instead of creating one"},
		&cli.StringFlag{Name: "kms-key-id", Usage: "encrypt a topic trailwatch creates with this customer managed KMS `KEY` (ID, ARN or alias) whose policy lets cloudwatch.amazonaws.com use it; never alias/aws/sns"},
		&cli.BoolFlag{Name: "wire-logs", Usage: "for a trail without CloudWatch Logs, plan a log group, a delivery role and the trail update"},
		&cli.IntFlag{Name: "retention-days", Usage: "retention of a log group created by --wire-logs, in `DAYS` (a CloudWatch Logs value)", DefaultText: "never expire"},
		&cli.StringFlag{Name: "namespace", Usage: "metric `NAMESPACE` of a new metric filter (of every control's, with several)", DefaultText: "the control's, " + plan.DefaultNamespace},
		&cli.StringFlag{Name: "metric-name", Usage: "metric `NAME` of a new metric filter; one control only (with several, each emits its own)", DefaultText: "the control's, e.g. " + plan.DefaultMetricName},
		&cli.StringFlag{Name: "name-prefix", Value: plan.DefaultNamePrefix, Usage: "`PREFIX` of the names of created filters, alarms, topics, roles and log groups"},
		&cli.BoolFlag{Name: "strict", Usage: "require exactly the CIS filter pattern (Security Hub's reading)"},
	)
}

// planOptionsFromContext turns the plan flags into plan.Options for the
// selected controls; every mistake is a usage error, found before anything
// is read. A name the user did not give is left to plan, which takes it
// from the control planned: the default control's metric on a root-usage
// filter would feed no root-usage alarm.
func planOptionsFromContext(c *cli.Context, controls []control.Control) (plan.Options, error) {
	o := plan.Options{TopicARN: c.String("topic-arn"), KMSKeyID: c.String("kms-key-id"), WireLogs: c.Bool("wire-logs"), RetentionDays: int32(c.Int("retention-days")),
		Namespace: c.String("namespace"), MetricName: c.String("metric-name"), NamePrefix: c.String("name-prefix"), Strict: c.Bool("strict"),
		Controls: controls}
	if len(controls) == 1 {
		o.Control = controls[0]
	}
	if c.IsSet("retention-days") && !o.WireLogs {
		return o, usageError("--retention-days applies only with --wire-logs")
	}
	if c.IsSet("metric-name") && len(controls) > 1 {
		return o, usageError("--metric-name %s: applies to one control, and %d are selected, each with its own metric name; leave it out (docs/plan.md)", o.MetricName, len(controls))
	}
	for _, n := range c.StringSlice("notify") {
		if arn, ok := plan.NotifyTopicARN(n); ok {
			// A topic is what --topic-arn names; --notify subscribes an
			// endpoint to one.
			return o, usageError("--notify %s: that is an SNS topic: use --topic-arn %s", arn, arn)
		}
		ep, err := plan.ParseNotify(n)
		if err != nil {
			return o, usageError("--notify %q: %w", n, err)
		}
		o.Notify = append(o.Notify, ep)
	}
	o, err := o.WithDefaults()
	if err != nil {
		return o, usageError("%w", err)
	}
	return o, nil
}

// planCmdOptions is what `plan` was asked to do.
type planCmdOptions struct {
	sel  selection
	plan plan.Options
	json bool
	// outFile, when set, receives the plan file (--out); reserved while the
	// flags are read, so a path that cannot be written is a usage error.
	outFile *pendingFile
}

func planCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "show the ordered changes that would make each account compliant; changes nothing",
		ArgsUsage: " ",
		Description: "Runs check, then plans only the missing links per failing account, never overwriting what trailwatch\n" +
			"did not create. Read-only. Exit 0 when nothing is to change, 1 when changes are planned or an account\n" +
			"still fails, 2 on bad input, 3 when an account could not be evaluated. See docs/plan.md.",
		Flags: append(planFlags(),
			&cli.StringFlag{Name: "out", Usage: "also write the plan as JSON to `FILE` (for fix --plan)"},
			outputFlag("the plan on stdout: text or json"),
		),
		Action: func(c *cli.Context) error {
			opts, err := planCmdOptionsFrom(c)
			if opts.outFile != nil {
				defer discard([]*pendingFile{opts.outFile})
			}
			if err != nil {
				return err
			}
			return planRun(c.Context, e, opts)
		},
	}
}

// planCmdOptionsFrom binds and validates plan's flags; every mistake is a
// usage error, found before anything is read.
func planCmdOptionsFrom(c *cli.Context) (o planCmdOptions, err error) {
	if err := noArgs(c); err != nil {
		return o, err
	}
	if o.json, err = jsonOutput(c); err != nil {
		return o, err
	}
	if o.sel, err = selectionFromContext(c); err != nil {
		return o, err
	}
	if o.plan, err = planOptionsFromContext(c, o.sel.controls.controls); err != nil {
		return o, err
	}
	if out := c.String("out"); out != "" {
		// A plan names endpoints and ARNs: private to the user.
		files, err := openPending([]outPath{{"--out", out}}, 0o600)
		if err != nil {
			return o, usageError("%w", err)
		}
		o.outFile = files[0]
	}
	return o, nil
}

func planRun(ctx context.Context, e *env, o planCmdOptions) error {
	reached, err := o.sel.reach(ctx, e, e.aws)
	if err != nil {
		return err
	}
	p, _, failed, err := runPlan(ctx, e, reached, o.plan, o.sel.checkOptions(e, o.plan.Strict))
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errCancelled
	}
	if o.outFile != nil {
		if err := o.outFile.commit(func(w io.Writer) error { return plan.Encode(w, p) }); err != nil {
			return err
		}
	}
	if o.json {
		err = plan.Encode(e.stdout, p)
	} else {
		pal := e.palette(e.stdout)
		err = e.render(e.stdout, func(w io.Writer) error { return plan.RenderText(w, p, pal) })
	}
	if err != nil {
		return err
	}
	return withCode(planExitCode(p, failed))
}

// runPlan checks the targets as they are reached and plans each account
// with the clients of the first profile that reached it: one account plan
// covers every control checked there. failed counts accounts that could
// not be evaluated or planned. Both phases show progress on stderr; the
// organization accounts skipped are noted there.
func runPlan(ctx context.Context, e *env, reached *reached, opts plan.Options, co check.Options) (plan.Plan, check.Report, int, error) {
	if len(opts.Controls) == 1 {
		opts = plan.ForControl(opts, opts.Controls[0])
	}
	var finish func()
	co.Progress, finish = e.checkProgress("check")
	report, err := reached.check(ctx, planCheckOptions(co, opts))
	finish()
	if err != nil {
		return plan.Plan{}, report, 0, err
	}
	noteSkipped(e, reached.skipped)
	targets := reached.targets
	byAccount := accountResults(report.Results)
	m := e.meter("plan", len(byAccount), time.Now())
	defer m.Finish()
	accounts := make([]plan.AccountPlan, len(byAccount))
	unplanned := make([]bool, len(byAccount))
	// Accounts are planned side by side, as they were checked.
	parallel.ForEach(ctx, len(byAccount), co.Parallel, func(ctx context.Context, i int) {
		rs := byAccount[i]
		r := rs[0]
		t := targetOf(targets, r)
		a, err := planAccount(ctx, t, rs, opts)
		if err != nil {
			unplanned[i] = true
			p := awserr.Describe(err, t.Profile)
			a = plan.AccountPlan{Account: r.Account, Profiles: r.Profiles, Status: check.Error, ErrorCode: string(p.Code),
				Changes: []plan.Change{}, Fingerprints: []plan.Fingerprint{}, Blocked: "could not plan: " + err.Error() + ": " + p.Remediation}
		}
		accounts[i] = a
		m.Done(string(a.Status)) // the meter is safe for concurrent use
	})
	failed := 0
	for i, rs := range byAccount {
		if slices.ContainsFunc(rs, func(r check.Result) bool { return r.Status == check.Error || r.Status == check.Manual }) {
			failed++
		}
		if unplanned[i] {
			failed++
		}
	}
	return plan.New(version, time.Now(), opts, accounts), report, failed, nil
}

// planCheckOptions is check's options for the controls plan is asked
// for: one run whose reads the controls share, each control also looking
// for the metric a new filter of it would emit (an alarm already working
// on it means the filter is all a failing account needs).
func planCheckOptions(co check.Options, opts plan.Options) check.Options {
	if len(opts.Controls) < 2 {
		co.Candidates = []check.Metric{{Namespace: opts.Namespace, Name: opts.MetricName}}
		return co
	}
	co.Controls, co.Candidates = opts.Controls, nil
	for _, c := range opts.Controls {
		ns := c.Namespace
		if opts.Namespace != control.Default().Namespace {
			ns = opts.Namespace // --namespace names every control's new metric
		}
		co.Candidates = append(co.Candidates, check.Metric{Namespace: ns, Name: c.MetricName})
	}
	return co
}

// accountResults groups a report's results by account, in the order
// accounts first appear: a report of several controls has one result per
// account and control. An account STS would not name has no ID to group
// by: its results, one per control, come one after another.
func accountResults(results []check.Result) [][]check.Result {
	var out [][]check.Result
	index := map[string]int{}
	for _, r := range results {
		if r.Account == "" {
			if n := len(out); n > 0 && sameUnknown(out[n-1], r) {
				out[n-1] = append(out[n-1], r)
			} else {
				out = append(out, []check.Result{r})
			}
			continue
		}
		i, ok := index[r.Account]
		if !ok {
			index[r.Account] = len(out)
			out = append(out, []check.Result{r})
			continue
		}
		out[i] = append(out[i], r)
	}
	return out
}

// sameUnknown: r is another control's result of the unnamed account whose
// results group holds.
func sameUnknown(group []check.Result, r check.Result) bool {
	return group[0].Account == "" && slices.Equal(group[0].Profiles, r.Profiles) &&
		!slices.ContainsFunc(group, func(g check.Result) bool { return g.ControlID == r.ControlID })
}

// planAccount plans one account from its results, one per control.
func planAccount(ctx context.Context, t target, rs []check.Result, opts plan.Options) (plan.AccountPlan, error) {
	findings := make([]plan.Finding, len(rs))
	for i, r := range rs {
		findings[i] = plan.FromCheck(r, opts.Strict)
	}
	a, err := plan.BuildAccount(ctx, readersFor(t), findings, opts)
	if err != nil || !a.NeedsNotify || opts.TopicARN != "" || t.aws == nil || len(findings) == 0 {
		return a, err
	}
	return withTopicCandidates(ctx, t, findings[0], a, opts), nil
}

// withTopicCandidates names, for an account that needs a topic and got
// none, the topics it already has with a confirmed subscriber CloudWatch
// can publish to: suggested as --topic-arn in its explanation, offered at
// fix's notify prompt. None is ever chosen here.
func withTopicCandidates(ctx context.Context, t target, f plan.Finding, a plan.AccountPlan, opts plan.Options) plan.AccountPlan {
	region, alarmARN := alarmOf(f, a, opts)
	if region == "" {
		return a
	}
	found, err := plan.FindTopicCandidates(ctx, t.aws.SNSClient(region), t.aws.KMSClient(region), a.Account, alarmARN)
	if err != nil {
		a.Blocked += " (this account's existing topics could not be listed: " + err.Error() + ")"
		return a
	}
	if len(found.Topics) == 0 {
		return a
	}
	var profile []string
	if len(a.Profiles) > 0 {
		profile = []string{"--profile", a.Profiles[0]}
	}
	hints := make([]string, len(found.Topics))
	for i, c := range found.Topics {
		a.TopicCandidates = append(a.TopicCandidates, c.ARN)
		hints[i] = shellJoin(append(slices.Clone(profile), "--topic-arn", c.ARN))
	}
	a.Blocked += "; or notify a topic this account already has, with a confirmed subscriber: re-run with " + strings.Join(hints, ", or ")
	if found.More {
		a.Blocked += fmt.Sprintf(" (only its first %d topics were read)", plan.MaxTopicsRead)
	}
	return a
}

// alarmOf is the region and ARN of the alarm that would notify the topic:
// the account's alarm when it has one, else the one plan would create for
// the finding's control.
func alarmOf(f plan.Finding, a plan.AccountPlan, opts plan.Options) (region, arn string) {
	tr := f.Trail
	if tr == nil {
		return "", ""
	}
	region = a.Region
	switch {
	case region != "":
	case tr.LogGroupRegion != "":
		region = tr.LogGroupRegion
	default:
		region = tr.HomeRegion
	}
	if tr.Alarm != nil && tr.Alarm.ARN != "" {
		return region, tr.Alarm.ARN
	}
	partition := "aws"
	if parts := strings.SplitN(tr.ARN, ":", 3); len(parts) == 3 && parts[1] != "" {
		partition = parts[1]
	}
	if o, err := opts.WithDefaults(); err == nil {
		opts = o
	}
	stem := opts.Control.NameStem
	if f.Control.ID != "" {
		stem = f.Control.NameStem // the control this finding judges
	}
	return region, "arn:" + partition + ":cloudwatch:" + region + ":" + a.Account + ":alarm:" + opts.NamePrefix + stem
}

// targetOf is the target whose clients reach a result's account: the one
// that knew its account (an organization member, a seat), else that of its
// first profile (the default chain has none).
func targetOf(targets []target, r check.Result) target {
	for _, t := range targets {
		if t.Account != "" && t.Account == r.Account && t.Err == nil {
			return t
		}
	}
	name := ""
	if len(r.Profiles) > 0 {
		name = r.Profiles[0]
	}
	for _, t := range targets {
		if t.Profile == name && t.Account == "" {
			return t
		}
	}
	return target{}
}

// noteSkipped tells, on stderr, which organization accounts plan and fix
// leave alone because they are not active (check lists them in its report).
func noteSkipped(e *env, skipped []check.Skipped) {
	for _, s := range skipped {
		fmt.Fprintf(e.stderr, "skipped: account %s (%s) is %s in the organization\n", s.Account, termsafe.Escape(s.Name), termsafe.Escape(s.State))
	}
}

// readersFor gives plan's read-only clients from a target's: the same SDK
// clients, and so the same retry budgets, check read through. A target
// without clients (its profile failed to load) is already an ERROR result
// that plan never reads for.
func readersFor(t target) plan.Readers {
	c := t.aws
	if c == nil {
		return plan.Readers{}
	}
	return plan.Readers{
		Logs:   func(r string) plan.LogsReader { return c.LogsClient(r) },
		Alarms: func(r string) plan.AlarmReader { return c.CloudWatchClient(r) },
		Topics: func(r string) plan.TopicReader { return c.SNSClient(r) },
		Roles:  c.IAMClient(),
		Keys:   func(r string) plan.KeyReader { return c.KMSClient(r) },
	}
}
