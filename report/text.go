package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/internal/termsafe"
)

// WriteJSON writes the report in the stable schema of docs/check-json.md.
func WriteJSON(w io.Writer, r check.Report) error {
	if r.Results == nil {
		r.Results = []check.Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// WriteText writes one block per account, each link of each trail marked
// held or missing with the names that prove it, then a summary line.
func WriteText(w io.Writer, r check.Report, p style.Palette) error {
	tw := &textWriter{w: w, p: p}
	labelled := r.Multi() || r.Benchmark != ""
	for _, res := range r.Results {
		if labelled {
			tw.label = esc(controlLabel(r, res.ControlID)) + "  "
		}
		tw.result(res)
	}
	for _, sk := range r.Skipped {
		tw.printf("%s (%s)  %s\n  not audited: the organization lists it as %s\n\n", p.Bold(esc(sk.Account)),
			esc(sk.Name), p.Faint("SKIPPED"), esc(sk.State))
	}
	s := r.Summary
	skipped := ""
	if s.Skipped > 0 {
		skipped = fmt.Sprintf(" (%d skipped)", s.Skipped)
	}
	if r.Multi() {
		for _, c := range r.Controls {
			cs := c.Summary
			tw.printf("%s: %s, %s, %s, %s\n", esc(controlLabel(r, c.ID)),
				p.Good(fmt.Sprintf("%d pass", cs.Pass)), p.Bad(fmt.Sprintf("%d fail", cs.Fail)),
				p.Bad(fmt.Sprintf("%d error", cs.Error)), p.Warn(fmt.Sprintf("%d manual", cs.Manual)))
		}
	}
	of := plural(s.Accounts, "account")
	if r.Multi() {
		of += " × " + plural(len(r.Controls), "control")
	}
	tw.printf("%s: %s, %s, %s, %s%s\n", of,
		p.Good(fmt.Sprintf("%d pass", s.Pass)), p.Bad(fmt.Sprintf("%d fail", s.Fail)),
		p.Bad(fmt.Sprintf("%d error", s.Error)), p.Warn(fmt.Sprintf("%d manual", s.Manual)), skipped)
	if tw.err != nil {
		return fmt.Errorf("write report: %w", tw.err)
	}
	return nil
}

// textWriter keeps the first write error so rendering reads straight.
type textWriter struct {
	w       io.Writer
	p       style.Palette
	account string // of the result being written: other accounts' topics are not read
	label   string // the result's control, when the report has several
	control string // the result's control ID
	err     error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (t *textWriter) status(r check.Result) string {
	s := r.Verdict().String()
	switch r.Status {
	case check.Pass:
		return t.p.Good(s)
	case check.Manual:
		return t.p.Warn(s)
	}
	return t.p.Bad(s)
}

func (t *textWriter) result(r check.Result) {
	t.account, t.control = r.Account, r.ControlID
	account := esc(r.Account)
	profiles := ""
	if len(r.Profiles) > 0 {
		profiles = " (" + esc(strings.Join(r.Profiles, ", ")) + ")"
	}
	if account == "" {
		// STS never answered: said as plan and fix say it.
		account = "account unknown"
		if len(r.Profiles) > 0 {
			profiles = " (profile " + esc(strings.Join(r.Profiles, ", ")) + ")"
		}
	}
	t.printf("%s%s  %s%s\n", t.p.Bold(account), profiles, t.label, t.status(r))
	t.printf("  %s\n", esc(r.Message))
	if r.RoleARN != "" {
		t.printf("  %s\n", t.p.Faint("reached by assuming "+esc(r.RoleARN)))
	}
	for _, tr := range r.Trails {
		t.trail(tr, r.Message)
	}
	t.printf("  %s %s\n\n", t.p.Faint("remediation:"), esc(r.Remediation))
}

// esc makes a string from AWS (a name, an ARN, a pattern, AWS's own
// message) inert on a terminal; the JSON report keeps it exact.
func esc(s string) string { return termsafe.Escape(s) }

// link marks one link: held (true), missing (false) or manual/unknown (nil).
// text is already escaped: it may carry the palette's own sequences.
func (t *textWriter) link(indent int, held *bool, text string) {
	mark := t.p.Warn("[??]")
	switch {
	case held == nil:
	case *held:
		mark = t.p.Good("[ok]")
	default:
		mark = t.p.Bad("[--]")
	}
	t.printf("%s%s %s\n", strings.Repeat("  ", indent), mark, text)
}

func held(b bool) *bool { return &b }

// trail writes one trail's links; its note is left out when it is already
// the result's message.
func (t *textWriter) trail(tr check.TrailEvidence, message string) {
	org := ""
	if tr.OrganizationTrail {
		org = ", organization trail"
	}
	t.printf("  trail %s (home %s, account %s%s)\n", esc(tr.ARN), esc(tr.HomeRegion), esc(tr.Account), org)
	if tr.Note != "" && tr.Note != message {
		t.link(2, nil, esc(tr.Note))
	}
	t.link(2, held(tr.MultiRegion), "multi-region")
	if tr.Logging != nil {
		t.link(2, tr.Logging, "logging")
	}
	if tr.ManagementEvents != nil {
		t.link(2, tr.ManagementEvents, "management events: "+esc(tr.SelectorsNote))
	}
	switch {
	case tr.Failed == check.LogGroupNotFound:
		t.link(2, held(false), esc(fmt.Sprintf("log group %s (%s, account %s): does not exist", tr.LogGroupName, tr.LogGroupRegion, tr.LogGroupAccount)))
	case tr.LogGroupARN != "":
		t.link(2, held(true), esc(fmt.Sprintf("log group %s (%s, account %s)", tr.LogGroupName, tr.LogGroupRegion, tr.LogGroupAccount)))
	case tr.Failed == check.NoCloudWatchLogs:
		t.link(2, held(false), "no CloudWatch Logs log group")
	}
	if tr.DeliveryError != "" {
		t.link(2, held(false), "delivery error: "+esc(tr.DeliveryError))
	}
	if tr.Failed == check.NoMatchingFilter && len(tr.Filters) == 0 {
		t.link(2, held(false), "no metric filter on the log group")
	}
	for _, f := range tr.Filters {
		t.filter(f)
	}
}

func (t *textWriter) filter(f check.FilterEvidence) {
	var ok *bool
	desc := catchesAll(t.control)
	switch f.Coverage {
	case "match":
		if len(f.Indeterminate) == 0 {
			ok = held(true)
		}
	case "no_match":
		ok, desc = held(false), "misses "+esc(strings.Join(f.Missed, ", "))
	default:
		desc = "coverage indeterminate"
	}
	if f.Rejected != "" {
		ok, desc = held(false), desc+" but is "+esc(f.Rejected)
	}
	t.link(2, ok, fmt.Sprintf("filter %s: %s  %s", esc(f.Name), desc, t.p.Faint(esc(f.Pattern))))
	for _, why := range f.Indeterminate {
		t.link(3, nil, esc(why))
	}
	if len(f.Background) > 0 {
		t.link(3, held(false), "too broad: matches background activity ("+esc(strings.Join(f.Background, ", "))+"), so its alarm never rests")
	}
	if len(f.Noise) > 0 {
		t.printf("%s%s\n", strings.Repeat("  ", 3), t.p.Faint("also counts "+esc(strings.Join(f.Noise, ", "))+" (noise)"))
	}
	if v := f.Verification; v != nil {
		t.link(3, held(len(v.Disagreements) == 0), fmt.Sprintf("logs:TestMetricFilter agrees on %d of %d records (%d settled by AWS)", v.Agree, v.Records, v.Settled))
		for _, d := range v.Disagreements {
			failed := ""
			if d.Failed {
				failed = " (failed call)"
			}
			t.printf("            %s\n", esc(fmt.Sprintf("%s from %s%s: trailwatch %s, AWS %s", d.Event, d.Caller, failed, d.Local, d.AWS)))
		}
	}
	for _, m := range f.Metrics {
		t.printf("      metric %s\n", esc(fmt.Sprintf("%s/%s%s value %s", m.Namespace, m.Name, m.DimensionsText(), m.Value)))
		if len(m.Alarms) == 0 {
			t.link(4, held(false), "no alarm on this metric")
		}
		for _, a := range m.Alarms {
			t.alarm(a)
		}
	}
}

func (t *textWriter) alarm(a check.AlarmEvidence) {
	if !a.CanFire {
		t.link(4, held(false), esc(fmt.Sprintf("alarm %s cannot fire: %s", a.Name, a.Why)))
		return
	}
	t.link(4, held(true), "alarm "+esc(a.Name))
	if len(a.Topics) == 0 {
		t.link(5, held(false), "no SNS topic in its ALARM actions")
	}
	for _, o := range a.OtherActions {
		t.printf("            %s\n", t.p.Faint("other action "+esc(o)))
	}
	for _, tp := range a.Topics {
		if tp.Account != t.account {
			t.link(5, nil, esc(fmt.Sprintf("topic %s in account %s: not read", tp.ARN, tp.Account)))
			continue
		}
		switch {
		case tp.Missing:
			t.link(5, held(false), fmt.Sprintf("topic %s: does not exist", esc(tp.ARN)))
			continue
		case tp.CanReceive == nil:
			t.link(5, nil, esc(fmt.Sprintf("topic %s: undecided whether CloudWatch can publish to it: %s", tp.ARN, tp.Why)))
			continue
		case !*tp.CanReceive:
			t.link(5, held(false), esc(fmt.Sprintf("topic %s: CloudWatch cannot publish to it: %s", tp.ARN, tp.Why)))
			continue
		}
		t.link(5, held(tp.Confirmed > 0), fmt.Sprintf("topic %s: %d confirmed, %d pending subscriptions", esc(tp.ARN), tp.Confirmed, tp.Pending))
	}
}

// controlLabel names a control as the report's standard numbers it, else
// by its Security Hub ID, with trailwatch's name: "4.5 cloudtrail-changes".
func controlLabel(r check.Report, id string) string {
	for _, c := range r.Controls {
		if c.ID != id {
			continue
		}
		if n := nonBlank(c.Number, c.SecurityHub); n != "" {
			return n + " " + id
		}
	}
	return id
}

// catchesAll describes a filter catching every event of the control id.
func catchesAll(id string) string {
	c, ok := control.Lookup(id)
	switch {
	case !ok || len(c.Events) == 5:
		return "catches all five events"
	case len(c.Events) == 1:
		return "catches its event"
	}
	return fmt.Sprintf("catches all %d events", len(c.Events))
}
