package fix

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/internal/awserr"
	"github.com/trailwatch/trailwatch/internal/parallel"
	"github.com/trailwatch/trailwatch/plan"
)

// StepStatus is what became of one planned change.
type StepStatus string

const (
	Applied StepStatus = "applied"
	Failed  StepStatus = "failed"
	// Skipped: an earlier change failed or found its target changed.
	Skipped StepStatus = "skipped"
	// NotStarted: the run was interrupted before this change was sent.
	NotStarted StepStatus = "not started"
	// RolledBack marks a created resource deleted again by --rollback.
	RolledBack StepStatus = "rolled back"
	// Kept marks a created resource --rollback could not or must not delete.
	Kept StepStatus = "kept"
)

// Step reports one change (or, in Result.Rollback, one undo).
type Step struct {
	Change plan.Change `json:"change"`
	Status StepStatus  `json:"status"`
	// Detail says more: an error, "pending confirmation", an ARN.
	Detail string `json:"detail,omitempty"`
}

// Outcome sums up an account's apply.
type Outcome string

const (
	// Done: every change applied.
	Done Outcome = "applied"
	// Broken: a change failed; later ones were skipped.
	Broken Outcome = "failed"
	// Stale: something the plan read changed since; nothing more was written.
	Stale Outcome = "stale"
	// Interrupted: the run was interrupted after some changes were applied;
	// the change in flight then was completed first.
	Interrupted Outcome = "interrupted"
	// NoneStarted: the run was interrupted before any change was sent here.
	NoneStarted Outcome = "not started"
)

// Pending is a subscription that waits for its owner to confirm it.
type Pending struct {
	Topic    string `json:"topic"`
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
	// Subscription is its ARN when SNS returned one.
	Subscription string `json:"subscription,omitempty"`
}

// Result is what happened in one account.
type Result struct {
	Account string  `json:"account"`
	Profile string  `json:"profile,omitempty"`
	Region  string  `json:"region"`
	Outcome Outcome `json:"outcome"`
	Steps   []Step  `json:"steps"`
	// Stale lists what changed since planning, for a Stale outcome.
	Stale []plan.Stale `json:"stale,omitempty"`
	// Error explains a Broken or Stale outcome.
	Error    string    `json:"error,omitempty"`
	Rollback []Step    `json:"rollback,omitempty"`
	Pending  []Pending `json:"pending,omitempty"`
}

// Applied counts the changes that were applied and not undone: rolled back
// themselves, or created in something a rollback deleted (a new log group's
// retention, a new topic's subscription), which goes with it.
func (r Result) Applied() int {
	undone := map[string]bool{}
	for _, s := range r.Rollback {
		if s.Status == RolledBack {
			undone[s.Change.ID] = true
		}
	}
	n := 0
	for _, s := range r.Steps {
		c := s.Change
		if s.Status != Applied || undone[c.ID] ||
			(c.Action == plan.Create && slices.ContainsFunc(c.DependsOn, func(id string) bool { return undone[id] })) {
			continue
		}
		n++
	}
	return n
}

// Apply applies each job's plan, accounts in parallel and each account's
// changes in plan order. One account's failure never stops the others.
func Apply(ctx context.Context, jobs []Job, o Options) []Result {
	results := make([]Result, len(jobs))
	var mu sync.Mutex
	done := 0
	parallel.ForEach(ctx, len(jobs), o.Parallel, func(ctx context.Context, i int) {
		results[i] = applyAccount(ctx, jobs[i], o)
		if o.Progress != nil {
			mu.Lock()
			defer mu.Unlock()
			done++
			o.Progress(done, len(jobs), results[i])
		}
	})
	return results
}

// undo removes one thing this run created, for --rollback.
type undo struct {
	change plan.Change
	// op is the service:Operation the undo calls, for the journal.
	op      string
	request any
	run     func(ctx context.Context) error
}

type applier struct {
	job    Job
	o      Options
	res    Result
	undos  []undo
	wrote  map[plan.Resource]bool
	roleOK bool     // a role was created, or its policy written, by this run: trail updates may wait for it
	unsure []string // changes whose write failed without an answer from AWS
}

func applyAccount(ctx context.Context, job Job, o Options) Result {
	a := &applier{job: job, o: o, wrote: map[plan.Resource]bool{},
		res: Result{Account: job.Plan.Account, Profile: job.Profile, Region: job.Plan.Region, Outcome: Done, Steps: []Step{}}}
	a.run(ctx)
	return a.res
}

func (a *applier) run(ctx context.Context) {
	a.apply(ctx)
	if a.res.Outcome != Done && a.o.Rollback {
		a.rollback(ctx)
	}
}

// apply writes the account's changes in order. An interrupt (ctx
// cancelled) stops it before the next change is sent; a change already sent
// is completed with a context the interrupt does not cancel, so the journal
// records what AWS answered, not "context canceled".
func (a *applier) apply(ctx context.Context) {
	if ctx.Err() != nil {
		a.interrupt(0)
		return
	}
	// A saved plan may be hours old: every resource it read, and the trail
	// it wires (no fingerprint covers it), must look the same before the
	// first write, so a stale plan is refused whole. A fresh plan passes
	// this in a few reads.
	if stale, err := a.verifyAll(ctx); err != nil || len(stale) > 0 {
		if ctx.Err() != nil {
			a.interrupt(0)
			return
		}
		a.stop(0, stale, err)
		return
	}
	for i, c := range a.job.Plan.Changes {
		if ctx.Err() != nil {
			a.interrupt(i)
			return
		}
		in, r, err := c.Decode()
		if err != nil {
			a.stop(i, nil, err)
			return
		}
		// The first write follows the full re-read above; each later one
		// re-reads its own target, which may have moved in the meantime.
		if i > 0 {
			if stale, err := a.guard(ctx, c, r); err != nil || len(stale) > 0 {
				if ctx.Err() != nil {
					a.interrupt(i)
					return
				}
				a.stop(i, stale, err)
				return
			}
		}
		detail, err := a.write(ctx, c, in, r)
		if errors.Is(err, errNotSent) {
			a.interrupt(i)
			return
		}
		jerr := a.journal(c.Operation, c, c.Request, detail, err)
		if err != nil {
			if !answered(err) {
				// No answer from AWS: the write may have been applied.
				a.unsure = append(a.unsure, c.ID)
			}
			why := awserr.Classify(c.Operation, err).Error()
			a.res.Steps = append(a.res.Steps, Step{Change: c, Status: Failed, Detail: why})
			a.res.Outcome, a.res.Error = Broken, c.ID+": "+why
			a.skipFrom(i + 1)
			return
		}
		a.res.Steps = append(a.res.Steps, Step{Change: c, Status: Applied, Detail: detail})
		if jerr != nil {
			// No change may go unrecorded: stop here rather than write on.
			a.res.Outcome, a.res.Error = Broken, "journal: "+jerr.Error()
			a.skipFrom(i + 1)
			return
		}
	}
}

// verifyAll re-reads every fingerprint and every trail the plan updates.
func (a *applier) verifyAll(ctx context.Context) ([]plan.Stale, error) {
	stale, err := plan.Verify(ctx, a.job.Readers, a.job.Plan)
	if err != nil || len(stale) > 0 {
		return stale, err
	}
	for _, c := range a.job.Plan.Changes {
		if op, _ := plan.OperationOf(c.Operation); op.ReadsTrail {
			if stale, err := a.guardTrail(ctx, c); err != nil || len(stale) > 0 {
				return stale, err
			}
		}
	}
	return nil, nil
}

// stop ends an account before change i because the plan no longer holds
// or could not be re-read.
func (a *applier) stop(i int, stale []plan.Stale, err error) {
	if err != nil {
		a.res.Outcome, a.res.Error = Broken, "re-read before writing failed: "+err.Error()
	} else {
		a.res.Outcome, a.res.Stale = Stale, stale
		what := make([]string, len(stale))
		for j, s := range stale {
			what[j] = s.String()
		}
		a.res.Error = "plan is stale, changed since planning: " + strings.Join(what, "; ")
	}
	a.skipFrom(i)
}

// interrupt ends the account before change i, which was not sent.
func (a *applier) interrupt(i int) {
	n := len(a.job.Plan.Changes)
	if i == 0 {
		a.res.Outcome, a.res.Error = NoneStarted, fmt.Sprintf("interrupted before the first of %d changes: nothing was changed", n)
	} else {
		a.res.Outcome, a.res.Error = Interrupted, fmt.Sprintf("interrupted after %d of %d changes: %s and later were not started", i, n, a.job.Plan.Changes[i].ID)
	}
	for _, c := range a.job.Plan.Changes[i:] {
		a.res.Steps = append(a.res.Steps, Step{Change: c, Status: NotStarted})
	}
}

// errNotSent is a change abandoned, because of an interrupt, before its
// write was sent.
var errNotSent = errors.New("interrupted before the write was sent")

func (a *applier) skipFrom(i int) {
	for _, c := range a.job.Plan.Changes[i:] {
		a.res.Steps = append(a.res.Steps, Step{Change: c, Status: Skipped})
	}
}

// guard re-reads r, what change c writes, unless this run already wrote
// it: the plan's fingerprint must still hold.
func (a *applier) guard(ctx context.Context, c plan.Change, r plan.Resource) ([]plan.Stale, error) {
	if op, _ := plan.OperationOf(c.Operation); op.ReadsTrail {
		return a.guardTrail(ctx, c)
	}
	if a.wrote[r] {
		return nil, nil
	}
	ctx, cancel := a.call(ctx)
	defer cancel()
	return plan.VerifyFingerprints(ctx, a.job.Readers, a.job.Plan.Guards(r))
}

// guardTrail re-reads the trail: trailwatch never re-points a trail that
// already delivers to a log group, even one wired since planning.
func (a *applier) guardTrail(ctx context.Context, c plan.Change) ([]plan.Stale, error) {
	ctx, cancel := a.call(ctx)
	defer cancel()
	out, err := a.job.Writers.Trails(c.Region).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{c.Target}})
	if err != nil {
		return nil, fmt.Errorf("re-read trail %s: %w", c.Target, awserr.Classify("cloudtrail:DescribeTrails", err))
	}
	for _, t := range out.TrailList {
		if aws.ToString(t.TrailARN) != c.Target {
			continue
		}
		if g := aws.ToString(t.CloudWatchLogsLogGroupArn); g != "" {
			return []plan.Stale{{Fingerprint: plan.Fingerprint{Kind: "cloudtrail:Trail", Region: c.Region, Key: c.Target, Hash: "no log group"}, Now: "delivers to " + g}}, nil
		}
		return nil, nil
	}
	return []plan.Stale{{Fingerprint: plan.Fingerprint{Kind: "cloudtrail:Trail", Region: c.Region, Key: c.Target, Hash: "present"}, Now: plan.Absent}}, nil
}

func (a *applier) call(ctx context.Context) (context.Context, context.CancelFunc) {
	if a.o.CallTimeout > 0 {
		return context.WithTimeout(ctx, a.o.CallTimeout)
	}
	return context.WithCancel(ctx)
}

// write sends one change (in, decoded, writing r) and remembers how to
// undo what it created. Once sent, the write runs to its answer whatever
// happens to ctx: only the pause before retrying a trail update, and the
// read before a subscription, heed an interrupt (errNotSent).
func (a *applier) write(interrupt context.Context, c plan.Change, in any, r plan.Resource) (string, error) {
	send, ok := writers[c.Operation]
	if !ok {
		return "", fmt.Errorf("change %s: fix cannot apply %s", c.ID, c.Operation)
	}
	ctx, cancel := a.call(context.WithoutCancel(interrupt))
	defer cancel()
	detail, err := send(a, sending{ctx: ctx, interrupt: interrupt, c: c}, in)
	if err != nil {
		return detail, err
	}
	if r.Key != "" {
		a.wrote[r] = true
	}
	return detail, nil
}

// subscribed reports whether the endpoint is already subscribed to the topic,
// confirmed or pending: Subscribe then returns that subscription, which
// --rollback must leave alone. A topic this run created has none before it.
func (a *applier) subscribed(ctx context.Context, region string, in *sns.SubscribeInput) (bool, error) {
	arn := aws.ToString(in.TopicArn)
	if a.createdTopic(arn) {
		return false, nil
	}
	if a.job.Readers.Topics == nil {
		// Cannot tell: never treat what may be the user's as this run's.
		return true, nil
	}
	p := sns.NewListSubscriptionsByTopicPaginator(a.job.Readers.Topics(region), &sns.ListSubscriptionsByTopicInput{TopicArn: in.TopicArn})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("re-read subscriptions of %s: %w", arn, awserr.Classify("sns:ListSubscriptionsByTopic", err))
		}
		for _, s := range page.Subscriptions {
			if aws.ToString(s.Protocol) == aws.ToString(in.Protocol) && aws.ToString(s.Endpoint) == aws.ToString(in.Endpoint) {
				return true, nil
			}
		}
	}
	return false, nil
}

// updateTrail wires the trail, waiting while a role this run created (or
// whose policy it wrote) is not yet usable: CloudTrail answers "Access
// denied" until IAM has propagated it. Each attempt is a call of its own,
// with its own timeout, sent as write sends any change; the waits heed
// the interrupt.
func (a *applier) updateTrail(interrupt context.Context, c plan.Change, in *cloudtrail.UpdateTrailInput) error {
	trails := a.job.Writers.Trails(c.Region)
	waits := a.o.RoleWaits
	if waits == nil {
		waits = DefaultRoleWaits
	}
	for attempt := 0; ; attempt++ {
		ctx, cancel := a.call(context.WithoutCancel(interrupt))
		_, err := trails.UpdateTrail(ctx, in)
		cancel()
		if err == nil {
			// Undoing the wiring restores the trail to no log delivery,
			// which is what the plan saw before it.
			clear := &cloudtrail.UpdateTrailInput{Name: in.Name, CloudWatchLogsLogGroupArn: aws.String(""), CloudWatchLogsRoleArn: aws.String("")}
			a.remember(c, "cloudtrail:UpdateTrail", clear, func(ctx context.Context) error {
				_, err := trails.UpdateTrail(ctx, clear)
				return err
			})
			return nil
		}
		if !a.roleOK || !roleNotReady(err) || attempt >= len(waits) {
			return err
		}
		if a.o.sleep(interrupt, waits[attempt]) != nil {
			// No attempt was accepted: stopping here changes nothing.
			return errNotSent
		}
	}
}

func needsConfirmation(protocol string) bool {
	switch protocol {
	case "email", "email-json", "http", "https":
		return true
	}
	return false
}

func roleNotReady(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	code := ae.ErrorCode()
	return (code == "InvalidCloudWatchLogsRoleArnException" || code == "InvalidCloudWatchLogsLogGroupArnException") &&
		strings.Contains(ae.ErrorMessage(), "Access denied")
}

func (a *applier) remember(c plan.Change, op string, request any, run func(ctx context.Context) error) {
	a.undos = append(a.undos, undo{change: c, op: op, request: request, run: run})
}

// rollback undoes what this run created, newest first, and nothing else:
// an updated alarm of the user's is never deleted. It runs even when the
// run was interrupted, so a Ctrl-C does not leave half a rollback.
func (a *applier) rollback(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	stays := a.staying()
	for _, u := range slices.Backward(a.undos) {
		if by := a.neededBy(u.change.ID, stays); by != "" {
			// Deleting it would leave what stays pointing at nothing.
			stays[u.change.ID] = true
			a.res.Rollback = append(a.res.Rollback, Step{Change: u.change, Status: Kept,
				Detail: fmt.Sprintf("%s stays and needs it", by)})
			continue
		}
		cctx, cancel := a.call(ctx)
		err := u.run(cctx)
		cancel()
		jerr := a.journal(u.op, u.change, u.request, "rollback of "+u.change.ID, err)
		step := Step{Change: u.change, Status: RolledBack, Detail: u.op}
		switch {
		case err != nil:
			stays[u.change.ID] = true
			step.Status, step.Detail = Kept, awserr.Classify(u.op, err).Error()
		case jerr != nil:
			step.Detail += " (not journaled: " + jerr.Error() + ")"
		}
		a.res.Rollback = append(a.res.Rollback, step)
	}
	for _, p := range a.res.Pending {
		if p.Subscription == "" && !a.createdTopic(p.Topic) {
			a.res.Rollback = append(a.res.Rollback, Step{Change: plan.Change{ID: "pending", Operation: "sns:Subscribe", Target: p.Topic + " ← " + p.Protocol + ":" + p.Endpoint},
				Status: Kept, Detail: "an unconfirmed subscription cannot be removed; it lapses if nobody confirms it"})
		}
	}
	a.res.Pending = nil
}

// staying is the changes a rollback leaves in place: applied updates of
// what existed before (an alarm given the new topic), and writes that
// failed without an answer, which AWS may have applied.
func (a *applier) staying() map[string]bool {
	undoable := map[string]bool{}
	for _, u := range a.undos {
		undoable[u.change.ID] = true
	}
	stays := map[string]bool{}
	for _, s := range a.res.Steps {
		if s.Status == Applied && !undoable[s.Change.ID] && s.Change.Action != plan.Create {
			stays[s.Change.ID] = true
		}
	}
	for _, id := range a.unsure {
		stays[id] = true
	}
	return stays
}

// neededBy names a staying change that depends on id, "" when none does.
func (a *applier) neededBy(id string, stays map[string]bool) string {
	for _, c := range a.job.Plan.Changes {
		if stays[c.ID] && slices.Contains(c.DependsOn, id) {
			return c.ID
		}
	}
	return ""
}

// answered reports whether AWS answered a failed write (with an error
// code); without an answer the write may have been applied.
func answered(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae)
}

func (a *applier) createdTopic(arn string) bool {
	for _, u := range a.undos {
		if u.op == "sns:DeleteTopic" && u.change.Target == arn {
			return true
		}
	}
	return false
}

func (a *applier) journal(op string, c plan.Change, request any, detail string, err error) error {
	if a.o.Journal == nil {
		return nil
	}
	e := Entry{Time: a.o.now().UTC(), Account: a.job.Plan.Account, Profile: a.job.Profile, Region: c.Region,
		Change: c.ID, Operation: op, Target: c.Target, Request: request, Result: "ok", Detail: detail}
	if err != nil {
		e.Result, e.Error = "error", awserr.Classify(op, err).Error()
	}
	return a.o.Journal.Record(e)
}
