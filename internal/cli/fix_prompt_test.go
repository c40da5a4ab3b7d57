package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

// answeringPrompter stands in for the person at the terminal through
// env.prompt: it answers by account and logs every question asked.
type answeringPrompter struct {
	approve map[string]fix.Decision // an account not listed gets Enter: Skip
	notify  map[string]string
	// rest answers the question after All.
	rest bool
	// interruptAt is the account whose approval prompt gets Ctrl-C.
	interruptAt string
	asked       []string
}

func (p *answeringPrompter) Approve(a plan.AccountPlan) (fix.Decision, error) {
	p.asked = append(p.asked, "approve "+a.Account)
	if a.Account == p.interruptAt {
		return fix.Skip, fix.ErrCancelled
	}
	return p.approve[a.Account], nil
}

func (p *answeringPrompter) Notify(a plan.AccountPlan, _ []fix.Offer) (string, error) {
	p.asked = append(p.asked, "notify "+a.Account)
	return p.notify[a.Account], nil
}

func (p *answeringPrompter) ApproveRest(accounts []plan.AccountPlan) (bool, error) {
	q := "approve rest"
	for _, a := range accounts {
		q += " " + a.Account
	}
	p.asked = append(p.asked, q)
	return p.rest, nil
}

// runFixAsking runs fix with no terminal but someone to ask.
func runFixAsking(t *testing.T, p fix.Prompter, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	e, out, errOut := testEnv()
	e.prompt = p
	args = append([]string{"trailwatch", "fix", "--journal", filepath.Join(t.TempDir(), "journal.jsonl")}, args...)
	code = runApp(context.Background(), e, args)
	return code, out.String(), errOut.String()
}

// writeRequests are the logged requests that changed something: every
// action but the reads (Describe, Get, List, Test) and STS, which mints
// identities.
func writeRequests(srv *sandbox.Server) []sandbox.LogEntry {
	var out []sandbox.LogEntry
	for _, e := range srv.Requests() {
		if e.Service == "sts" || strings.HasPrefix(e.Action, "Describe") || strings.HasPrefix(e.Action, "Get") ||
			strings.HasPrefix(e.Action, "List") || strings.HasPrefix(e.Action, "Test") {
			continue
		}
		out = append(out, e)
	}
	return out
}

func writeCalls(srv *sandbox.Server) []string {
	var out []string
	for _, e := range writeRequests(srv) {
		out = append(out, e.Service+":"+e.Action)
	}
	return out
}

// writtenAccounts lists the accounts that saw a write, each once, sorted:
// accounts are applied in parallel.
func writtenAccounts(srv *sandbox.Server) []string {
	var out []string
	for _, e := range writeRequests(srv) {
		if !slices.Contains(out, e.Account) {
			out = append(out, e.Account)
		}
	}
	slices.Sort(out)
	return out
}

const testQueue = "sqs:arn:aws:sqs:us-east-1:111111111111:q"

// A declined prompt writes nothing; the summary says so.
func TestFixDeclinedAtThePromptWritesNothing(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	p := &answeringPrompter{}
	code, out, stderr := runFixAsking(t, p, "--notify", testQueue)
	require.Equal(t, exitFindings, code, stderr)
	require.Equal(t, []string{"approve " + sandbox.DefaultAccount}, p.asked)
	require.Empty(t, writeCalls(srv))
	require.Contains(t, stderr, "+ sns:CreateTopic", "the diff is shown where the question is asked")
	require.NotContains(t, out, "+ sns:CreateTopic", "stdout, not a terminal, keeps only the result")
	require.Contains(t, out, "FAIL NO_ALARM (declined)")
	require.Contains(t, stderr, "FAIL NO_ALARM (declined)", "the person sees the summary too")
}

// Three accounts of a fleet, each with changes: the answers decide which
// are written; after Quit nobody is asked again, after All the rest are
// asked once, together.
func TestFixPromptAcrossAccounts(t *testing.T) {
	// Fleet accounts 7, 8 and 9 fail NO_MATCHING_FILTER, NO_ALARM and
	// ALARM_CANNOT_FIRE: each has changes to approve.
	accounts := []string{"100000000007", "100000000008", "100000000009"}
	for _, tc := range []struct {
		name    string
		approve map[string]fix.Decision
		rest    bool
		asked   []string // each "approve " + this
		written []string
		code    int
	}{
		{
			name:  "Enter at every account writes nothing",
			asked: accounts,
			code:  exitFindings,
		},
		{
			name:    "Quit at the first account skips them all",
			approve: map[string]fix.Decision{accounts[0]: fix.Quit},
			asked:   accounts[:1],
			code:    exitFindings,
		},
		{
			name:    "Yes then Quit writes the first account only",
			approve: map[string]fix.Decision{accounts[0]: fix.Yes, accounts[1]: fix.Quit},
			asked:   accounts[:2],
			written: accounts[:1],
			code:    exitFindings,
		},
		{
			name:    "Skip then All, then y for the rest writes the rest",
			approve: map[string]fix.Decision{accounts[1]: fix.All},
			rest:    true,
			asked:   append(accounts[:2:2], "rest "+accounts[2]),
			written: accounts[1:],
			code:    exitFindings,
		},
		{
			name:    "All at the first account, then y writes every one",
			approve: map[string]fix.Decision{accounts[0]: fix.All},
			rest:    true,
			asked:   []string{accounts[0], "rest " + accounts[1] + " " + accounts[2]},
			written: accounts,
			code:    exitOK,
		},
		{
			name:    "All at the first account, then Enter for the rest writes the first only",
			approve: map[string]fix.Decision{accounts[0]: fix.All},
			asked:   []string{accounts[0], "rest " + accounts[1] + " " + accounts[2]},
			written: accounts[:1],
			code:    exitFindings,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fleetProfiles(t, accounts)
			p := &answeringPrompter{approve: tc.approve, rest: tc.rest}
			code, out, stderr := runFixAsking(t, p, "--profile", strings.Join(accounts, ","), "--notify", testQueue)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
			var asked []string
			for _, a := range tc.asked {
				asked = append(asked, "approve "+a)
			}
			require.Equal(t, asked, p.asked)
			written := writtenAccounts(srv)
			require.Equal(t, tc.written, written)
			for _, a := range accounts {
				if !slices.Contains(tc.written, a) {
					require.Regexp(t, a+`\s+`+a+`\s+\S+\s+FAIL \w+ \(declined\)`, out)
				}
			}
		})
	}
}

// fleetProfiles serves a fleet that reaches the given accounts and writes
// one profile per account, named by its ID, into the shared files.
// Every account is asked before any is applied, so Ctrl-C at a later
// prompt leaves an account approved earlier untouched too.
func TestFixCtrlCAtALaterPromptWritesNothing(t *testing.T) {
	accounts := []string{"100000000007", "100000000008", "100000000009"}
	srv := fleetProfiles(t, accounts)
	p := &answeringPrompter{approve: map[string]fix.Decision{accounts[0]: fix.Yes}, interruptAt: accounts[1]}
	code, out, stderr := runFixAsking(t, p, "--profile", strings.Join(accounts, ","), "--notify", testQueue)
	require.Equal(t, exitCancelled, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	require.Equal(t, []string{"approve " + accounts[0], "approve " + accounts[1]}, p.asked)
	require.Empty(t, writeCalls(srv))
	require.Contains(t, stderr, "cancelled")
}

func fleetProfiles(t *testing.T, accounts []string) *sandbox.Server {
	t.Helper()
	srv := startSandbox(t, "fleet")
	require.NoError(t, srv.LoadScenario("fleet", sandbox.ScenarioParams{Accounts: 19}))
	var config, creds strings.Builder
	for _, a := range accounts {
		config.WriteString("[profile " + a + "]\nregion = " + sandbox.DefaultRegion + "\n")
		creds.WriteString("[" + a + "]\naws_access_key_id = " + sandbox.AccessKeyFor(a) + "\naws_secret_access_key = s\n")
	}
	require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(config.String()), 0o600))
	require.NoError(t, os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(creds.String()), 0o600))
	// Keys in the environment would win over every profile.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	return srv
}

// An account blocked for want of a subscriber is asked whom to notify
// instead of being drawn up front; when the answer is empty it stays
// blocked, and the summary's "needs you: see above" must find the reason
// above it.
func TestFixEmptyNotifyAnswerStillExplainsTheBlock(t *testing.T) {
	srv := startSandbox(t, "no-alarm")
	p := &answeringPrompter{}
	code, out, stderr := runFixAsking(t, p)
	require.Equal(t, exitFindings, code, stderr)
	require.Equal(t, []string{"notify " + sandbox.DefaultAccount}, p.asked)
	require.Empty(t, writeCalls(srv))
	require.Contains(t, out, "FAIL NO_ALARM (needs you: see above)")
	summary := strings.Index(stderr, "Summary")
	require.Positive(t, summary, stderr)
	require.Contains(t, stderr[summary:], "FAIL NO_ALARM (needs you: see above)")
	require.Contains(t, stderr[:summary], "Account "+sandbox.DefaultAccount+": no changes planned\n  a new SNS topic needs someone to notify", "the reason is drawn above the summary")
}
