package fix

import (
	"context"
	"fmt"

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
// with survey; tests implement it directly.
type Prompter interface {
	// Approve asks whether to apply one account's plan, already shown.
	Approve(a plan.AccountPlan) (Decision, error)
	// Notify asks who should be told, for an account whose plan is blocked
	// only for want of a subscriber; "" declines.
	Notify(a plan.AccountPlan) (string, error)
}

// Session decides which accounts are applied: all with Yes, else by asking
// through Prompt. Show draws one account's diff before it is asked about;
// Replan re-plans account i with one more endpoint to notify.
type Session struct {
	Yes    bool
	Prompt Prompter
	Show   func(a plan.AccountPlan) error
	Replan func(ctx context.Context, i int, notify plan.Endpoint) (plan.AccountPlan, error)
}

// Approval is the outcome of a Session for one account.
type Approval int

const (
	// NothingToDo: the account has no changes.
	NothingToDo Approval = iota
	Approved
	Declined
)

// Approve walks the accounts in order. It may replace an account's plan
// (after asking whom to notify), so it returns the plans to apply with the
// decision for each. The error is ErrCancelled when the person interrupts.
func (s Session) Approve(ctx context.Context, accounts []plan.AccountPlan) ([]plan.AccountPlan, []Approval, error) {
	out := make([]plan.AccountPlan, len(accounts))
	copy(out, accounts)
	approvals := make([]Approval, len(out))
	all, quit := s.Yes, false
	for i := range out {
		if ctx.Err() != nil {
			return out, approvals, ErrCancelled
		}
		a := out[i]
		if a.NeedsNotify && s.Prompt != nil && !quit && s.Replan != nil {
			replanned, err := s.askNotify(ctx, i, a)
			if err != nil {
				return out, approvals, err
			}
			a, out[i] = replanned, replanned
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
		if s.Show != nil {
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

// askNotify offers to add a subscriber until the answer is a valid
// endpoint or empty.
func (s Session) askNotify(ctx context.Context, i int, a plan.AccountPlan) (plan.AccountPlan, error) {
	answer, err := s.Prompt.Notify(a)
	if err != nil || answer == "" {
		return a, err
	}
	ep, err := plan.ParseNotify(answer)
	if err != nil {
		// The prompt validates with ParseNotify too; this is a wrong call.
		return a, fmt.Errorf("account %s: %w", a.Account, err)
	}
	return s.Replan(ctx, i, ep)
}
