package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/fix"
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

// fixOptions is what `fix` was asked to do.
type fixOptions struct {
	sel      selection
	plan     plan.Options // from the flags; a saved plan's own replace them
	planFile string       // --plan: apply this saved plan
	yes, dry bool
	json     bool
	journal  string // --journal; empty: the default path
	rollback bool
	// report is --report's file, when set.
	report    string
	reportSet bool
}

func fixCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "fix",
		Usage:     "apply the plan: ask per account at a terminal, --yes in scripts, --dry-run to preview",
		ArgsUsage: " ",
		Description: "Runs check and plan, then applies each approved account's changes in order, re-reading every target\n" +
			"before writing it, and checks again. Exit 0 when every selected account is compliant afterwards, 1 when\n" +
			"some still is not (or was declined), 2 on bad input, 3 when an apply failed or an account could not be\n" +
			"evaluated, 130 when interrupted (143 for SIGTERM). See docs/fix.md.",
		Flags: append(planFlags(),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "apply without asking (needed when not at a terminal)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "show what would change and change nothing (no write API is called)"},
			&cli.StringFlag{Name: "plan", Usage: "apply exactly the plan saved by plan --out `FILE`, refusing accounts that changed since"},
			&cli.StringFlag{Name: "journal", Usage: "append every write to `FILE` as JSON lines (default: $XDG_STATE_HOME/trailwatch/journal.jsonl, else ~/.local/state/trailwatch/journal.jsonl)"},
			&cli.BoolFlag{Name: "rollback", Usage: "when an account's apply fails, delete what this run created there (never anything that existed before)"},
			outputFlag("the result on stdout: text or json (the diff and the questions then go to stderr)"),
			&cli.StringFlag{Name: "report", Usage: "also write each account's check before and after as a self-contained HTML page to `FILE`"},
		),
		Action: func(c *cli.Context) error {
			opts, err := fixOptionsFrom(c)
			if err != nil {
				return err
			}
			opts.plan.Controls = opts.sel.controls.controls
			return runFix(c.Context, e, opts)
		},
	}
}

// fixOptionsFrom binds and validates fix's flags.
func fixOptionsFrom(c *cli.Context) (o fixOptions, err error) {
	if err := noArgs(c); err != nil {
		return o, err
	}
	o.yes, o.dry, o.planFile = c.Bool("yes"), c.Bool("dry-run"), c.String("plan")
	o.journal, o.rollback = c.String("journal"), c.Bool("rollback")
	o.report, o.reportSet = c.String("report"), c.IsSet("report")
	if o.json, err = jsonOutput(c); err != nil {
		return o, err
	}
	if o.json && o.dry {
		return o, usageError("--dry-run --output json: a dry run applies nothing, so there is no result to report; plan --output json prints the plan")
	}
	if o.planFile != "" {
		for _, name := range planShapingFlags() {
			if c.IsSet(name) {
				return o, usageError("--%s cannot change a saved plan: re-run plan with it instead", name)
			}
		}
	} else if o.plan, err = planOptionsFromContext(c); err != nil {
		return o, err
	}
	o.sel, err = selectionFromContext(c)
	return o, err
}

// fixRun is one run of fix, step by step: validate and open what it
// writes (start), plan or load the saved plan (planned), approve, apply,
// re-check, report.
type fixRun struct {
	e    *env
	o    fixOptions
	opts plan.Options // the plan's options: the flags', or the saved plan's
	// prompt asks per account; nil with --yes. promptOut is where it draws:
	// stderr, or the controlling terminal when stderr is redirected.
	prompt    fix.Prompter
	promptOut io.Writer
	saved     *plan.Plan
	journal   *fix.Journal // nil on a dry run
	html      *pendingFile // --report
	// view is where a person sees the diff and the questions: stdout only
	// when it is that terminal and holds text.
	view io.Writer
	vpal style.Palette
	pal  style.Palette // stdout's
	// progressed: apply drew a progress line, which the summary drawn on
	// the terminal is set apart from.
	progressed bool
	targets    []target
	co         check.Options
	closers    []func()
}

func runFix(ctx context.Context, e *env, o fixOptions) error {
	r, err := startFix(ctx, e, o)
	defer r.close()
	if err != nil {
		return err
	}
	p, before, failed, err := r.planned(ctx)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errCancelled
	}
	if o.dry {
		return r.dryRun(ctx, p, before, r.saved != nil, failed)
	}
	accounts, approvals, err := r.approve(ctx, p, before)
	if err != nil {
		return err
	}
	jobs, results := r.apply(ctx, accounts, approvals, before)
	after := r.recheck(context.WithoutCancel(ctx), before, jobs)
	reports := fixReports(accounts, approvals, before, after, results)
	nameMembers(reports, r.targets)
	if err := r.finish(reports, before, after); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errCancelled
	}
	return withCode(fixExitCode(reports))
}

// startFix makes sure the run can go to its end before anything is read:
// someone to ask (or --yes), a readable saved plan, a writable journal and
// report file.
func startFix(ctx context.Context, e *env, o fixOptions) (*fixRun, error) {
	r := &fixRun{e: e, o: o, opts: o.plan}
	// With --yes or --dry-run nobody is asked, and the controlling
	// terminal is not opened.
	if !o.yes && !o.dry {
		prompt, out, interactive := e.prompter(ctx.Done())
		if !interactive {
			return r, usageError("fix changes AWS resources and there is no terminal to ask at: pass --yes to apply without asking, or --dry-run to preview")
		}
		r.prompt, r.promptOut = prompt, out
		if f, ok := out.(*os.File); ok && out != e.stderr {
			r.closers = append(r.closers, func() { f.Close() })
		}
	}
	if o.planFile != "" {
		p, err := plan.Read(o.planFile)
		if err != nil {
			// Unreadable or invalid, the file is bad input either way.
			return r, usageError("--plan %s: %w", termsafe.Escape(o.planFile), err)
		}
		r.saved = &p
		r.opts = plan.Options{Strict: p.Options.Strict}
		for _, id := range p.Options.Controls {
			c, ok := control.Lookup(id)
			if !ok {
				return r, usageError("%s: the plan names control %q, which this trailwatch does not know", o.planFile, id)
			}
			r.opts.Controls = append(r.opts.Controls, c)
		}
	}
	// The journal is opened before anything is read or asked, so an
	// unwritable one stops the run before it could change anything.
	if !o.dry {
		if err := r.openJournal(); err != nil {
			return r, err
		}
	}
	if o.reportSet {
		if o.dry || o.report == "" {
			return r, usageError("--report: want a file name, and a run that applies (for a preview, check --report shows the accounts as they are)")
		}
		files, err := openPending([]outPath{{"--report", o.report}}, 0o666)
		if err != nil {
			return r, usageError("%w", err)
		}
		r.html = files[0]
		r.closers = append(r.closers, func() { discard(files) })
	}
	return r, nil
}

func (r *fixRun) openJournal() error {
	path := r.o.journal
	if path == "" {
		var err error
		if path, err = fix.DefaultJournalPath(r.e.getenv); err != nil {
			return usageError("%w", err)
		}
	}
	journal, err := fix.OpenJournal(path)
	if err != nil {
		return usageError("--journal: %w", err)
	}
	r.journal = journal
	r.closers = append(r.closers, func() { journal.Close() })
	r.e.atAbort(journal.Abandon)
	return nil
}

// close releases what startFix opened, last first.
func (r *fixRun) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

// planned reaches the selected accounts and plans them, or reconciles the
// saved plan with them and refuses it when its before values are not what
// the accounts hold. failed counts the accounts that could not be
// evaluated or planned, as plan counts them.
func (r *fixRun) planned(ctx context.Context) (p plan.Plan, before check.Report, failed int, err error) {
	r.co = r.o.sel.checkOptions(r.e, r.opts.Strict)
	if r.saved != nil && len(r.o.sel.profiles) == 0 && !r.o.sel.all {
		r.o.sel.profiles = r.saved.SavedProfiles()
	}
	reached, err := r.o.sel.reach(ctx, r.e, r.e.aws)
	if err != nil {
		return p, before, 0, err
	}
	if r.saved == nil {
		p, before, failed, err = runPlan(ctx, r.e, reached, r.opts, r.co)
		r.targets = reached.targets
		return p, before, failed, err
	}
	co := r.co
	var finish func()
	co.Progress, finish = r.e.checkProgress("check")
	before, err = reached.check(ctx, r.familyOptions(co))
	finish()
	if err != nil {
		return p, before, 0, err
	}
	noteSkipped(r.e, reached.skipped)
	r.targets = reached.targets
	p = plan.Reconcile(*r.saved, before)
	failed = before.Summary.Error + before.Summary.Manual
	return p, before, failed, checkBefore(ctx, p, before, r.targets)
}

// approve shows the plan where a person sees it and asks per account (or,
// with --yes, shows the whole diff and approves it all).
func (r *fixRun) approve(ctx context.Context, p plan.Plan, before check.Report) ([]plan.AccountPlan, []fix.Approval, error) {
	e := r.e
	// stdout's palette first: palette keeps fatih/color in step with the
	// last stream asked about, which must be the one questions go to.
	r.pal = e.palette(e.stdout)
	r.view = e.stdout
	switch {
	case r.prompt != nil && (r.o.json || !e.isTerminal(e.stdout)):
		r.view = r.promptOut
	case r.o.json:
		r.view = e.stderr
	}
	r.vpal = e.palette(r.view)
	session := fix.Session{Yes: r.o.yes, Prompt: r.prompt,
		Show: func(a plan.AccountPlan) error { return r.renderAccount(r.view, a, r.vpal) },
		Replan: func(ctx context.Context, i int, ep plan.Endpoint) (plan.AccountPlan, error) {
			o := r.opts
			o.Notify = append(slices.Clone(o.Notify), ep)
			rs := resultsOf(before, p.Accounts[i].Account)
			return planAccount(ctx, targetOf(r.targets, rs[0]), rs, o)
		},
		UseTopic: func(ctx context.Context, i int, arn string) (plan.AccountPlan, error) {
			o := r.opts
			o.TopicARN = arn
			rs := resultsOf(before, p.Accounts[i].Account)
			return planAccount(ctx, targetOf(r.targets, rs[0]), rs, o)
		}}
	if err := r.showUnasked(p); err != nil {
		return nil, nil, err
	}
	accounts, approvals, err := session.Approve(ctx, p.Accounts)
	if errors.Is(err, fix.ErrCancelled) {
		return nil, nil, errCancelled
	}
	if err != nil {
		return nil, nil, err
	}
	if r.prompt != nil {
		// Accounts asked whom to notify were not drawn up front; those
		// still without changes (an empty answer, or Quit before them) are
		// drawn now, so the summary's "see above" finds their reason.
		for i, a := range accounts {
			if p.Accounts[i].NeedsNotify && len(a.Changes) == 0 {
				if err := r.renderAccount(r.view, a, r.vpal); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	return accounts, approvals, nil
}

// showUnasked draws, before the questions, what no question will show:
// scripted, the whole diff, so the log shows what is applied; at a prompt,
// the accounts with nothing to change and nobody to ask about.
func (r *fixRun) showUnasked(p plan.Plan) error {
	if r.prompt == nil {
		if err := r.e.render(r.view, func(w io.Writer) error { return plan.RenderText(w, p, r.vpal) }); err != nil {
			return err
		}
		fmt.Fprintln(r.view)
		return nil
	}
	for _, a := range p.Accounts {
		if len(a.Changes) == 0 && !a.NeedsNotify {
			if err := r.renderAccount(r.view, a, r.vpal); err != nil {
				return err
			}
		}
	}
	return nil
}

// renderAccount draws one account's plan, wrapped to w's terminal.
func (r *fixRun) renderAccount(w io.Writer, a plan.AccountPlan, pal style.Palette) error {
	return r.e.render(w, func(w io.Writer) error { return plan.RenderAccount(w, a, pal) })
}

// apply writes the approved accounts' changes, side by side, with a
// progress line.
func (r *fixRun) apply(ctx context.Context, accounts []plan.AccountPlan, approvals []fix.Approval, before check.Report) ([]fix.Job, []fix.Result) {
	var jobs []fix.Job
	for i, a := range accounts {
		if approvals[i] != fix.Approved {
			continue
		}
		t := targetOf(r.targets, resultOf(before, a.Account))
		jobs = append(jobs, fix.Job{Plan: a, Profile: t.Profile, Readers: readersFor(t), Writers: writersFor(t)})
	}
	fo := fix.Options{Journal: r.journal, Rollback: r.o.rollback, Parallel: r.o.sel.parallel, CallTimeout: callTimeout}
	applying := r.e.meter("fix", len(jobs), time.Now())
	r.progressed = len(jobs) > 1 && r.e.liveStderr()
	fo.Progress = func(_, _ int, res fix.Result) { applying.Done(applyStatus(res)) }
	results := fix.Apply(ctx, jobs, fo)
	applying.Finish()
	return jobs, results
}

// fixReports is each account's story: its verdict before, what was
// approved and applied, and its verdict after, per control when several
// were fixed.
func fixReports(accounts []plan.AccountPlan, approvals []fix.Approval, before check.Report, after map[string][]check.Result, results []fix.Result) []fix.Report {
	reports := make([]fix.Report, len(accounts))
	for i, a := range accounts {
		rs := resultsOf(before, a.Account)
		reports[i] = fix.Report{Account: a.Account, Profiles: a.Profiles, Changes: a.Changes, Approval: approvals[i],
			Before: worst(rs), Blocked: a.Blocked, Transient: awserr.Transient(rs[0].ErrorCode)}
		if now, ok := after[a.Account]; ok && now[0].Via != nil {
			// Covered by a chain fixed in its owner's account this run.
			reports[i].After = worst(now)
		}
		if len(rs) > 1 {
			for _, res := range rs {
				reports[i].Controls = append(reports[i].Controls, fix.ControlVerdicts{Control: res.ControlID, Before: res.Verdict()})
			}
		}
	}
	for j := range results {
		i := slices.IndexFunc(accounts, func(a plan.AccountPlan) bool { return a.Account == results[j].Account })
		reports[i].Result = &results[j]
		now, ok := after[results[j].Account]
		if !ok {
			continue
		}
		reports[i].After = worst(now)
		for k := range reports[i].Controls {
			for _, res := range now {
				if res.ControlID == reports[i].Controls[k].Control {
					reports[i].Controls[k].After = res.Verdict()
				}
			}
		}
	}
	return reports
}

// worst is the verdict of an account's results: its one result's, or the
// worst control's (ERROR, then MANUAL, FAIL, PASS).
func worst(rs []check.Result) check.Verdict {
	rank := func(s check.Status) int {
		return slices.Index([]check.Status{check.Pass, check.Fail, check.Manual, check.Error}, s)
	}
	v := rs[0].Verdict()
	for _, r := range rs[1:] {
		if rank(r.Status) > rank(v.Status) {
			v = r.Verdict()
		}
	}
	return v
}

// finish reports the run: stdout, the HTML page, and the journal's path
// when this run wrote to it.
func (r *fixRun) finish(reports []fix.Report, before check.Report, after map[string][]check.Result) error {
	if err := r.report(r.e.stdout, r.pal, r.view, r.vpal, reports); err != nil {
		return err
	}
	if r.html != nil {
		if err := writeFixReport(r.html, before, after, reports); err != nil {
			return err
		}
	}
	if r.journal != nil && r.journal.Written() > 0 {
		fmt.Fprintf(r.e.stderr, "journal: %s\n", r.journal.Path())
	}
	return nil
}

// report writes the result to stdout: each applied account's steps and the
// summary, or the JSON document. When stdout is not where the person
// answered (or holds JSON), the terminal gets the text too: the summary, and
// with JSON the steps as well, since nothing else shows them there.
func (r *fixRun) report(out io.Writer, pal style.Palette, view io.Writer, vpal style.Palette, reports []fix.Report) error {
	text := func(w io.Writer, pal style.Palette, steps bool) error {
		return r.e.render(w, func(w io.Writer) error {
			for _, rep := range reports {
				if rep.Result != nil && steps {
					if err := fix.RenderResult(w, rep, pal); err != nil {
						return err
					}
				}
			}
			return fix.RenderSummary(w, reports, pal)
		})
	}
	if r.o.json {
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
					if err := r.renderAccount(out, a, pal); err != nil {
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
	case r.o.json:
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
func (r *fixRun) dryRun(ctx context.Context, p plan.Plan, before check.Report, saved bool, failed int) error {
	out, pal := r.e.stdout, r.e.palette(r.e.stdout)
	if err := r.e.render(out, func(w io.Writer) error { return plan.RenderText(w, p, pal) }); err != nil {
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
				if stale == 0 {
					fmt.Fprintln(out, pal.Bad("The plan is stale: fix would refuse it, as these changed since planning:"))
				}
				stale++
				fmt.Fprintf(out, "  account %s: %s in %s %s:\n    %s\n", termsafe.Escape(a.Account), termsafe.Escape(s.Kind),
					termsafe.Escape(s.Region), termsafe.Escape(s.Change()), termsafe.Escape(s.Key))
			}
		}
	}
	if stale > 0 {
		fmt.Fprintln(out, "Dry run: nothing was changed. Next: run trailwatch plan again and review it.")
		return withCode(exitFailed)
	}
	fmt.Fprintln(out, "Dry run: nothing was changed. Run fix without --dry-run to apply.")
	return withCode(planExitCode(p, failed))
}

// recheck runs check again for the accounts that were applied, and for the
// accounts whose verdict came from one of them (members of an organization
// trail), which settle against their owner's new verdict; keyed by
// account. It runs even after an interrupt: the truth is owed either way.
func (r *fixRun) recheck(ctx context.Context, before check.Report, jobs []fix.Job) map[string][]check.Result {
	var targets []target
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
			if !slices.ContainsFunc(targets, func(o target) bool { return o.Account == res.Account }) {
				targets = append(targets, t)
			}
		}
	}
	co := r.co
	var finish func()
	co.Progress, finish = r.e.checkProgress("re-check")
	out := map[string][]check.Result{}
	if len(targets) == 0 {
		return out
	}
	for _, res := range r.check(ctx, checkTargets(targets), co).Results {
		out[res.Account] = append(out[res.Account], res)
	}
	finish()
	return out
}

// check runs check as plan did: for every control of the plan.
func (r *fixRun) check(ctx context.Context, targets []check.Target, co check.Options) check.Report {
	return check.Run(ctx, targets, r.familyOptions(co))
}

// familyOptions is co for the controls fix works on: as it is for one, and
// for several one run that shares its reads (planCheckOptions).
func (r *fixRun) familyOptions(co check.Options) check.Options {
	if len(r.opts.Controls) < 2 {
		// A saved plan's controls (none: the default), whatever --control says.
		co.Controls = r.opts.Controls
		return co
	}
	return planCheckOptions(co, r.opts)
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
func checkBefore(ctx context.Context, p plan.Plan, before check.Report, targets []target) error {
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

// resultOf is check's result for an account; a saved plan may name an
// account no selected profile reaches, which has none.
// resultsOf is an account's results, one per control; an account nobody
// reaches has one ERROR result.
func resultsOf(rep check.Report, account string) []check.Result {
	var out []check.Result
	for _, r := range rep.Results {
		if r.Account == account {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		out = append(out, resultOf(rep, account))
	}
	return out
}

func resultOf(rep check.Report, account string) check.Result {
	for _, r := range rep.Results {
		if r.Account == account {
			return r
		}
	}
	return check.Result{Account: account, Status: check.Error, Message: "no selected profile reaches this account"}
}

// writersFor builds fix's write clients from a target's configuration.
func writersFor(t target) fix.Writers {
	c := t.aws
	if c == nil {
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
