package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/internal/awserr"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/internal/termsafe"
	"github.com/trailwatch/trailwatch/plan"
)

// planShapingFlags are the plan flags a saved plan has already decided:
// all of planFlags but the selection.
func planShapingFlags() []string {
	var selection, shaping []string
	for _, f := range selectionFlags() {
		selection = append(selection, f.Names()[0])
	}
	for _, f := range planFlags() {
		if name := f.Names()[0]; !slices.Contains(selection, name) {
			shaping = append(shaping, name)
		}
	}
	return shaping
}

func fixCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "fix",
		Usage:     "apply the plan: ask per account at a terminal, --yes in scripts, --dry-run to preview",
		ArgsUsage: " ",
		Description: "Runs check and plan, then applies each approved account's changes in order, re-reading every target\n" +
			"before writing it, and checks again. Exit 0 when every selected account is compliant afterwards, 1 when\n" +
			"some still is not (or was declined), 2 on bad input, 3 when an apply failed or an account could not be\n" +
			"evaluated, 130 when interrupted. See docs/fix.md.",
		Flags: append(planFlags(),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "apply without asking (needed when not at a terminal)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "show what would change and change nothing (no write API is called)"},
			&cli.StringFlag{Name: "plan", Usage: "apply exactly the plan saved by plan --out `FILE`, refusing accounts that changed since"},
			&cli.StringFlag{Name: "journal", Usage: "append every write to `FILE` as JSON lines (default: $XDG_STATE_HOME/trailwatch/journal.jsonl, else ~/.local/state/trailwatch/journal.jsonl)"},
			&cli.BoolFlag{Name: "rollback", Usage: "when an account's apply fails, delete what this run created there (never anything that existed before)"},
			&cli.StringFlag{Name: "output", Value: "text", Usage: "`FORMAT` of the result on stdout: text or json (the diff and the questions then go to stderr)"},
			&cli.StringFlag{Name: "report", Usage: "also write each account's check before and after as a self-contained HTML page to `FILE`"},
		),
		Action: func(c *cli.Context) error { return runFix(c, e) },
	}
}

type fixRun struct {
	e        *env
	sel      selection
	opts     plan.Options
	yes, dry bool
	json     bool
	// progressed: apply drew a progress line, which the summary drawn on
	// the terminal is set apart from.
	progressed bool
	prompt     fix.Prompter
	targets    []check.Target
	co         check.Options
}

func runFix(c *cli.Context, e *env) error {
	if c.NArg() > 0 {
		return usageError("fix takes no arguments, got %q", c.Args().Slice())
	}
	r := fixRun{e: e, yes: c.Bool("yes"), dry: c.Bool("dry-run")}
	switch c.String("output") {
	case "text":
	case "json":
		r.json = true
	default:
		return usageError("--output %q: want text or json", c.String("output"))
	}
	if r.json && r.dry {
		return usageError("--dry-run --output json: a dry run applies nothing, so there is no result to report; plan --output json prints the plan")
	}
	planFile := c.String("plan")
	var err error
	if planFile != "" {
		for _, name := range planShapingFlags() {
			if c.IsSet(name) {
				return usageError("--%s cannot change a saved plan: re-run plan with it instead", name)
			}
		}
	} else if r.opts, err = planOptionsFromContext(c); err != nil {
		return err
	}
	if r.sel, err = selectionFromContext(c); err != nil {
		return err
	}
	prompt, interactive := e.prompter()
	if !r.yes && !r.dry && !interactive {
		return usageError("fix changes AWS resources and there is no terminal to ask at: pass --yes to apply without asking, or --dry-run to preview")
	}
	if !r.yes {
		r.prompt = prompt
	}
	var saved *plan.Plan
	if planFile != "" {
		p, err := plan.Read(planFile)
		if err != nil {
			// Unreadable or invalid, the file is bad input either way.
			return usageError("%w", err)
		}
		saved = &p
		r.opts = plan.Options{Strict: p.Options.Strict}
	}
	// The journal is opened before anything is read or asked, so an
	// unwritable one stops the run before it could change anything.
	var journal *fix.Journal
	if !r.dry {
		path := c.String("journal")
		if path == "" {
			if path, err = fix.DefaultJournalPath(e.getenv); err != nil {
				return usageError("%w", err)
			}
		}
		if journal, err = fix.OpenJournal(path); err != nil {
			return usageError("--journal: %w", err)
		}
		defer journal.Close()
		e.atAbort(journal.Abandon)
	}
	var htmlReport *pendingFile
	if c.IsSet("report") {
		if r.dry || c.String("report") == "" {
			return usageError("--report: want a file name, and a run that applies (for a preview, check --report shows the accounts as they are)")
		}
		files, err := openPending([]string{c.String("report")}, 0o666)
		if err != nil {
			return usageError("--report: %w", err)
		}
		htmlReport = files[0]
		defer discard(files)
	}

	ctx := c.Context
	r.co = check.Options{Strict: r.opts.Strict, Parallel: r.sel.parallel, CallTimeout: callTimeout, Tool: tool(), Now: e.now, Select: r.sel.keep()}
	if saved != nil && !c.IsSet("profile") && !r.sel.all {
		r.sel.profiles = profilesOf(*saved)
	}
	var skipped []check.Skipped
	if r.targets, skipped, err = r.sel.reach(ctx, e, e.aws); err != nil {
		return err
	}
	noteSkipped(e, skipped)
	var p plan.Plan
	var before check.Report
	failed := 0 // accounts that could not be evaluated or planned, as plan counts them
	if saved != nil {
		co := r.co
		var finish func()
		co.Progress, finish = e.checkProgress("check")
		before = check.Run(ctx, r.targets, co)
		finish()
		p = matchSaved(*saved, before)
		failed = before.Summary.Error + before.Summary.Manual
		if err := checkBefore(ctx, p, before, r.targets); err != nil {
			return err
		}
	} else {
		p, before, failed = runPlan(ctx, e, r.targets, r.opts, r.co)
	}
	if ctx.Err() != nil {
		return errCancelled
	}
	if r.dry {
		return r.dryRun(ctx, p, before, saved != nil, failed)
	}
	// stdout is the result (text or JSON). What a person must see before
	// answering goes to the terminal they answer at: stdout only when it is
	// that terminal and holds text.
	out, pal := e.stdout, e.palette(e.stdout)
	view := e.stdout
	if r.json || (r.prompt != nil && !e.isTerminal(e.stdout)) {
		view = e.stderr
	}
	vpal := e.palette(view)

	session := fix.Session{Yes: r.yes, Prompt: r.prompt,
		Show: func(a plan.AccountPlan) error { return plan.RenderAccount(view, a, vpal) },
		Note: func(msg string) error {
			_, err := fmt.Fprintln(view, termsafe.Escape(msg))
			return err
		},
		Replan: func(ctx context.Context, i int, ep plan.Endpoint) (plan.AccountPlan, error) {
			o := r.opts
			o.Notify = append(slices.Clone(o.Notify), ep)
			res := resultOf(before, p.Accounts[i].Account)
			return planAccount(ctx, targetOf(r.targets, res), res, o)
		}}
	if r.prompt == nil {
		// Scripted: the whole diff first, so the log shows what is applied.
		if err := plan.RenderText(view, p, vpal); err != nil {
			return err
		}
		fmt.Fprintln(view)
	} else {
		for _, a := range p.Accounts {
			if len(a.Changes) == 0 && !a.NeedsNotify {
				if err := plan.RenderAccount(view, a, vpal); err != nil {
					return err
				}
			}
		}
	}
	accounts, approvals, err := session.Approve(ctx, p.Accounts)
	if errors.Is(err, fix.ErrCancelled) {
		return errCancelled
	}
	if err != nil {
		return err
	}
	if r.prompt != nil {
		// Accounts asked whom to notify were not drawn up front; those
		// still without changes (an empty answer, or Quit before them) are
		// drawn now, so the summary's "see above" finds their reason.
		for i, a := range accounts {
			if p.Accounts[i].NeedsNotify && len(a.Changes) == 0 {
				if err := plan.RenderAccount(view, a, vpal); err != nil {
					return err
				}
			}
		}
	}

	var jobs []fix.Job
	for i, a := range accounts {
		if approvals[i] != fix.Approved {
			continue
		}
		t := targetOf(r.targets, resultOf(before, a.Account))
		jobs = append(jobs, fix.Job{Plan: a, Profile: t.Profile, Readers: readersFor(t), Writers: writersFor(t)})
	}
	fo := fix.Options{Journal: journal, Rollback: c.Bool("rollback"), Parallel: r.sel.parallel, CallTimeout: callTimeout}
	applying := e.meter("fix", len(jobs), time.Now())
	r.progressed = len(jobs) > 1 && e.liveStderr()
	fo.Progress = func(_, _ int, res fix.Result) { applying.Done(applyStatus(res)) }
	results := fix.Apply(ctx, jobs, fo)
	applying.Finish()

	after := r.recheck(context.WithoutCancel(ctx), before, jobs)
	reports := make([]fix.Report, len(accounts))
	for i, a := range accounts {
		res := resultOf(before, a.Account)
		reports[i] = fix.Report{Account: a.Account, Profiles: a.Profiles, Changes: a.Changes, Approval: approvals[i],
			Before: res.Verdict(), Blocked: a.Blocked, Transient: awserr.Transient(res.ErrorCode)}
		if res, ok := after[a.Account]; ok && res.Via != nil {
			// Covered by a chain fixed in its owner's account this run.
			reports[i].After = res.Verdict()
		}
	}
	for j := range results {
		i := slices.IndexFunc(accounts, func(a plan.AccountPlan) bool { return a.Account == results[j].Account })
		reports[i].Result = &results[j]
		if a, ok := after[results[j].Account]; ok {
			reports[i].After = a.Verdict()
		}
	}
	if err := r.report(out, pal, view, vpal, reports); err != nil {
		return err
	}
	if htmlReport != nil {
		if err := writeFixReport(htmlReport, before, after, reports); err != nil {
			return err
		}
	}
	if journal != nil && len(jobs) > 0 {
		fmt.Fprintf(e.stderr, "journal: %s\n", journal.Path())
	}
	if ctx.Err() != nil {
		return errCancelled
	}
	return withCode(fixExitCode(reports))
}

// report writes the result to stdout: each applied account's steps and the
// summary, or the JSON document. When stdout is not where the person
// answered (or holds JSON), the terminal gets the text too: the summary, and
// with JSON the steps as well, since nothing else shows them there.
func (r fixRun) report(out io.Writer, pal style.Palette, view io.Writer, vpal style.Palette, reports []fix.Report) error {
	text := func(w io.Writer, pal style.Palette, steps bool) error {
		for _, rep := range reports {
			if rep.Result != nil && steps {
				if err := fix.RenderResult(w, rep, pal); err != nil {
					return err
				}
			}
		}
		return fix.RenderSummary(w, reports, pal)
	}
	if r.json {
		if err := fix.EncodeJSON(out, reports); err != nil {
			return err
		}
	} else {
		if view != out {
			// The explanations were drawn at the terminal; the summary's
			// "see above" must find them in stdout too.
			for _, rep := range reports {
				if rep.Blocked != "" && len(rep.Changes) == 0 {
					a := plan.AccountPlan{Account: rep.Account, Profiles: rep.Profiles, Blocked: rep.Blocked}
					if err := plan.RenderAccount(out, a, pal); err != nil {
						return err
					}
				}
			}
		}
		if err := text(out, pal, true); err != nil {
			return err
		}
	}
	switch {
	case view == out:
		return nil
	case r.json:
		return text(view, vpal, true)
	}
	if r.progressed {
		fmt.Fprintln(view)
	}
	return text(view, vpal, false)
}

// dryRun shows the diff (and, for a saved plan, what went stale) and calls
// no write API. It exits as plan does with the same selection (failed
// counts what plan would), and 3 when a saved plan went stale.
func (r fixRun) dryRun(ctx context.Context, p plan.Plan, before check.Report, saved bool, failed int) error {
	out, pal := r.e.stdout, r.e.palette(r.e.stdout)
	if err := plan.RenderText(out, p, pal); err != nil {
		return err
	}
	stale := 0
	if saved {
		for _, a := range p.Accounts {
			if len(a.Changes) == 0 {
				continue
			}
			t := targetOf(r.targets, resultOf(before, a.Account))
			found, err := plan.Verify(ctx, readersFor(t), a)
			if err != nil {
				return fmt.Errorf("verify saved plan: %w", err)
			}
			for _, s := range found {
				stale++
				fmt.Fprintf(out, "stale: account %s: %s\n", termsafe.Escape(a.Account), termsafe.Escape(s.String()))
			}
		}
	}
	fmt.Fprintln(out, "Dry run: nothing was changed. Run fix without --dry-run to apply.")
	if stale > 0 {
		return withCode(exitFailed)
	}
	return withCode(planExitCode(p, failed))
}

// recheck runs check again for the accounts that were applied, and for the
// accounts whose verdict came from one of them (members of an organization
// trail), which settle against their owner's new verdict; keyed by
// account. It runs even after an interrupt: the truth is owed either way.
func (r fixRun) recheck(ctx context.Context, before check.Report, jobs []fix.Job) map[string]check.Result {
	var targets []check.Target
	applied := map[string]bool{}
	for _, j := range jobs {
		applied[j.Plan.Account] = true
		t := targetOf(r.targets, resultOf(before, j.Plan.Account))
		t.Account = j.Plan.Account // known: STS is not asked again
		targets = append(targets, t)
	}
	for _, res := range before.Results {
		if res.Via != nil && applied[res.Via.Account] && !applied[res.Account] {
			t := targetOf(r.targets, res)
			t.Account = res.Account
			targets = append(targets, t)
		}
	}
	co := r.co
	var finish func()
	co.Progress, finish = r.e.checkProgress("re-check")
	out := map[string]check.Result{}
	if len(targets) == 0 {
		return out
	}
	for _, res := range check.Run(ctx, targets, co).Results {
		out[res.Account] = res
	}
	finish()
	return out
}

// applyStatus counts an applied account as PASS, a failed apply as ERROR
// and the rest (stale, interrupted) apart: the re-check gives verdicts.
func applyStatus(res fix.Result) string {
	switch res.Outcome {
	case fix.Done:
		return string(check.Pass)
	case fix.Broken:
		return string(check.Error)
	}
	return string(res.Outcome)
}

// checkBefore refuses a saved plan whose before values are not what the
// accounts hold, before anything is shown or asked: the diff's old values
// must be true too.
func checkBefore(ctx context.Context, p plan.Plan, before check.Report, targets []check.Target) error {
	for _, a := range p.Accounts {
		t := targetOf(targets, resultOf(before, a.Account))
		if len(a.Changes) == 0 || t.Clients == nil {
			continue
		}
		if err := plan.CheckBefore(ctx, readersFor(t), a); plan.IsFieldError(err) {
			return usageError("plan file: account %s: %w", a.Account, err)
		} else if err != nil {
			return fmt.Errorf("plan file: account %s: %w", a.Account, err)
		}
	}
	return nil
}

// matchSaved lines up a saved plan's accounts with the accounts the
// selected profiles reach now; an account of the plan nobody reaches is
// reported, not silently dropped.
func matchSaved(saved plan.Plan, before check.Report) plan.Plan {
	byAccount := map[string]plan.AccountPlan{}
	for _, a := range saved.Accounts {
		byAccount[a.Account] = a
	}
	p := saved
	p.Accounts = make([]plan.AccountPlan, 0, len(before.Results))
	for _, res := range before.Results {
		a, ok := byAccount[res.Account]
		if !ok {
			a = plan.AccountPlan{Account: res.Account, Profiles: res.Profiles, Status: res.Status, Reason: res.Reason,
				Changes: []plan.Change{}, Fingerprints: []plan.Fingerprint{}, Blocked: "not in the saved plan; run plan for it"}
		}
		delete(byAccount, res.Account)
		p.Accounts = append(p.Accounts, a)
	}
	for _, a := range saved.Accounts {
		if _, missed := byAccount[a.Account]; missed && len(a.Changes) > 0 {
			a.Blocked, a.Changes = "no selected profile reaches this account: select its profile with --profile", []plan.Change{}
			p.Accounts = append(p.Accounts, a)
		}
	}
	return p
}

// profilesOf is the profiles a saved plan was made with, so fix --plan
// reaches the same accounts without repeating --profile.
func profilesOf(p plan.Plan) []string {
	var out []string
	for _, a := range p.Accounts {
		if len(a.Profiles) > 0 && !slices.Contains(out, a.Profiles[0]) {
			out = append(out, a.Profiles[0])
		}
	}
	return out
}

// resultOf is check's result for an account; a saved plan may name an
// account no selected profile reaches, which has none.
func resultOf(rep check.Report, account string) check.Result {
	for _, r := range rep.Results {
		if r.Account == account {
			return r
		}
	}
	return check.Result{Account: account, Status: check.Error, Message: "no selected profile reaches this account"}
}

// writersFor builds fix's write clients from a target's configuration.
func writersFor(t check.Target) fix.Writers {
	c, ok := t.Clients.(*awsenv.Clients)
	if !ok {
		return fix.Writers{}
	}
	return fix.Writers{
		Topics: func(r string) fix.TopicWriter { return c.SNSClient(r) },
		Logs:   func(r string) fix.LogsWriter { return c.LogsClient(r) },
		Alarms: func(r string) fix.AlarmWriter { return c.CloudWatchClient(r) },
		Roles:  c.IAMClient(),
		Trails: func(r string) fix.TrailWriter { return c.CloudTrailClient(r) },
	}
}
