package fix

import (
	"context"
	"fmt"
	"slices"
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
	// Placeholder, already shown. offers are answers the person may pick
	// instead of typing one: endpoints named for earlier accounts and the
	// account's own topics with a confirmed subscriber. The answer is an
	// endpoint, or a topic ARN to notify instead of a new topic; ""
	// declines.
	Notify(a plan.AccountPlan, offers []Offer) (string, error)
	// ApproveRest asks once whether to apply every account drawn after
	// "all" was answered; false, the default, applies none of them.
	ApproveRest(accounts []plan.AccountPlan) (bool, error)
}

// Offer is an answer to "who should be notified?" the person may pick.
type Offer struct {
	// Answer is what picking it answers: an endpoint as --notify takes it,
	// or a topic ARN.
	Answer string
	// Why says where it comes from, e.g. "as answered for account 1111…".
	Why string
}

// Placeholder stands for the endpoint nobody has named yet: an account
// blocked only for want of a subscriber is planned with it, so the person
// sees what an answer would unblock before being asked for one.
var Placeholder = plan.Endpoint{Protocol: "PROTOCOL", Endpoint: "ENDPOINT"}

// Session decides which accounts are applied: all with Yes, else by asking
// through Prompt. Show draws one account's diff before it is asked about;
// Replan re-plans account i with one more endpoint to notify, UseTopic
// with an existing topic (--topic-arn) instead of a new one.
type Session struct {
	Yes      bool
	Prompt   Prompter
	Show     func(a plan.AccountPlan) error
	Replan   func(ctx context.Context, i int, notify plan.Endpoint) (plan.AccountPlan, error)
	UseTopic func(ctx context.Context, i int, topicARN string) (plan.AccountPlan, error)
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
//
// "All" does not apply what the person has not seen: every remaining
// account's changes are drawn (each blocked one asked whom to notify, with
// earlier answers offered, never reused unasked), then one question covers
// them together, and its default applies none of them.
func (s Session) Approve(ctx context.Context, accounts []plan.AccountPlan) ([]plan.AccountPlan, []Approval, error) {
	out := make([]plan.AccountPlan, len(accounts))
	copy(out, accounts)
	approvals := make([]Approval, len(out))
	quit := false
	var answered []Offer
	for i := range out {
		if ctx.Err() != nil {
			return out, approvals, ErrCancelled
		}
		a, shown, err := s.prepare(ctx, i, out[i], quit, &answered)
		if err != nil {
			return out, approvals, err
		}
		out[i] = a
		switch {
		case len(a.Changes) == 0:
			approvals[i] = NothingToDo
			continue
		case quit:
			approvals[i] = Declined
			continue
		case s.Yes:
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
			approvals[i] = Approved
			return out, approvals, s.approveRest(ctx, out, approvals, i+1, &answered)
		case Quit:
			approvals[i], quit = Declined, true
		default:
			approvals[i] = Declined
		}
	}
	return out, approvals, nil
}

// prepare asks whom to notify for an account that needs it (unless the
// questions have ended). shown says its diff is on the screen already.
func (s Session) prepare(ctx context.Context, i int, a plan.AccountPlan, quit bool, answered *[]Offer) (plan.AccountPlan, bool, error) {
	if !a.NeedsNotify || s.Prompt == nil || quit || s.Replan == nil {
		return a, false, nil
	}
	return s.askNotify(ctx, i, a, answered)
}

// approveRest draws every account from `from` on and asks once for all of
// those with changes.
func (s Session) approveRest(ctx context.Context, out []plan.AccountPlan, approvals []Approval, from int, answered *[]Offer) error {
	var rest []int
	for j := from; j < len(out); j++ {
		if ctx.Err() != nil {
			return ErrCancelled
		}
		a, shown, err := s.prepare(ctx, j, out[j], false, answered)
		if err != nil {
			return err
		}
		out[j] = a
		if len(a.Changes) == 0 {
			approvals[j] = NothingToDo
			continue
		}
		if s.Show != nil && !shown {
			if err := s.Show(a); err != nil {
				return err
			}
		}
		approvals[j] = Declined
		rest = append(rest, j)
	}
	if len(rest) == 0 {
		return nil
	}
	plans := make([]plan.AccountPlan, len(rest))
	for k, j := range rest {
		plans[k] = out[j]
	}
	ok, err := s.Prompt.ApproveRest(plans)
	if err != nil || !ok {
		return err
	}
	for _, j := range rest {
		approvals[j] = Approved
	}
	return nil
}

// askNotify shows what naming someone to notify would unblock and asks
// whom, offering the answers given for earlier accounts and the account's
// own topics. shown says the account's diff is on the screen already.
func (s Session) askNotify(ctx context.Context, i int, a plan.AccountPlan, answered *[]Offer) (_ plan.AccountPlan, shown bool, _ error) {
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
	offers := slices.Clone(*answered)
	for _, arn := range a.TopicCandidates {
		offers = append(offers, Offer{Answer: arn, Why: "a topic of this account with a confirmed subscriber"})
	}
	answer, err := s.Prompt.Notify(preview, offers)
	if err != nil || answer == "" {
		return a, true, err
	}
	if arn, ok := plan.NotifyTopicARN(answer); ok && s.UseTopic != nil {
		replanned, err := s.UseTopic(ctx, i, arn)
		// The diff drawn was for a new topic: the one to approve differs.
		return replanned, false, err
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
	who := a.Account
	if len(a.Profiles) > 0 {
		who += " (profile " + strings.Join(a.Profiles, ", ") + ")"
	}
	offer := Offer{Answer: answer, Why: "as answered for account " + who}
	*answered = slices.DeleteFunc(*answered, func(o Offer) bool { return o.Answer == answer })
	*answered = append([]Offer{offer}, *answered...)
	return replanned, true, nil
}
