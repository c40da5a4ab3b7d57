package plan

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
)

// FamilyTopicStem names the one topic a plan of several controls creates
// (after the name prefix): every alarm of the account notifies it.
const FamilyTopicStem = "monitoring-alarms"

// perControl are the ids of the changes that belong to one control: with
// several controls each is written CONTROL:ID, e.g. root-usage:alarm.
var perControl = []string{"filter", "alarm"}

// family is what planning several controls into one account plan shares:
// the topic every alarm notifies, the log wiring of the trail, and the
// bookkeeping that says which change serves which control.
type family struct {
	ctl string // the control being planned
	// topic is the family's topic: a working one found by check, or the
	// one this plan creates (topicID, with topicChanges its creation and
	// subscriptions).
	topic        string
	topicID      string
	topicChanges []string
	// wired maps a trail's ARN to the log group this plan wires it to.
	wired map[string]string
	// renames maps the ids the builder gives to the ids in the plan, for
	// the control being planned; touched are the ids it needs.
	renames map[string]string
	touched []string
}

// name gives c its id in a plan of several controls: a per-control change
// is prefixed with its control; a change equal to one already planned (the
// same request under the same id) is that change, needed once more (dup).
func (fm *family) name(planned []Change, c Change) (Change, bool, error) {
	for i, d := range c.DependsOn {
		if n, ok := fm.renames[d]; ok {
			c.DependsOn[i] = n
		}
	}
	base := c.ID
	if slices.Contains(perControl, base) {
		c.ID = fm.ctl + ":" + base
	}
	if i := slices.IndexFunc(planned, func(p Change) bool { return p.ID == c.ID }); i >= 0 {
		p := planned[i]
		if p.Operation == c.Operation && p.Action == c.Action && bytes.Equal(p.Request, c.Request) {
			fm.touch(c.ID)
			return c, true, nil
		}
		c.ID = fm.ctl + ":" + base
		if slices.ContainsFunc(planned, func(p Change) bool { return p.ID == c.ID }) {
			return c, false, fmt.Errorf("control %s: change %s planned twice", fm.ctl, base)
		}
	}
	if c.ID != base {
		fm.renames[base] = c.ID
	}
	fm.touch(c.ID)
	return c, false, nil
}

func (fm *family) touch(ids ...string) { fm.touched = append(fm.touched, ids...) }

// created records the topic this plan creates for the family: its change
// and the subscriptions after it.
func (fm *family) created(arn, id string, planned []Change) {
	fm.topic, fm.topicID, fm.topicChanges = arn, id, nil
	i := slices.IndexFunc(planned, func(c Change) bool { return c.ID == id })
	for _, c := range planned[i:] {
		if c.ID == id || c.Operation == "sns:Subscribe" {
			fm.topicChanges = append(fm.topicChanges, c.ID)
		}
	}
}

// wire plans a trail's log wiring once, however many controls need it.
func (b *builder) wire(t *Trail) (string, error) {
	if b.fam == nil {
		return b.wireLogs(t)
	}
	if g, ok := b.fam.wired[t.ARN]; ok {
		for _, c := range b.ap.Changes {
			if op, _ := OperationOf(c.Operation); op.Link == "trail → log group" {
				b.fam.touch(c.ID)
			}
		}
		return g, nil
	}
	g, err := b.wireLogs(t)
	if err == nil && b.ap.Blocked == "" {
		b.fam.wired[t.ARN] = g
	}
	return g, err
}

// BuildAccount plans one account for every control check judged there:
// findings holds one verdict per control (all of the same account). With
// one finding it is Build. With several, each control gets only its
// missing links, every alarm of the account notifies one topic (a topic the
// account's working alarms already notify, else one new topic), a trail is
// wired to CloudWatch Logs once, and each change names the controls it
// serves. A control that cannot be planned is blocked alone, with its
// reason in Controls; the others still get their changes.
func BuildAccount(ctx context.Context, r Readers, findings []Finding, o Options) (AccountPlan, error) {
	if len(findings) == 1 {
		f := findings[0]
		if f.Control.ID != "" {
			o = ForControl(o, f.Control)
		}
		if t := f.Trail; t != nil && t.ReadyMetric == nil && o.TopicARN == "" && len(o.Notify) == 0 && len(f.WorkingTopics) > 0 &&
			arnRegion(f.WorkingTopics[0]) == t.LogGroupRegion {
			// The account already tells someone through this topic (another
			// control's working alarm notifies it): one topic per account,
			// as for several controls, with no --notify needed.
			o.TopicARN = f.WorkingTopics[0]
		}
		return Build(ctx, r, f, o)
	}
	o, err := o.WithDefaults()
	if err != nil {
		return AccountPlan{}, err
	}
	if len(findings) == 0 {
		return AccountPlan{}, fmt.Errorf("%w: no control to plan", ErrInvalidInput)
	}
	first := findings[0]
	b := &builder{ctx: ctx, r: r, seen: map[string]any{}, fam: &family{wired: map[string]string{}},
		ap: AccountPlan{Account: first.Account, Profiles: first.Profiles, Changes: []Change{}, Fingerprints: []Fingerprint{}}}
	worst := -1
	for _, f := range findings {
		if f.Control.ID == "" {
			f.Control = control.Default()
		}
		if rank := slices.Index(statusOrder, f.Status); rank > worst {
			worst, b.ap.Status, b.ap.Reason, b.ap.ErrorCode = rank, f.Status, f.Reason, f.ErrorCode
		}
		if b.fam.topic == "" && len(f.WorkingTopics) > 0 {
			b.fam.topic = f.WorkingTopics[0]
		}
	}
	for _, f := range findings {
		if f.Control.ID == "" {
			f.Control = control.Default()
		}
		cp, err := b.planControl(f, o)
		if err != nil {
			return AccountPlan{}, fmt.Errorf("plan account %s, control %s: %w", f.Account, f.Control.ID, err)
		}
		b.ap.Controls = append(b.ap.Controls, cp)
	}
	b.ap.Blocked, b.ap.NeedsNotify = familyBlocked(b.ap)
	return b.ap, nil
}

// statusOrder ranks verdicts for the account's own: the worst control's.
var statusOrder = []check.Status{check.Pass, check.Fail, check.Manual, check.Error}

// controlOptions are o for one control of several: its names, pattern,
// alarm description and metric; --namespace applies to every control when
// it was changed from the default.
func controlOptions(o Options, c control.Control) Options {
	ns := c.Namespace
	if o.Namespace != control.Default().Namespace {
		ns = o.Namespace
	}
	o.Control, o.Namespace, o.MetricName = c, ns, c.MetricName
	return o
}

// ForControl is o for planning control c alone: its names, pattern and
// alarm description, and its namespace and metric unless --namespace or
// --metric-name named others.
func ForControl(o Options, c control.Control) Options {
	if o.Namespace == "" {
		o.Namespace = c.Namespace
	}
	if o.MetricName == "" {
		o.MetricName = c.MetricName
	}
	o.Control = c
	return o
}

// planControl plans one control into the account's plan. A control that
// ends blocked leaves no change behind and the family's shared state as it
// found it.
func (b *builder) planControl(f Finding, o Options) (ControlPlan, error) {
	cp := ControlPlan{Control: f.Control.ID, Status: f.Status, Reason: f.Reason}
	o = controlOptions(o, f.Control)
	if f.Trail != nil && b.ap.Trail == "" {
		b.ap.Trail = f.Trail.ARN
	}
	if t := f.Trail; t != nil && f.Reason == check.NoConfirmedSubscriber && o.TopicARN == "" && len(o.Notify) == 0 &&
		b.fam.topicID == "" && b.fam.topic != "" && arnRegion(b.fam.topic) == t.LogGroupRegion {
		// Nobody confirmed this alarm's topic, and the family's working
		// topic has a subscriber: the alarm notifies that one too.
		o.TopicARN = b.fam.topic
	}
	if why, notify := blocked(f, o); why != "" {
		cp.Blocked, cp.NeedsNotify = why, notify
		return cp, nil
	}
	if f.Status != check.Fail {
		return cp, nil
	}
	saved := *b.fam
	saved.wired = maps.Clone(b.fam.wired)
	n, region := len(b.ap.Changes), b.ap.Region
	b.o = o
	b.fam.ctl, b.fam.renames, b.fam.touched = f.Control.ID, map[string]string{}, nil
	if err := b.plan(f); err != nil {
		return cp, err
	}
	if b.ap.Blocked == "" && region != "" && b.region != region {
		b.ap.Blocked = "its chain is in " + b.region + ", the account's other controls' in " + region + "; plan it on its own"
	}
	if b.ap.Blocked != "" {
		cp.Blocked, cp.NeedsNotify = b.ap.Blocked, b.ap.NeedsNotify
		b.ap.Blocked, b.ap.NeedsNotify = "", false
		b.ap.Changes, b.ap.Region = b.ap.Changes[:n], region
		*b.fam = saved
		return cp, nil
	}
	for i := range b.ap.Changes {
		c := &b.ap.Changes[i]
		if slices.Contains(b.fam.touched, c.ID) && !slices.Contains(c.Controls, f.Control.ID) {
			c.Controls = append(c.Controls, f.Control.ID)
		}
	}
	return cp, nil
}

// familyBlocked is the account's Blocked when no control got a change: the
// controls' reasons (one, when they all say the same), and NeedsNotify
// when an endpoint is what every blocked control lacks.
func familyBlocked(a AccountPlan) (string, bool) {
	if len(a.Changes) > 0 {
		return "", false
	}
	var whys []string
	notify, blocked := true, 0
	for _, cp := range a.Controls {
		if cp.Blocked == "" {
			continue
		}
		blocked++
		notify = notify && cp.NeedsNotify
		if !slices.Contains(whys, cp.Blocked) {
			whys = append(whys, cp.Blocked)
		}
	}
	if blocked == 0 {
		return "", false
	}
	if len(whys) == 1 {
		return whys[0], notify
	}
	parts := make([]string, 0, blocked)
	for _, cp := range a.Controls {
		if cp.Blocked != "" {
			parts = append(parts, cp.Control+": "+cp.Blocked)
		}
	}
	return strings.Join(parts, "; "), notify
}
