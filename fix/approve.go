package fix

import (
	"context"
	"fmt"
	"strings"

	"github.com/trailwatch/trailwatch/plan"
)

// Decision is the answer to "apply this account's changes?".
type Decision int

const (
	// Skip leaves the account unchanged; it is the default answer.
	Skip Decision = iota
	// Yes applies this account.
	Yes
	// All applies this account and every remaining one without asking.
	All
	// Quit applies nothing more: this and the remaining accounts are skipped.
	Quit
)

// Prompter asks the person at the terminal. The command layer implements it
// on the terminal; tests implement it directly.
type Prompter interface {
	// Approve asks whether to apply one account's plan, already shown.
	Approve(a plan.AccountPlan) (Decision, error)
	// Notify asks who should be told, for an account whose plan is blocked
	// only for want of a subscriber; a is that account planned with
	// Placeholder, already shown. "" declines.
	Notify(a plan.AccountPlan) (string, error)
}

// Placeholder stands for the endpoint nobody has named yet: an account
// blocked only for want of a subscriber is planned with it, so the person
// sees what an answer would unblock before being asked for one.
var Placeholder = plan.Endpoint{Protocol: "PROTOCOL", Endpoint: "ENDPOINT"}

// Session decides which accounts are applied: all with Yes, else by asking
// through Prompt. Show draws one account's diff before it is asked about;
// Replan re-plans account i with one more endpoint to notify; Note tells
// the person what was decided for them (an endpoint reused after "all").
type Session struct {
	Yes    bool
	Prompt Prompter
	Show   func(a plan.AccountPlan) error
	Replan func(ctx context.Context, i int, notify plan.Endpoint) (plan.AccountPlan, error)
	Note   func(msg string) error
}

// Approval is the outcome of a Session for one account.
type Approval int

const (
	// NothingToDo: the account has no changes.
	NothingToDo Approval = iota
	Approved
	Declined
)

// notifyState is what the walk remembers of the answers to "who should be
// notified?": after "all", the last endpoint named serves every remaining
// account, and the question is asked at most once more.
type notifyState struct {
	last          *plan.Endpoint
	lastFrom      string
	askedAfterAll bool
}

// Approve walks the accounts in order. It may replace an account's plan
// (after asking whom to notify), so it returns the plans to apply with the
// decision for each. The error is ErrCancelled when the person interrupts.
func (s Session) Approve(ctx context.Context, accounts []plan.AccountPlan) ([]plan.AccountPlan, []Approval, error) {
	out := make([]plan.AccountPlan, len(accounts))
	copy(out, accounts)
	approvals := make([]Approval, len(out))
	all, quit := s.Yes, false
	var ns notifyState
	for i := range out {
		if ctx.Err() != nil {
			return out, approvals, ErrCancelled
		}
		a := out[i]
		shown := false
		if a.NeedsNotify && s.Prompt != nil && !quit && s.Replan != nil {
			replanned, wasShown, err := s.askNotify(ctx, i, a, all, &ns)
			if err != nil {
				return out, approvals, err
			}
			a, out[i], shown = replanned, replanned, wasShown
		}
		switch {
		case len(a.Changes) == 0:
			approvals[i] = NothingToDo
			continue
		case quit:
			approvals[i] = Declined
			continue
		case all:
			approvals[i] = Approved
			continue
		case s.Prompt == nil:
			// No one to ask and no --yes: the command layer refuses before
			// this, so this only guards against a wrong call.
			approvals[i] = Declined
			continue
		}
		if s.Show != nil && !shown {
			if err := s.Show(a); err != nil {
				return out, approvals, err
			}
		}
		d, err := s.Prompt.Approve(a)
		if err != nil {
			return out, approvals, err
		}
		switch d {
		case Yes:
			approvals[i] = Approved
		case All:
			approvals[i], all = Approved, true
		case Quit:
			approvals[i], quit = Declined, true
		default:
			approvals[i] = Declined
		}
	}
	return out, approvals, nil
}

// askNotify shows what naming someone to notify would unblock and asks
// whom; after "all" it reuses the last endpoint named instead, or asks once.
// shown says the account's diff is on the screen already.
func (s Session) askNotify(ctx context.Context, i int, a plan.AccountPlan, all bool, ns *notifyState) (_ plan.AccountPlan, shown bool, _ error) {
	if all && ns.last != nil {
		replanned, err := s.Replan(ctx, i, *ns.last)
		if err != nil {
			return a, false, err
		}
		if s.Note != nil && len(replanned.Changes) > 0 {
			who := a.Account
			if len(a.Profiles) > 0 {
				who += " (profile " + strings.Join(a.Profiles, ", ") + ")"
			}
			msg := fmt.Sprintf("Account %s: notifying %s %s, as answered for account %s.", who, ns.last.Protocol, ns.last.Endpoint, ns.lastFrom)
			if err := s.Note(msg); err != nil {
				return a, false, err
			}
		}
		return replanned, false, nil
	}
	if all && ns.askedAfterAll {
		return a, false, nil
	}
	preview, err := s.Replan(ctx, i, Placeholder)
	if err != nil {
		return a, false, err
	}
	if len(preview.Changes) == 0 {
		// Something else blocks it too: no answer would help.
		return preview, false, nil
	}
	if s.Show != nil {
		if err := s.Show(preview); err != nil {
			return a, false, err
		}
	}
	if all {
		ns.askedAfterAll = true
	}
	answer, err := s.Prompt.Notify(preview)
	if err != nil || answer == "" {
		return a, true, err
	}
	ep, err := plan.ParseNotify(answer)
	if err != nil {
		// The prompt validates with ParseNotify too; this is a wrong call.
		return a, true, fmt.Errorf("account %s: %w", a.Account, err)
	}
	replanned, err := s.Replan(ctx, i, ep)
	if err != nil {
		return a, true, err
	}
	ns.last, ns.lastFrom = &ep, a.Account
	return replanned, true, nil
}
