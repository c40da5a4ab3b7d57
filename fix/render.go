package fix

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/internal/termsafe"
	"github.com/trailwatch/trailwatch/plan"
)

// esc makes what came from AWS or a plan file inert on a terminal.
func esc(s string) string { return termsafe.Escape(s) }

// Report is one account's line of the story: what was planned, what the
// person decided, what happened, and check before and after.
type Report struct {
	Account  string
	Profiles []string
	// Changes are the account's planned changes, applied or not.
	Changes  []plan.Change
	Approval Approval
	// Result is nil when nothing was applied (no changes, or declined).
	Result *Result
	// Before and After are check's verdicts; After is zero when the
	// account was not re-checked.
	Before, After check.Verdict
	// Blocked explains an account plan could not fix from here.
	Blocked string
	// Transient marks an account check could not evaluate because AWS
	// throttled or kept failing: it needs a later run, not a person.
	Transient bool
	// Member is how an account reached through its organization (--org) is
	// named where a profile would be: its account name, else its ID.
	Member string
	// Controls are each control's verdicts when several were fixed
	// (Before and After are then the account's worst); empty for one.
	Controls []ControlVerdicts
}

// ControlVerdicts is one control's verdict before and after the fix; After
// is zero when the account was not re-checked.
type ControlVerdicts struct {
	Control       string
	Before, After check.Verdict
}

// Now is the control's latest verdict.
func (c ControlVerdicts) Now() check.Verdict {
	if c.After.IsZero() {
		return c.Before
	}
	return c.After
}

// RenderResult draws one account's apply: each step with its status, any
// rollback, check before → after and what a person still has to do.
func RenderResult(w io.Writer, r Report, pal style.Palette) error {
	var b strings.Builder
	res := r.Result
	head := "Account " + esc(r.Account)
	if r.Account == "" {
		head = "Account unknown" // STS never answered, as plan says
	}
	if len(r.Profiles) > 0 {
		head += " (profile " + esc(strings.Join(r.Profiles, ", ")) + ")"
	}
	fmt.Fprintf(&b, "%s: %s\n", pal.Bold(head), outcomeText(*res, pal))
	switch {
	case res.Outcome == Stale && len(res.Stale) > 0:
		// One resource a line, its name (often an ARN) under it whole.
		for _, s := range res.Stale {
			fmt.Fprintf(&b, "  %s in %s %s:\n    %s\n", esc(s.Kind), esc(s.Region), esc(s.Change()), esc(s.Key))
		}
	case res.Error != "":
		fmt.Fprintf(&b, "  %s\n", esc(res.Error))
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, s := range res.Steps {
		fmt.Fprintf(tw, "  %s %s\t%s %s\t%s\t%s\n", mark(s.Status, pal), esc(s.Change.ID), action(s.Change.Action, pal), esc(s.Change.Operation), esc(s.Change.Target), esc(stepText(s)))
	}
	tw.Flush()
	if len(res.Rollback) > 0 {
		b.WriteString("  rollback (--rollback: only what this run created):\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, s := range res.Rollback {
			fmt.Fprintf(tw, "  %s %s\t%s\t%s\n", mark(s.Status, pal), esc(s.Change.ID), esc(s.Change.Target), esc(stepText(s)))
		}
		tw.Flush()
	}
	switch {
	case len(r.Controls) > 0:
		renderControls(&b, r, pal)
	case !r.After.IsZero():
		fmt.Fprintf(&b, "  check: %s → %s\n", r.Before, verdict(r.After, pal))
	}
	if res.Outcome == Stale {
		fmt.Fprintf(&b, "  %s run trailwatch plan again and review the new plan\n", pal.Warn("next:"))
	}
	for _, p := range res.Pending {
		fmt.Fprintf(&b, "  %s %s\n", pal.Warn("waiting for a person:"), esc(howToConfirm(p)))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// renderControls draws check before → after per control, with the
// controls that passed before and after counted on one line.
func renderControls(b *strings.Builder, r Report, pal style.Palette) {
	steady := 0
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	for _, c := range r.Controls {
		if c.Before.Status == check.Pass && c.Now().Status == check.Pass {
			steady++
			continue
		}
		if c.After.IsZero() {
			fmt.Fprintf(tw, "  check %s:\t%s\n", esc(c.Control), verdict(c.Before, pal))
			continue
		}
		fmt.Fprintf(tw, "  check %s:\t%s → %s\n", esc(c.Control), c.Before, verdict(c.After, pal))
	}
	tw.Flush()
	if steady > 0 {
		fmt.Fprintf(b, "  check: %d of %d controls PASS before and after\n", steady, len(r.Controls))
	}
}

func outcomeText(r Result, pal style.Palette) string {
	planned := len(r.Steps)
	switch r.Outcome {
	case Done:
		return pal.Good(fmt.Sprintf("applied %d of %d changes", r.Applied(), planned))
	case Stale:
		if n := countStatus(r.Steps, Applied); n > 0 {
			return pal.Bad(fmt.Sprintf("stopped after %d of %d changes: the plan is stale", n, planned))
		}
		return pal.Bad("not applied: the plan is stale")
	case Interrupted:
		return pal.Warn(fmt.Sprintf("interrupted after %d of %d changes", countStatus(r.Steps, Applied), planned))
	case NoneStarted:
		return pal.Warn(fmt.Sprintf("not started: interrupted before the first of %d changes", planned))
	}
	return pal.Bad(fmt.Sprintf("failed after %d of %d changes", countStatus(r.Steps, Applied), planned))
}

func countStatus(steps []Step, st StepStatus) int {
	n := 0
	for _, s := range steps {
		if s.Status == st {
			n++
		}
	}
	return n
}

func mark(s StepStatus, pal style.Palette) string {
	switch s {
	case Applied:
		return pal.Good("✓")
	case Failed:
		return pal.Bad("✗")
	case RolledBack:
		return pal.Warn("↺")
	case Kept:
		return pal.Warn("!")
	}
	return pal.Faint("-")
}

// action marks a step as the diff did: + creates, ~ updates what exists
// (an alarm or trail of the user's), so the list tells them apart.
func action(a plan.Action, pal style.Palette) string {
	if a == plan.Update {
		return pal.Warn("~")
	}
	return pal.Good("+")
}

func stepText(s Step) string {
	if s.Detail == "" {
		return string(s.Status)
	}
	return string(s.Status) + ": " + s.Detail
}

func verdict(v check.Verdict, pal style.Palette) string {
	switch v.Status {
	case check.Pass:
		return pal.Good(v.String())
	case check.Fail:
		return pal.Bad(v.String())
	}
	return pal.Warn(v.String())
}

// howToConfirm says exactly what the subscriber must do; SNS sends the
// confirmation, trailwatch never sends test notifications.
func howToConfirm(p Pending) string {
	switch p.Protocol {
	case "email", "email-json":
		return fmt.Sprintf("an email from AWS Notifications was sent to %s; open it and follow \"Confirm subscription\" (the link expires after a few days; running fix again re-sends it), then run trailwatch check. Until then nobody is notified by %s.", p.Endpoint, p.Topic)
	case "http", "https":
		return fmt.Sprintf("%s received a SubscriptionConfirmation message from SNS; visit its SubscribeURL (or call sns confirm-subscription with its Token) for topic %s, then run trailwatch check.", p.Endpoint, p.Topic)
	}
	return fmt.Sprintf("the %s subscription %s to %s must be confirmed by its owner, then run trailwatch check.", p.Protocol, p.Endpoint, p.Topic)
}

// RenderSummary draws the table that ends every fix run: account, profile,
// changes applied of planned, and the result.
func RenderSummary(w io.Writer, rows []Report, pal style.Palette) error {
	var b strings.Builder
	b.WriteString(pal.Bold("Summary") + "\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tPROFILE\tCHANGES\tRESULT")
	for _, r := range rows {
		profile := strings.Join(r.Profiles, ",")
		switch {
		case r.Member != "":
			profile = r.Member
		case profile == "":
			profile = "(default)"
		}
		changes := "-"
		if len(r.Changes) > 0 {
			applied := 0
			if r.Result != nil {
				applied = r.Result.Applied()
			}
			changes = fmt.Sprintf("%d/%d", applied, len(r.Changes))
		}
		account := esc(r.Account)
		if account == "" {
			account = "unknown" // STS never answered
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", account, esc(profile), changes, summaryResult(r))
	}
	tw.Flush()
	controlSummary(&b, rows)
	_, err := io.WriteString(w, b.String())
	return err
}

// controlSummary counts, per control of a fix of several, the accounts
// that PASS before and now, and those that still need someone.
func controlSummary(b *strings.Builder, rows []Report) {
	var order []string
	type counts struct{ accounts, before, now int }
	per := map[string]*counts{}
	for _, r := range rows {
		for _, c := range r.Controls {
			n, ok := per[c.Control]
			if !ok {
				n = &counts{}
				per[c.Control] = n
				order = append(order, c.Control)
			}
			n.accounts++
			if c.Before.Status == check.Pass {
				n.before++
			}
			if c.Now().Status == check.Pass {
				n.now++
			}
		}
	}
	if len(order) == 0 {
		return
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTROL\tACCOUNTS\tPASS BEFORE\tPASS NOW\tNOT PASSING")
	for _, id := range order {
		n := per[id]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", esc(id), n.accounts, n.before, n.now, n.accounts-n.now)
	}
	tw.Flush()
}

// Now is the account's latest verdict: after the fix when it was
// re-checked, else before.
func (r Report) Now() check.Verdict {
	if r.After.IsZero() {
		return r.Before
	}
	return r.After
}

func summaryResult(r Report) string {
	now := r.Now()
	var notes []string
	if !r.After.IsZero() && r.After != r.Before {
		notes = append(notes, "was "+r.Before.String())
	}
	switch {
	case r.Result != nil && r.Result.Outcome == Stale:
		notes = append(notes, "changed since planning")
	case r.Result != nil && r.Result.Outcome != Done:
		notes = append(notes, "apply "+string(r.Result.Outcome))
	case r.Approval == Declined:
		notes = append(notes, "declined")
	case r.Blocked != "" && r.Transient:
		notes = append(notes, "AWS throttled or failed: run fix again later")
	case r.Blocked != "" && now.Status != check.Pass:
		notes = append(notes, "needs you: see above")
	}
	if r.Result != nil && len(r.Result.Pending) > 0 {
		notes = append(notes, "confirmation pending")
	}
	if len(notes) > 0 {
		return now.String() + " (" + strings.Join(notes, ", ") + ")"
	}
	return now.String()
}

// JSONFormatVersion is the version of fix --output json's document; it
// changes only when a field changes meaning or goes away.
const JSONFormatVersion = 1

type jsonDoc struct {
	FormatVersion int           `json:"format_version"`
	Accounts      []jsonAccount `json:"accounts"`
}

type jsonAccount struct {
	Account  string      `json:"account"`
	Profiles []string    `json:"profiles"`
	Decision string      `json:"decision"`
	Before   jsonStatus  `json:"before"`
	After    *jsonStatus `json:"after"`
	Outcome  Outcome     `json:"outcome,omitempty"`
	Error    string      `json:"error,omitempty"`
	Blocked  string      `json:"blocked,omitempty"`
	Steps    []jsonStep  `json:"steps"`
	Rollback []jsonStep  `json:"rollback,omitempty"`
	Pending  []Pending   `json:"pending_confirmations"`
	// Controls are set when several controls were fixed.
	Controls []jsonControl `json:"controls,omitempty"`
}

type jsonControl struct {
	Control string      `json:"control"`
	Before  jsonStatus  `json:"before"`
	After   *jsonStatus `json:"after"`
}

type jsonStatus struct {
	Status check.Status `json:"status"`
	Reason check.Reason `json:"reason,omitempty"`
}

type jsonStep struct {
	ID        string `json:"id"`
	Operation string `json:"operation"`
	Target    string `json:"target"`
	// Status is the step's StepStatus as Apply reports it, or "declined"
	// for the changes of an account the person declined.
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// StepDeclined is the status of each change of a declined account in the
// JSON result: never attempted, by the person's choice.
const StepDeclined = "declined"

// EncodeJSON writes fix's result for scripts: per account the decision,
// check before and after, each step as Apply reported it, and the
// subscriptions that wait for a person. Values are exact, not escaped.
func EncodeJSON(w io.Writer, rows []Report) error {
	doc := jsonDoc{FormatVersion: JSONFormatVersion, Accounts: make([]jsonAccount, 0, len(rows))}
	for _, r := range rows {
		a := jsonAccount{Account: r.Account, Profiles: r.Profiles, Decision: decisionText(r.Approval),
			Before: jsonStatus(r.Before), Blocked: r.Blocked, Steps: []jsonStep{}, Pending: []Pending{}}
		if a.Profiles == nil {
			a.Profiles = []string{}
		}
		if !r.After.IsZero() {
			after := jsonStatus(r.After)
			a.After = &after
		}
		for _, c := range r.Controls {
			jc := jsonControl{Control: c.Control, Before: jsonStatus(c.Before)}
			if !c.After.IsZero() {
				after := jsonStatus(c.After)
				jc.After = &after
			}
			a.Controls = append(a.Controls, jc)
		}
		if res := r.Result; res != nil {
			a.Outcome, a.Error = res.Outcome, res.Error
			for _, s := range res.Steps {
				a.Steps = append(a.Steps, stepJSON(s.Change, string(s.Status), s.Detail))
			}
			for _, s := range res.Rollback {
				a.Rollback = append(a.Rollback, stepJSON(s.Change, string(s.Status), s.Detail))
			}
			a.Pending = append(a.Pending, res.Pending...)
		} else if r.Approval == Declined {
			for _, c := range r.Changes {
				a.Steps = append(a.Steps, stepJSON(c, StepDeclined, ""))
			}
		}
		doc.Accounts = append(doc.Accounts, a)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write fix result: %w", err)
	}
	return nil
}

func stepJSON(c plan.Change, status, detail string) jsonStep {
	return jsonStep{ID: c.ID, Operation: c.Operation, Target: c.Target, Status: status, Detail: detail}
}

func decisionText(a Approval) string {
	switch a {
	case Approved:
		return "approved"
	case Declined:
		return "declined"
	}
	return "none"
}
