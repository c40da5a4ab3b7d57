package fix

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/plan"
)

// scriptedPrompter answers by account and logs every question, so a test
// can assert who was asked what, in which order, and who was not asked.
type scriptedPrompter struct {
	decisions map[string]Decision // unlisted accounts get the zero Decision, Skip: what Enter gives
	notify    map[string]string
	errs      map[string]error // "approve ACCOUNT" or "notify ACCOUNT" → error
	rest      bool             // the answer to ApproveRest
	log       *[]string
}

func (p scriptedPrompter) Approve(a plan.AccountPlan) (Decision, error) {
	q := "approve " + a.Account
	*p.log = append(*p.log, fmt.Sprintf("%s (%d changes)", q, len(a.Changes)))
	if err := p.errs[q]; err != nil {
		return Skip, err
	}
	return p.decisions[a.Account], nil
}

func (p scriptedPrompter) Notify(a plan.AccountPlan, offers []Offer) (string, error) {
	q := "notify " + a.Account
	logged := q
	for _, o := range offers {
		logged += " [" + o.Answer + ": " + o.Why + "]"
	}
	*p.log = append(*p.log, logged)
	if err := p.errs[q]; err != nil {
		return "", err
	}
	return p.notify[a.Account], nil
}

func (p scriptedPrompter) ApproveRest(accounts []plan.AccountPlan) (bool, error) {
	q := "approve rest"
	for _, a := range accounts {
		q += fmt.Sprintf(" %s (%d changes)", a.Account, len(a.Changes))
	}
	*p.log = append(*p.log, q)
	return p.rest, p.errs["approve rest"]
}

func withChanges(id string, changes int) plan.AccountPlan {
	a := plan.AccountPlan{Account: id, Status: "FAIL"}
	for i := range changes {
		a.Changes = append(a.Changes, plan.Change{ID: fmt.Sprintf("c%d", i)})
	}
	return a
}

func blockedForNotify(id string) plan.AccountPlan {
	a := withChanges(id, 0)
	a.NeedsNotify, a.Blocked = true, "a new SNS topic needs someone to notify"
	return a
}

const sqsQueue = "arn:aws:sqs:us-east-1:111111111111:q"

const alertTopic = "arn:aws:sns:us-east-1:111111111111:alerts"

// replanCall is one re-plan of account i: with an endpoint, or (topicCall)
// with a topic.
type replanCall struct {
	i  int
	ep plan.Endpoint
}

// topicCall is how a test records UseTopic among the re-plans.
func topicCall(i int, arn string) replanCall {
	return replanCall{i, plan.Endpoint{Protocol: "topic", Endpoint: arn}}
}

func TestSessionApprove(t *testing.T) {
	for _, tc := range []struct {
		name      string
		accounts  []plan.AccountPlan
		yes       bool
		noPrompt  bool
		decisions map[string]Decision
		notify    map[string]string
		errs      map[string]error
		rest      bool
		topics    map[string][]string // an account's TopicCandidates
		cancelled bool
		// replanChanges is how many changes Replan gives the account it re-plans.
		replanChanges int
		replanErr     error

		want        []Approval
		wantAsked   []string
		wantReplans []replanCall
		wantErr     error
		// wantChanges is the number of changes of each returned plan.
		wantChanges []int
	}{
		{
			name:      "Enter (Skip, the default) declines",
			accounts:  []plan.AccountPlan{withChanges("A", 2)},
			want:      []Approval{Declined},
			wantAsked: []string{"show A", "approve A (2 changes)"},
		},
		{
			name:      "Yes approves that account only",
			accounts:  []plan.AccountPlan{withChanges("A", 1), withChanges("B", 1)},
			decisions: map[string]Decision{"A": Yes},
			want:      []Approval{Approved, Declined},
			wantAsked: []string{"show A", "approve A (1 changes)", "show B", "approve B (1 changes)"},
		},
		{
			name:      "All draws every remaining account, then asks once for them all: y approves them",
			accounts:  []plan.AccountPlan{withChanges("A", 1), withChanges("B", 1), withChanges("C", 3), withChanges("D", 0), withChanges("E", 2)},
			decisions: map[string]Decision{"B": All},
			rest:      true,
			want:      []Approval{Declined, Approved, Approved, NothingToDo, Approved},
			wantAsked: []string{"show A", "approve A (1 changes)", "show B", "approve B (1 changes)",
				"show C", "show E", "approve rest C (3 changes) E (2 changes)"},
		},
		{
			name:      "All, then the default answer for the rest declines all of them",
			accounts:  []plan.AccountPlan{withChanges("A", 1), withChanges("B", 2), withChanges("C", 0)},
			decisions: map[string]Decision{"A": All},
			want:      []Approval{Approved, Declined, NothingToDo},
			wantAsked: []string{"show A", "approve A (1 changes)", "show B", "approve rest B (2 changes)"},
		},
		{
			name:      "All on the last account with changes asks nothing more",
			accounts:  []plan.AccountPlan{withChanges("A", 1), withChanges("B", 0)},
			decisions: map[string]Decision{"A": All},
			want:      []Approval{Approved, NothingToDo},
			wantAsked: []string{"show A", "approve A (1 changes)"},
		},
		{
			name:      "Quit declines this and the rest without asking again",
			accounts:  []plan.AccountPlan{withChanges("A", 1), withChanges("B", 1), withChanges("C", 1), withChanges("D", 0)},
			decisions: map[string]Decision{"A": Yes, "B": Quit},
			want:      []Approval{Approved, Declined, Declined, NothingToDo},
			wantAsked: []string{"show A", "approve A (1 changes)", "show B", "approve B (1 changes)"},
		},
		{
			name:      "accounts without changes are neither shown nor asked",
			accounts:  []plan.AccountPlan{withChanges("A", 0), withChanges("B", 1), withChanges("C", 0)},
			decisions: map[string]Decision{"B": Yes},
			want:      []Approval{NothingToDo, Approved, NothingToDo},
			wantAsked: []string{"show B", "approve B (1 changes)"},
		},
		{
			name:     "--yes approves every account with changes, with no prompter",
			accounts: []plan.AccountPlan{withChanges("A", 1), withChanges("B", 0), withChanges("C", 2)},
			yes:      true, noPrompt: true,
			want: []Approval{Approved, NothingToDo, Approved},
		},
		{
			name:     "--yes asks nothing even when a prompter is there",
			accounts: []plan.AccountPlan{withChanges("A", 1), withChanges("B", 2)},
			yes:      true,
			want:     []Approval{Approved, Approved},
		},
		{
			name:     "no prompter and no --yes declines everything",
			accounts: []plan.AccountPlan{withChanges("A", 1), withChanges("B", 0)},
			noPrompt: true,
			want:     []Approval{Declined, NothingToDo},
		},
		{
			name:          "NeedsNotify: the diff an answer would unblock is shown first; an empty answer leaves the account as it was",
			accounts:      []plan.AccountPlan{blockedForNotify("A"), withChanges("B", 1)},
			decisions:     map[string]Decision{"B": Yes},
			replanChanges: 4,
			want:          []Approval{NothingToDo, Approved},
			wantAsked:     []string{"show A", "notify A", "show B", "approve B (1 changes)"},
			wantReplans:   []replanCall{{0, Placeholder}},
			wantChanges:   []int{0, 1},
		},
		{
			name:          "NeedsNotify: an answer re-plans with that endpoint, then the new plan is asked about without drawing it twice",
			accounts:      []plan.AccountPlan{withChanges("A", 1), blockedForNotify("B")},
			notify:        map[string]string{"B": "sqs:" + sqsQueue},
			decisions:     map[string]Decision{"B": Yes},
			replanChanges: 4,
			want:          []Approval{Declined, Approved},
			wantAsked:     []string{"show A", "approve A (1 changes)", "show B", "notify B", "approve B (4 changes)"},
			wantReplans:   []replanCall{{1, Placeholder}, {1, plan.Endpoint{Protocol: "sqs", Endpoint: sqsQueue}}},
			wantChanges:   []int{1, 4},
		},
		{
			name:          "NeedsNotify: the re-planned account is declined by default",
			accounts:      []plan.AccountPlan{blockedForNotify("A")},
			notify:        map[string]string{"A": "security@example.com"},
			replanChanges: 3,
			want:          []Approval{Declined},
			wantAsked:     []string{"show A", "notify A", "approve A (3 changes)"},
			wantReplans:   []replanCall{{0, Placeholder}, {0, plan.Endpoint{Protocol: "email", Endpoint: "security@example.com"}}},
			wantChanges:   []int{3},
		},
		{
			name:        "NeedsNotify whose plan stays blocked with an endpoint too is not asked",
			accounts:    []plan.AccountPlan{blockedForNotify("A")},
			want:        []Approval{NothingToDo},
			wantReplans: []replanCall{{0, Placeholder}},
			wantChanges: []int{0},
		},
		{
			name:        "NeedsNotify after Quit is not asked",
			accounts:    []plan.AccountPlan{withChanges("A", 1), blockedForNotify("B")},
			decisions:   map[string]Decision{"A": Quit},
			notify:      map[string]string{"B": "sqs:" + sqsQueue},
			want:        []Approval{Declined, NothingToDo},
			wantAsked:   []string{"show A", "approve A (1 changes)"},
			wantChanges: []int{1, 0},
		},
		{
			name:          "All after naming an endpoint: a later account needing one is asked, the answer offered, not reused",
			accounts:      []plan.AccountPlan{blockedForNotify("A"), withChanges("B", 1), blockedForNotify("C")},
			notify:        map[string]string{"A": "sqs:" + sqsQueue, "C": "sqs:" + sqsQueue},
			decisions:     map[string]Decision{"A": All},
			rest:          true,
			replanChanges: 3,
			want:          []Approval{Approved, Approved, Approved},
			wantAsked: []string{"show A", "notify A", "approve A (3 changes)", "show B", "show C",
				"notify C [sqs:" + sqsQueue + ": as answered for account A]", "approve rest B (1 changes) C (3 changes)"},
			wantReplans: []replanCall{{0, Placeholder}, {0, plan.Endpoint{Protocol: "sqs", Endpoint: sqsQueue}},
				{2, Placeholder}, {2, plan.Endpoint{Protocol: "sqs", Endpoint: sqsQueue}}},
			wantChanges: []int{3, 1, 3},
		},
		{
			name:          "All, then an empty answer: that account stays blocked and is not in the last question",
			accounts:      []plan.AccountPlan{withChanges("A", 1), blockedForNotify("B"), blockedForNotify("C")},
			decisions:     map[string]Decision{"A": All},
			replanChanges: 3,
			want:          []Approval{Approved, NothingToDo, NothingToDo},
			wantAsked:     []string{"show A", "approve A (1 changes)", "show B", "notify B", "show C", "notify C"},
			wantReplans:   []replanCall{{1, Placeholder}, {2, Placeholder}},
			wantChanges:   []int{1, 0, 0},
		},
		{
			name:          "NeedsNotify: the account's topics are offered; picking one re-plans with it and draws the new plan",
			accounts:      []plan.AccountPlan{blockedForNotify("A")},
			topics:        map[string][]string{"A": {alertTopic}},
			notify:        map[string]string{"A": alertTopic},
			decisions:     map[string]Decision{"A": Yes},
			replanChanges: 2,
			want:          []Approval{Approved},
			wantAsked: []string{"show A", "notify A [" + alertTopic + ": a topic of this account with a confirmed subscriber]",
				"show A", "approve A (2 changes)"},
			wantReplans: []replanCall{{0, Placeholder}, topicCall(0, alertTopic)},
			wantChanges: []int{2},
		},
		{
			name:          "NeedsNotify: an answer that is no endpoint is an error, not a re-plan",
			accounts:      []plan.AccountPlan{blockedForNotify("A")},
			notify:        map[string]string{"A": "pigeon:coop"},
			replanChanges: 2,
			want:          []Approval{NothingToDo},
			wantAsked:     []string{"show A", "notify A"},
			wantReplans:   []replanCall{{0, Placeholder}},
			wantErr:       plan.ErrInvalidInput,
			wantChanges:   []int{0},
		},
		{
			name:        "NeedsNotify: a failed re-plan is returned before anyone is asked",
			accounts:    []plan.AccountPlan{blockedForNotify("A")},
			notify:      map[string]string{"A": "sqs:" + sqsQueue},
			replanErr:   errInjected,
			want:        []Approval{NothingToDo},
			wantReplans: []replanCall{{0, Placeholder}},
			wantErr:     errInjected,
		},
		{
			name:      "Ctrl-C at the approval prompt is returned and nobody else is asked",
			accounts:  []plan.AccountPlan{withChanges("A", 1), withChanges("B", 1), withChanges("C", 1)},
			decisions: map[string]Decision{"A": Yes},
			errs:      map[string]error{"approve B": ErrCancelled},
			want:      []Approval{Approved, NothingToDo, NothingToDo},
			wantAsked: []string{"show A", "approve A (1 changes)", "show B", "approve B (1 changes)"},
			wantErr:   ErrCancelled,
		},
		{
			name:          "Ctrl-C at the notify prompt is returned",
			accounts:      []plan.AccountPlan{blockedForNotify("A"), withChanges("B", 1)},
			errs:          map[string]error{"notify A": ErrCancelled},
			replanChanges: 1,
			want:          []Approval{NothingToDo, NothingToDo},
			wantAsked:     []string{"show A", "notify A"},
			wantReplans:   []replanCall{{0, Placeholder}},
			wantErr:       ErrCancelled,
		},
		{
			name:      "a cancelled context asks nobody",
			accounts:  []plan.AccountPlan{withChanges("A", 1), blockedForNotify("B")},
			decisions: map[string]Decision{"A": Yes},
			cancelled: true,
			want:      []Approval{NothingToDo, NothingToDo},
			wantErr:   ErrCancelled,
		},
		{
			name:      "a cancelled context stops --yes too",
			accounts:  []plan.AccountPlan{withChanges("A", 1)},
			yes:       true,
			cancelled: true,
			want:      []Approval{NothingToDo},
			wantErr:   ErrCancelled,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked []string
			var replans []replanCall
			s := Session{
				Yes: tc.yes,
				Show: func(a plan.AccountPlan) error {
					asked = append(asked, "show "+a.Account)
					return nil
				},
				Replan: func(_ context.Context, i int, ep plan.Endpoint) (plan.AccountPlan, error) {
					replans = append(replans, replanCall{i, ep})
					if tc.replanErr != nil {
						return plan.AccountPlan{}, tc.replanErr
					}
					return withChanges(tc.accounts[i].Account, tc.replanChanges), nil
				},
				UseTopic: func(_ context.Context, i int, arn string) (plan.AccountPlan, error) {
					replans = append(replans, topicCall(i, arn))
					return withChanges(tc.accounts[i].Account, tc.replanChanges), nil
				},
			}
			for i := range tc.accounts {
				tc.accounts[i].TopicCandidates = tc.topics[tc.accounts[i].Account]
			}
			if !tc.noPrompt {
				s.Prompt = scriptedPrompter{decisions: tc.decisions, notify: tc.notify, errs: tc.errs, rest: tc.rest, log: &asked}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelled {
				cancel()
			}
			input := append([]plan.AccountPlan(nil), tc.accounts...)

			got, approvals, err := s.Approve(ctx, tc.accounts)

			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.want, approvals)
			require.Equal(t, tc.wantAsked, asked)
			require.Equal(t, tc.wantReplans, replans)
			require.Len(t, got, len(tc.accounts))
			if tc.wantChanges != nil {
				var changes []int
				for _, a := range got {
					changes = append(changes, len(a.Changes))
				}
				require.Equal(t, tc.wantChanges, changes)
			}
			require.Equal(t, input, tc.accounts, "Approve returns re-planned accounts, it never rewrites its argument")
		})
	}
}

var errInjected = errors.New("test failure")

// A Show error stops the walk before the account is asked about.
func TestSessionApproveShowError(t *testing.T) {
	var asked []string
	s := Session{
		Prompt: scriptedPrompter{log: &asked},
		Show:   func(plan.AccountPlan) error { return errInjected },
	}
	_, approvals, err := s.Approve(context.Background(), []plan.AccountPlan{withChanges("A", 1), withChanges("B", 1)})
	require.ErrorIs(t, err, errInjected)
	require.Empty(t, asked)
	require.Equal(t, []Approval{NothingToDo, NothingToDo}, approvals)
}
