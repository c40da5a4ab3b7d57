package check

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/awsapi"
	"github.com/trailwatch/trailwatch/internal/awserr"
	"github.com/trailwatch/trailwatch/internal/parallel"
)

// Options tune a check run. The command layer fills them from flags.
type Options struct {
	// Controls are the controls decided, one result per account and
	// control in this order; empty means Control alone.
	Controls []control.Control
	// Control is the control decided when Controls is empty; the zero value
	// is control.Default().
	Control control.Control
	// Standard, when named, is the standard the controls were chosen by
	// (--benchmark): the report numbers them as it does.
	Standard control.Standard
	// Strict requires a filter text prescribed for the control, whitespace
	// aside (Security Hub compares the text, not the meaning).
	Strict bool
	// Parallel is how many accounts are checked at once (below 1: one).
	Parallel int
	// CallTimeout bounds each AWS call (each page of a paginated one); zero
	// means no bound beyond ctx.
	CallTimeout time.Duration
	// Progress, when set, is told each time an account finishes.
	Progress func(done, total int, r Result)
	// Now stamps the report's checked_at; nil is time.Now.
	Now func() time.Time
	// Tool is copied into the report: the command layer knows its version.
	Tool Tool
	// VerifyPatterns sends each filter's pattern and the synthetic CloudTrail
	// records to logs:TestMetricFilter and compares AWS's verdicts with
	// trailwatch's; AWS settles what trailwatch cannot decide.
	VerifyPatterns bool
	// Candidates are metrics a new filter would emit (plan's namespace and
	// metric name). For a trail whose filter is what is missing — no log
	// group yet, a deleted one, or no filter catching the events — the
	// alarms on them are followed, so plan can tell when a filter alone
	// completes the chain. check itself sets none.
	Candidates []Metric
	// Select, when set, keeps only the accounts it accepts; the others are
	// left out of the report (--accounts, --exclude-accounts).
	Select func(account string) bool

	// analyses are the run's pattern verdicts, shared by its accounts.
	analyses *analyses
	// several: the run decides more than one control (Controls).
	several bool
}

// Metric names a CloudWatch metric without dimensions.
type Metric struct {
	Namespace, Name string
}

// Target is one credential set to check: a profile (or the default chain)
// with its clients and the region where trails are discovered.
type Target struct {
	Profile string
	Region  string
	Clients awsapi.Clients
	// Err is set when the profile's configuration or credentials could not
	// be loaded: the target becomes an ERROR result and the others go on.
	Err error
	// Account is the account Clients reach when it is known beforehand (an
	// organization's member, a seat already identified, fix's re-check):
	// STS is not asked again.
	Account string
	// RoleARN is the role Clients assume into Account, empty when the
	// profile's own credentials are used.
	RoleARN string
	// Connect, when set, obtains the credentials before anything is read
	// (AssumeRole); its error is the account's ERROR.
	Connect func(ctx context.Context) error
}

// Run checks every target's account. Each target goes through one
// pipeline: its identity (sts:GetCallerIdentity) is asked at the same time
// as its trails, and the first target to reach an account runs that
// account's chains; targets reaching an account already taken join its
// results with their profile (their trail read is the one extra call).
// Each account gets one result per control, in the order of the controls;
// accounts keep the order of the targets; a failure in one account never
// stops the others.
func Run(ctx context.Context, targets []Target, opts Options) Report {
	batches := make(chan []Target, 1)
	batches <- targets
	close(batches)
	return RunStream(ctx, batches, opts)
}

// RunStream is Run over targets that arrive in batches while it runs (the
// members of an organization, page by page as it is listed): each target
// starts as soon as it arrives and a slot is free. Results keep the order
// in which the targets arrived. It returns once batches is closed and every
// target is done.
func RunStream(ctx context.Context, batches <-chan []Target, opts Options) Report {
	ctrls := opts.controls()
	opts.analyses, opts.several = &analyses{}, len(ctrls) > 1
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	started := now().UTC().Truncate(time.Second)
	var (
		mu               sync.Mutex
		targets          []Target
		slots            []slot
		byAccount        = map[string]int{}
		done, duplicates int
		finished         = owners{}
	)
	items := make(chan Target)
	go func() {
		defer close(items)
		for b := range batches {
			for _, t := range b {
				mu.Lock()
				targets = append(targets, t)
				slots = append(slots, slot{})
				mu.Unlock()
				items <- t
			}
		}
	}()
	parallel.ForEachStream(ctx, items, opts.Parallel, func(ctx context.Context, i int, t Target) {
		var res []Result
		joined := false
		switch {
		case t.Account != "" && opts.Select != nil && !opts.Select(t.Account):
			joined = true // left out before anything is asked or assumed
		case t.Err != nil:
			res = perControl(ctrls, errorResult(t.Account, t.Profile, t.Region, t.Err))
		default:
			res = identifyAndRun(ctx, t, opts, ctrls, func(account string) bool {
				mu.Lock()
				defer mu.Unlock()
				if opts.Select != nil && !opts.Select(account) {
					joined = true
					return false
				}
				if owner, ok := byAccount[account]; ok {
					slots[owner].profiles = append(slots[owner].profiles, i)
					joined = true
					return false
				}
				byAccount[account] = i
				return true
			})
		}
		mu.Lock()
		defer mu.Unlock()
		slots[i].profiles = append(slots[i].profiles, i)
		if joined {
			slots[i].joined = true
			duplicates++
			return
		}
		shown := make([]Result, len(res))
		for j := range res {
			res[j].RoleARN = t.RoleARN
			shown[j] = finished.add(res[j])
		}
		slots[i].results = res
		done++
		if opts.Progress != nil {
			opts.Progress(done, len(targets)-duplicates, worst(shown))
		}
	})
	results := place(slots, targets)
	resolveOrganizationTrails(results)
	for i := range results {
		results[i].Remediation = withCommands(results[i])
	}
	return report(opts, ctrls, started, results)
}

// report is a run's report: its results, and per control its numbering
// and summary.
func report(opts Options, ctrls []control.Control, started time.Time, results []Result) Report {
	rep := Report{SchemaVersion: SchemaVersion, Tool: opts.Tool, CheckedAt: started, Results: results, Summary: summarize(results, len(ctrls))}
	for _, c := range ctrls {
		rc := ReportControl{ID: c.ID, Number: opts.Standard.Number(c), Control: reportControl(c), Summary: summarize(ofControl(results, c.ID), 1)}
		rep.Controls = append(rep.Controls, rc)
	}
	rep.Benchmark = opts.Standard.Name
	if len(ctrls) == 1 {
		rep.Control = &rep.Controls[0].Control
	}
	return rep
}

// perControl is one copy of r per control, each naming its control.
func perControl(ctrls []control.Control, r Result) []Result {
	out := make([]Result, len(ctrls))
	for i, c := range ctrls {
		out[i] = r
		out[i].ControlID = c.ID
	}
	return out
}

// ofControl are the results judging the control id.
func ofControl(results []Result, id string) []Result {
	var out []Result
	for _, r := range results {
		if r.ControlID == id {
			out = append(out, r)
		}
	}
	return out
}

// worst is the account's result progress shows: its first ERROR, else
// FAIL, else MANUAL, else its first result.
func worst(results []Result) Result {
	for _, st := range []Status{Error, Fail, Manual} {
		for _, r := range results {
			if r.Status == st {
				return r
			}
		}
	}
	if len(results) == 0 {
		return Result{}
	}
	return results[0]
}

// slot is one target's share of a run.
type slot struct {
	results  []Result // one per control
	joined   bool     // no result here: the account was another target's, or Select left it out
	profiles []int    // the targets that reached this account
}

// place orders the results: whichever target claimed an account first, its
// results go where the account's first target is, under that target's
// profile, one per control in the controls' order.
func place(slots []slot, targets []Target) []Result {
	type placed struct {
		at int
		rs []Result
	}
	var order []placed
	for i := range slots {
		if slots[i].joined {
			continue
		}
		sort.Ints(slots[i].profiles)
		var names []string
		for _, j := range slots[i].profiles {
			names = append(names, targets[j].Profile)
		}
		rs := slots[i].results
		for j := range rs {
			rs[j].Profiles = nonEmpty(names)
			rs[j].Profile = ""
			if len(rs[j].Profiles) > 0 {
				rs[j].Profile = rs[j].Profiles[0]
			}
		}
		order = append(order, placed{slots[i].profiles[0], rs})
	}
	sort.Slice(order, func(i, j int) bool { return order[i].at < order[j].at })
	var results []Result
	for _, p := range order {
		results = append(results, p.rs...)
	}
	if results == nil {
		results = []Result{}
	}
	return results
}

// identifyAndRun asks who the target is while it reads the trails, then
// follows every control's chain if claim gives it the account. A target
// whose account is already known (Target.Account) is not asked again.
// The controls' chains run side by side on one auditor, so a read two
// controls need (a trail's status and selectors, a log group's filters, an
// alarm lookup, a topic, a key) is made once and the critical path is one
// control's.
func identifyAndRun(ctx context.Context, t Target, opts Options, ctrls []control.Control, claim func(account string) bool) []Result {
	if t.Connect != nil {
		if err := t.Connect(ctx); err != nil {
			if !claim(t.Account) {
				return nil
			}
			return perControl(ctrls, errorResult(t.Account, t.Profile, t.Region, err))
		}
	}
	a := newAuditor(t.Clients, opts, t.Account)
	var trails []cttypes.Trail
	var trailsErr, idErr error
	account := t.Account
	together(ctx,
		func(ctx context.Context) {
			if account == "" {
				account, idErr = a.callerAccount(ctx, t.Region)
			}
		},
		func(ctx context.Context) { trails, trailsErr = a.describeTrails(ctx, t.Region) },
	)
	if idErr != nil {
		return perControl(ctrls, errorResult("", t.Profile, t.Region, idErr))
	}
	if !claim(account) {
		return nil
	}
	a.account = account
	results := make([]Result, len(ctrls))
	fanOut(ctx, len(ctrls), func(ctx context.Context, i int) {
		if trailsErr != nil {
			results[i] = errorOf(trailsErr)
		} else {
			results[i] = a.forControl(ctrls[i]).judge(ctx, t.Region, trails)
		}
		if len(ctrls) > 1 {
			results[i].Trails = ownFilters(results[i].Trails)
		}
		results[i].Account, results[i].Region, results[i].ControlID = account, t.Region, ctrls[i].ID
	})
	return results
}

// ownFilters keeps, on each trail of a result of a run of several
// controls, the filters that may catch the result's control: on a log
// group carrying the whole family the others are every other control's,
// fourteen entries of noise per result. A trail where none may keeps them
// all: they are what NO_MATCHING_FILTER is about.
func ownFilters(trails []TrailEvidence) []TrailEvidence {
	for i := range trails {
		var own []FilterEvidence
		for _, f := range trails[i].Filters {
			if f.Coverage != "no_match" {
				own = append(own, f)
			}
		}
		if len(own) > 0 {
			trails[i].Filters = own
		}
	}
	return trails
}

// errorResult is a target that never got to its chain: its credentials,
// configuration or endpoint failed, or (account known) its role could not
// be assumed, explained once.
func errorResult(account, profile, region string, err error) Result {
	r := Result{Account: account, Region: region, Status: Error, Trails: []TrailEvidence{}}
	p := awserr.Describe(err, profile)
	r.ErrorCode, r.Message, r.Remediation = string(p.Code), p.Message, p.Remediation
	return r
}

// errorOf is an account whose trails could not be read.
func errorOf(err error) Result {
	p := awserr.Describe(err, "")
	return Result{Status: Error, ErrorCode: string(p.Code), Message: err.Error(), Trails: []TrailEvidence{}, Remediation: p.Remediation}
}

func nonEmpty(profiles []string) []string {
	out := make([]string, 0, len(profiles))
	for _, p := range profiles {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// summarize counts results by status; there is one result per account and
// control, so of n controls.
func summarize(results []Result, n int) Summary {
	s := Summary{Accounts: len(results) / max(n, 1)}
	for _, r := range results {
		switch r.Status {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case Error:
			s.Error++
		case Manual:
			s.Manual++
		}
	}
	return s
}

// auditor walks one account's chain for one control (opts.Control). Reads
// are cached per resource and shared by the auditors of every control of
// the account (forControl), so two trails delivering to one log group, two
// alarms notifying one topic, or fifteen controls reading one trail cost
// one call each, however many paths ask at once.
type auditor struct {
	clients awsapi.Clients
	opts    Options
	account string
	*reads
}

// reads are one account's cached reads.
type reads struct {
	trails   memo[trailReads]
	filters  memo[filterRead]
	alarms   memo[[]cwtypes.MetricAlarm]
	topics   memo[*topicRead]
	keys     memo[*Key]
	verified memo[*verified]
}

func newAuditor(clients awsapi.Clients, opts Options, account string) *auditor {
	if opts.analyses == nil {
		opts.analyses = &analyses{}
	}
	return &auditor{clients: clients, opts: opts.withControl(), account: account, reads: &reads{}}
}

// forControl is an auditor of the same account for ctrl, sharing its reads.
// In a run of several controls, ctrl follows only the candidate metrics
// named after its own metric: another control's working alarm is no
// alarm of ctrl's.
func (a *auditor) forControl(ctrl control.Control) *auditor {
	b := *a
	b.opts.Control = ctrl
	if len(a.opts.Controls) > 1 {
		b.opts.Candidates = slices.DeleteFunc(slices.Clone(a.opts.Candidates), func(m Metric) bool { return m.Name != ctrl.MetricName })
	}
	return &b
}

// withControl fills in the default control.
func (o Options) withControl() Options {
	if o.Control.ID == "" {
		o.Control = control.Default()
	}
	return o
}

// controls are the controls a run decides: Controls, else Control alone,
// else the default control.
func (o Options) controls() []control.Control {
	if len(o.Controls) > 0 {
		return o.Controls
	}
	return []control.Control{o.withControl().Control}
}

// call bounds one AWS request by the per-call timeout.
func (a *auditor) call(ctx context.Context) (context.Context, context.CancelFunc) {
	if a.opts.CallTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, a.opts.CallTimeout)
}

func (a *auditor) callerAccount(ctx context.Context, region string) (string, error) {
	cctx, cancel := a.call(ctx)
	defer cancel()
	out, err := a.clients.STS(region).GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", awserr.Classify("sts:GetCallerIdentity", err)
	}
	return aws.ToString(out.Account), nil
}

// judge follows every trail's chain, all at once, and keeps the best path.
func (a *auditor) judge(ctx context.Context, region string, trails []cttypes.Trail) Result {
	if len(trails) == 0 {
		return Result{
			Status: Fail, Reason: NoMultiRegionTrail, Trails: []TrailEvidence{},
			Message:     fmt.Sprintf("no trail is visible from %s", region),
			Remediation: remediation[NoMultiRegionTrail],
		}
	}
	evidence := make([]TrailEvidence, len(trails))
	outcomes := make([]outcome, len(trails))
	fanOut(ctx, len(trails), func(ctx context.Context, i int) {
		evidence[i], outcomes[i] = a.trail(ctx, trails[i])
	})
	best := outcome{kind: failed, stage: -1}
	for i, o := range outcomes {
		ev := &evidence[i]
		ev.Complete = o.kind == complete
		if o.kind == failed {
			ev.Failed = Reasons[o.stage]
		}
		if o.kind != complete && o.kind != failed {
			ev.Note = o.why
		}
		best = better(best, o)
	}
	r := resultOf(best, evidence)
	if r.Remediation == remediationManual && a.opts.Control.ID != control.Default().ID {
		r.Remediation = fmt.Sprintf("confirm by hand that the filter catches every event of %s (see message), or add a filter with its recommended pattern (trailwatch fix)", a.opts.Control.ID)
	}
	return r
}

func resultOf(o outcome, evidence []TrailEvidence) Result {
	r := Result{Trails: evidence, Message: o.why}
	switch o.kind {
	case complete:
		r.Status, r.Remediation = Pass, "none needed"
	case errored:
		p := awserr.Describe(o.err, "")
		r.Status, r.ErrorCode, r.Remediation = Error, string(p.Code), p.Remediation
	case manual:
		r.Status, r.OtherAccount = Manual, o.account
		r.Remediation = remediationManual
		if o.hint != "" {
			r.Remediation = o.hint
		}
		if o.account != "" {
			r.Remediation = fmt.Sprintf("verify the chain in account %s (or run trailwatch check with a profile for it)", o.account)
		}
	default:
		r.Status, r.Reason = Fail, Reasons[o.stage]
		r.Remediation = remediation[r.Reason]
	}
	return r
}

// describeTrails is the one discovery call: shadow trails included, so every
// multi-region trail shows up from any region; de-duplicated by ARN.
func (a *auditor) describeTrails(ctx context.Context, region string) ([]cttypes.Trail, error) {
	cctx, cancel := a.call(ctx)
	defer cancel()
	out, err := a.clients.CloudTrail(region).DescribeTrails(cctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return nil, awserr.Classify("cloudtrail:DescribeTrails", err)
	}
	seen := map[string]bool{}
	var trails []cttypes.Trail
	for _, t := range out.TrailList {
		arn := aws.ToString(t.TrailARN)
		if seen[arn] {
			continue
		}
		seen[arn] = true
		trails = append(trails, t)
	}
	sort.SliceStable(trails, func(i, j int) bool { return aws.ToString(trails[i].TrailARN) < aws.ToString(trails[j].TrailARN) })
	return trails, nil
}

// outcome is how far one path along the chain got. Paths fan out (trails,
// filters, metrics, alarms, topics) and better keeps the most useful one.
type outcome struct {
	kind    kind
	stage   int    // index into Reasons when kind is failed
	account string // the other account when kind is manual
	why     string
	hint    string // remediation of a manual outcome, when not the filter's
	err     error  // what went wrong when kind is errored
}

type kind int

// In order of preference: a complete chain decides PASS whatever else was
// seen; an unreadable link outweighs a definite FAIL (never FAIL on missing
// data); a chain in another account or an indeterminate filter outweighs
// FAIL too, since it may be the complete chain.
const (
	failed kind = iota
	manual
	errored
	complete
)

func better(a, b outcome) outcome {
	if outranks(b, a) {
		return b
	}
	return a
}

// outranks: a is strictly the more useful outcome (on a tie, the first seen
// is kept).
func outranks(a, b outcome) bool {
	if a.kind != b.kind {
		return a.kind > b.kind
	}
	return a.kind == failed && a.stage > b.stage
}

func failAt(r Reason, format string, args ...any) outcome {
	for i, x := range Reasons {
		if x == r {
			return outcome{kind: failed, stage: i, why: fmt.Sprintf(format, args...)}
		}
	}
	panic("check: unknown reason " + string(r))
}

func erred(err error) outcome { return outcome{kind: errored, why: err.Error(), err: err} }

// arnField returns the i-th colon-separated field of an ARN (3 is the
// region, 4 the account).
func arnField(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) <= i {
		return ""
	}
	return parts[i]
}
