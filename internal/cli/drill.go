package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/AlecAivazis/survey/v2/terminal"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/internal/drill"
	"github.com/trailwatch/trailwatch/report"
)

// drillOptions is what `drill` was asked to do.
type drillOptions struct {
	sel      selection
	controls []control.Control
	yes, dry bool
	json     bool
	timeout  time.Duration
	journal  string
	report   string // --report's file, when set
}

// drillPoll bounds the interval between two reads of a stage not reached
// yet; tests against the sandbox's fast pipeline shorten it.
var drillPoll = [2]time.Duration{drill.DefaultPollMin, drill.DefaultPollMax}

// pollFor scales the interval to the deadline: reads start a hundredth of
// --timeout apart and grow to a tenth, within drillPoll. A short timeout
// (the demo's) is for a fast pipeline, a long one spares the API.
func pollFor(timeout time.Duration) (lo, hi time.Duration) {
	lo, hi = min(drillPoll[0], timeout/100), min(drillPoll[1], timeout/10)
	return lo, max(lo, hi)
}

func drillCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "drill",
		Usage:     "prove the alarm reaches a person: make one harmless change the filter must catch and follow it",
		ArgsUsage: " ",
		Description: "Runs check, then per account makes the control's harmless trigger (docs/drill.md lists each) and\n" +
			"follows it: the record in the log group, the filter's datapoint, the alarm's ALARM state, CloudWatch's\n" +
			"SNS action and the topic's confirmed subscribers. The topic's subscribers get a real alarm. Exit 0 when\n" +
			"every selected chain delivered, 1 when some did not or check fails it, 3 when the drill could not run,\n" +
			"130 when interrupted or declined. See docs/drill.md.",
		Flags: append(selectionFlags(),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "drill without asking (needed when not at a terminal)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "show what would be called and who notified, and call nothing"},
			&cli.DurationFlag{Name: "timeout", Value: drill.DefaultTimeout, Usage: "one deadline for every account's change to reach its last stage (`DURATION`; CloudTrail delivers in minutes)"},
			&cli.StringFlag{Name: "journal", Usage: "append every write to `FILE` as JSON lines (default: fix's journal)"},
			outputFlag("the result on stdout: text or json (what will be called then goes to stderr)"),
			&cli.StringFlag{Name: "report", Usage: "also write the drill's timeline per account as a self-contained HTML page to `FILE`"},
		),
		Action: func(c *cli.Context) error {
			opts, err := drillOptionsFrom(c)
			if err != nil {
				return err
			}
			return runDrill(c.Context, e, opts)
		},
	}
}

// drillOptionsFrom binds and validates drill's flags.
func drillOptionsFrom(c *cli.Context) (o drillOptions, err error) {
	if err := noArgs(c); err != nil {
		return o, err
	}
	o.yes, o.dry, o.timeout, o.journal = c.Bool("yes"), c.Bool("dry-run"), c.Duration("timeout"), c.String("journal")
	if o.json, err = jsonOutput(c); err != nil {
		return o, err
	}
	if o.json && o.dry {
		return o, usageError("--dry-run --output json: a dry run drills nothing, so there is no result to report")
	}
	if o.timeout <= 0 {
		return o, usageError("--timeout %s: want a positive duration, e.g. 15m", o.timeout)
	}
	if c.IsSet("report") {
		if o.report = c.String("report"); o.report == "" || o.dry {
			return o, usageError("--report: want a file name, and a run that drills")
		}
	}
	if o.sel, err = selectionFromContext(c); err != nil {
		return o, err
	}
	o.controls = o.sel.controls.controls
	if len(o.controls) == 0 {
		o.controls = []control.Control{control.Default()}
	}
	return o, nil
}

// drillAsker is the one question a drill asks; the terminal prompter and
// tests' prompters answer it beside fix's.
type drillAsker interface {
	ConfirmDrill(n int) (bool, error)
}

// drillRun is one run of drill: what startDrill opened, then check and
// plan, ask, drill and report.
type drillRun struct {
	e       *env
	o       drillOptions
	asker   drillAsker // nil with --yes or --dry-run
	journal *fix.Journal
	html    *pendingFile
	closers []func()
}

func runDrill(ctx context.Context, e *env, o drillOptions) error {
	r, err := startDrill(ctx, e, o)
	defer r.close()
	if err != nil {
		return err
	}
	started := time.Now()
	if e.now != nil {
		started = e.now()
	}
	plans, err := drillPlans(ctx, e, o)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errCancelled
	}
	drills, err := r.ask(plans)
	if err != nil || o.dry {
		return err
	}
	do, finish := drillRunOptions(e, o, r.journal, drills)
	results := drill.Run(ctx, plans, do)
	finish()
	rep := drill.NewReport(tool(), started, results)
	if err := r.report(rep); err != nil {
		return err
	}
	if r.journal != nil && drills > 0 {
		fmt.Fprintf(e.stderr, "journal: %s\n", r.journal.Path())
	}
	if ctx.Err() != nil {
		return errCancelled
	}
	return withCode(drillExitCode(rep))
}

// startDrill makes sure the run can go to its end before anything is
// read: someone to ask (or --yes), a writable journal and report file.
func startDrill(ctx context.Context, e *env, o drillOptions) (*drillRun, error) {
	r := &drillRun{e: e, o: o}
	if p, _, ok := e.prompter(ctx.Done()); ok && !o.yes && !o.dry {
		r.asker, _ = p.(drillAsker)
	}
	if !o.yes && !o.dry && r.asker == nil {
		return r, usageError("drill changes AWS resources and sends a real alarm, and there is no terminal to ask at: pass --yes to drill without asking, or --dry-run to preview")
	}
	if !o.dry {
		path := o.journal
		if path == "" {
			var err error
			if path, err = fix.DefaultJournalPath(e.getenv); err != nil {
				return r, usageError("%w", err)
			}
		}
		j, err := fix.OpenJournal(path)
		if err != nil {
			return r, usageError("--journal: %w", err)
		}
		r.journal = j
		r.closers = append(r.closers, func() { j.Close() })
		e.atAbort(j.Abandon)
	}
	if o.report != "" {
		files, err := openPending([]outPath{{"--report", o.report}}, 0o666)
		if err != nil {
			return r, usageError("%w", err)
		}
		r.html = files[0]
		r.closers = append(r.closers, func() { discard(files) })
	}
	return r, nil
}

func (r *drillRun) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}

// view is where what will be called is shown: stdout, unless it holds JSON.
func (r *drillRun) view() io.Writer {
	if r.o.json {
		return r.e.stderr
	}
	return r.e.stdout
}

// ask shows every plan and, unless --yes or --dry-run, asks once; it
// returns how many accounts and controls will be drilled.
func (r *drillRun) ask(plans []drill.Plan) (drills int, err error) {
	view := r.view()
	pal := r.e.palette(view)
	if err := r.e.render(view, func(w io.Writer) error { return drill.RenderPlans(w, plans, pal) }); err != nil {
		return 0, err
	}
	for _, p := range plans {
		if p.Drills() {
			drills++
		}
	}
	if r.o.dry {
		fmt.Fprintln(view, "Dry run: nothing was called. Run drill without --dry-run to make the changes above.")
		return drills, nil
	}
	if drills == 0 || r.asker == nil {
		return drills, nil
	}
	ok, err := r.asker.ConfirmDrill(drills)
	switch {
	case errors.Is(err, fix.ErrCancelled):
		return 0, errCancelled
	case err != nil:
		return 0, err
	case !ok:
		fmt.Fprintln(view, "Nothing was called.")
		return 0, errCancelled
	}
	return drills, nil
}

// report writes the result: text or JSON on stdout, and the HTML page.
func (r *drillRun) report(rep drill.Report) error {
	var err error
	if r.o.json {
		err = drill.EncodeJSON(r.e.stdout, rep)
	} else {
		pal := r.e.palette(r.e.stdout)
		err = r.e.render(r.e.stdout, func(w io.Writer) error { return drill.RenderText(w, rep, pal) })
	}
	if err != nil || r.html == nil {
		return err
	}
	return r.html.commit(func(w io.Writer) error { return report.WriteDrillHTML(w, rep) })
}

// drillPlans checks each selected control in each account and decides its
// drill.
func drillPlans(ctx context.Context, e *env, o drillOptions) ([]drill.Plan, error) {
	reached, err := o.sel.reach(ctx, e, e.aws)
	if err != nil {
		return nil, err
	}
	co := o.sel.checkOptions(e, false)
	co.Controls = o.controls
	var finish func()
	co.Progress, finish = e.checkProgress("check")
	rep, err := reached.check(ctx, co)
	finish()
	if err != nil {
		return nil, err
	}
	noteSkipped(e, reached.skipped)
	targets := reached.targets
	var plans []drill.Plan
	clients := map[*awsenv.Clients]drill.Clients{}
	for _, res := range rep.Results {
		ctrl, ok := control.Lookup(res.ControlID)
		if !ok {
			ctrl = control.Default()
		}
		t := targetOf(targets, res)
		var dc drill.Clients
		if t.aws != nil {
			if dc = clients[t.aws]; dc.Trail == nil {
				dc = drillClients(t.aws)
				clients[t.aws] = dc
			}
		}
		plans = append(plans, drill.Prepare(ctx, res, ctrl, dc))
	}
	return plans, nil
}

func drillRunOptions(e *env, o drillOptions, journal *fix.Journal, drills int) (drill.Options, func()) {
	do := drill.Options{Parallel: o.sel.parallel, Timeout: o.timeout}
	do.PollMin, do.PollMax = pollFor(o.timeout)
	if journal != nil {
		do.Record = func(c drill.Call) {
			detail := ""
			if c.RequestID != "" {
				detail = "request " + c.RequestID
			}
			if err := journal.Record(fix.Entry{Time: c.Time, Account: c.Account, Region: c.Region, Change: "drill",
				Operation: c.Operation, Target: c.Target, Result: c.Result, Detail: detail, Error: c.Error}); err != nil {
				fmt.Fprintf(e.stderr, "trailwatch: %v\n", err)
			}
		}
	}
	meter := newStageMeter(e, drills)
	do.Progress = meter.reached
	return do, meter.finish
}

// stageMeter is the drill's progress on stderr: how many accounts' changes
// have reached each stage, one line redrawn in place at a terminal, a
// plain line every 10 s in a log. Accounts stand at different stages at
// once, so the stages share the line rather than each drawing its own.
type stageMeter struct {
	w     io.Writer
	live  bool
	total int
	start time.Time

	mu       sync.Mutex
	reachedN map[drill.StageName]int
	ended    map[drill.Outcome]int
	last     time.Time
	drawn    bool
}

func newStageMeter(e *env, total int) *stageMeter {
	now := time.Now()
	return &stageMeter{w: e.stderr, live: e.liveStderr(), total: total, start: now, last: now,
		reachedN: map[drill.StageName]int{}, ended: map[drill.Outcome]int{}}
}

func (m *stageMeter) reached(p drill.Plan, s drill.StageName, o drill.Outcome) {
	if !p.Drills() || m.total < 2 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s == "" {
		m.ended[o]++
	} else {
		m.reachedN[s]++
	}
	now := time.Now()
	every := 10 * time.Second
	if m.live {
		every = 100 * time.Millisecond
	}
	if now.Sub(m.last) < every {
		return
	}
	m.last = now
	if m.live {
		fmt.Fprintf(m.w, "\r\033[K%s", m.line(now))
		m.drawn = true
	} else {
		fmt.Fprintln(m.w, m.line(now))
	}
}

// line is e.g. "drill: 200 accounts: log_group 180, filter 170, alarm 150, action 120, subscribers 118; 2 ended otherwise; 3m10s elapsed".
func (m *stageMeter) line(now time.Time) string {
	parts := make([]string, 0, len(drill.Stages))
	for _, s := range drill.Stages {
		parts = append(parts, fmt.Sprintf("%s %d", s, m.reachedN[s]))
	}
	line := fmt.Sprintf("drill: %d accounts: %s", m.total, strings.Join(parts, ", "))
	other := 0
	for o, n := range m.ended {
		if o != drill.Delivered {
			other += n
		}
	}
	if other > 0 {
		line += fmt.Sprintf("; %d ended otherwise", other)
	}
	return line + "; " + now.Sub(m.start).Round(time.Second).String() + " elapsed"
}

func (m *stageMeter) finish() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.drawn {
		fmt.Fprint(m.w, "\r\033[K")
	}
}

// drillClients are a target's SDK clients, as the drill reads and writes.
func drillClients(c *awsenv.Clients) drill.Clients {
	var mu sync.Mutex
	ec2s := map[string]*ec2.Client{}
	return drill.Clients{
		Trail: func(r string) drill.TrailAPI { return c.CloudTrailClient(r) },
		EC2: func(r string) drill.EC2API {
			mu.Lock()
			defer mu.Unlock()
			if cl, ok := ec2s[r]; ok {
				return cl
			}
			cl := ec2.NewFromConfig(c.ConfigFor(r))
			ec2s[r] = cl
			return cl
		},
		Logs:    func(r string) drill.LogsAPI { return c.LogsClient(r) },
		Metrics: func(r string) drill.MetricsAPI { return c.CloudWatchClient(r) },
		Topics:  func(r string) drill.TopicsAPI { return c.SNSClient(r) },
	}
}

// drillExitCode follows docs/exit-codes.md: a chain that did not deliver,
// or that check fails before any alarm, is the finding (1) and wins; a
// drill that could not run is 3.
func drillExitCode(rep drill.Report) int {
	code := exitOK
	for _, r := range rep.Results {
		switch {
		case r.Outcome == drill.NotDelivered, r.Outcome == drill.NotDrilled && r.NotDrilled == drill.SkipCheckFails:
			return exitFindings
		case r.Outcome != drill.Delivered:
			code = exitFailed
		}
	}
	return code
}

// ConfirmDrill asks once, after every account's plan was shown; Enter is
// no.
func (p ttyPrompter) ConfirmDrill(n int) (bool, error) {
	question := fmt.Sprintf("Make the %d %s above? Their topics' subscribers get a real alarm. [y/N] ", n, plural(n, "drill", "drills"))
	if err := p.say(question); err != nil {
		return false, err
	}
	// answered writes the answer and, as fix does, takes the Enter typed
	// right after a key with it, so it does not reach the shell.
	answered := func(yes bool, word string, more bool) (bool, error) {
		if err := p.say(word + "\n\n"); err != nil || more {
			return yes, err
		}
		return yes, p.swallowEnter()
	}
	for {
		key, more, err := p.key()
		if err != nil {
			return false, err
		}
		switch key {
		case 'y', 'Y':
			return answered(true, "yes", more)
		case 'n', 'N':
			return answered(false, "no", more)
		case terminal.KeyEnter, '\n', terminal.KeyEndTransmission:
			return false, p.say("no\n\n")
		case terminal.KeyInterrupt:
			return false, p.cancelled()
		}
		if err := p.say("\n  press y or n (Enter is no)\n" + question); err != nil {
			return false, err
		}
	}
}
