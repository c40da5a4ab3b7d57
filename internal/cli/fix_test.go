package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/sandbox"
)

// startFixSandbox is startSandbox for fix: besides pointing the SDK at the
// sandbox, it moves the default journal location into a temporary
// directory, so that no test can ever write the user's state directory.
func startFixSandbox(t *testing.T, scenario string) *sandbox.Server {
	t.Helper()
	srv := startSandbox(t, scenario)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	return srv
}

// runFixCmd runs `trailwatch fix` with no terminal. Unless args name a
// journal, it journals into a fresh temporary file.
func runFixCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if !slices.Contains(args, "--journal") {
		args = append(args, "--journal", filepath.Join(t.TempDir(), "journal.jsonl"))
	}
	e, out, errOut := testEnv()
	code = runApp(context.Background(), e, append([]string{"trailwatch", "fix"}, args...))
	return code, out.String(), errOut.String()
}

// isWriteRequest is the rule every fix test judges the request log by: an action
// that reads starts with Describe, Get, List or Test (as IAM's access levels
// name them, e.g. logs:TestMetricFilter); every other action changes
// something. STS is not a resource the tool could change: its requests
// (GetCallerIdentity, AssumeRole) mint identities, not state.
func isWriteRequest(e sandbox.LogEntry) bool {
	if e.Service == "sts" {
		return false
	}
	for _, p := range []string{"Describe", "Get", "List", "Test"} {
		if strings.HasPrefix(e.Action, p) {
			return false
		}
	}
	return true
}

// iamAction names a logged request the way IAM policies do: the sandbox
// logs CloudWatch by its signing name, "monitoring".
func iamAction(e sandbox.LogEntry) string {
	service := e.Service
	if service == "monitoring" {
		service = "cloudwatch"
	}
	return service + ":" + e.Action
}

// fixWritesSince returns the write requests logged after the first n entries.
func fixWritesSince(srv *sandbox.Server, n int) []string {
	var out []string
	for _, e := range srv.Requests()[n:] {
		if isWriteRequest(e) {
			out = append(out, iamAction(e))
		}
	}
	return out
}

func fixStateDump(t *testing.T, srv *sandbox.Server) []byte {
	t.Helper()
	b, err := srv.DumpState()
	require.NoError(t, err)
	return b
}

// readFixJournal parses a journal file, one entry per line; a journal never
// created has no entries.
func readFixJournal(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "journal line %q", sc.Text())
		out = append(out, e)
	}
	require.NoError(t, sc.Err())
	return out
}

// policyActions reads the Allow actions of docs/iam/NAME, or reports that
// the file does not exist yet.
func policyActions(t *testing.T, name string) ([]string, bool) {
	t.Helper()
	b, err := os.ReadFile(repoFile("docs/iam/" + name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	require.NoError(t, err)
	var doc struct {
		Statement []struct {
			Effect string
			Action json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(b, &doc), "docs/iam/%s", name)
	var actions []string
	for _, s := range doc.Statement {
		if s.Effect != "Allow" {
			continue
		}
		var list []string
		if err := json.Unmarshal(s.Action, &list); err != nil {
			var one string
			require.NoError(t, json.Unmarshal(s.Action, &one), "Action of a statement: a string or a list")
			list = []string{one}
		}
		actions = append(actions, list...)
	}
	return actions, true
}

// policyAllows matches an action against policy actions the way IAM does:
// case-insensitively, with * and ? wildcards.
func policyAllows(actions []string, action string) bool {
	for _, a := range actions {
		if ok, _ := filepath.Match(strings.ToLower(a), strings.ToLower(action)); ok {
			return true
		}
	}
	return false
}

// fixNotify is the subscriber every per-reason run asks for; email starts
// pending, so each run also shows what a person must do.
const fixNotify = "email:sec@example.com"

// fixExpect says what fix --yes does to each FAIL scenario of the sandbox.
// writes is the exact sequence of write requests of the first run (the plan
// of TestPlanCommandEveryFailScenario, applied in order); after is check's
// verdict right after it, with the new email subscription still pending.
// blocked is a phrase of the explanation for reasons plan leaves to a
// person (plan/build.go, blocked()).
var fixExpect = map[string]struct {
	writes  string
	after   string
	blocked string
	// noSubscriber: the plan reuses a topic whose subscriber is confirmed,
	// so nobody new is subscribed and nothing waits for confirmation.
	noSubscriber bool
}{
	"NO_MULTI_REGION_TRAIL":          {blocked: "trailwatch does not create trails"},
	"TRAIL_NOT_LOGGING":              {blocked: "trailwatch will not restart it: run aws cloudtrail start-logging"},
	"MANAGEMENT_EVENTS_NOT_CAPTURED": {blocked: "does not capture all management events"},
	"LOGS_DELIVERY_FAILING":          {blocked: "delivery is failing; trailwatch never re-points a wired trail"},
	// In these two the new filter emits the default metric, which the
	// scenario's own alarm (with its confirmed subscriber) already watches:
	// PASS at once, while the new email is still pending.
	"NO_CLOUDWATCH_LOGS": {writes: "logs:CreateLogGroup iam:CreateRole iam:PutRolePolicy cloudtrail:UpdateTrail logs:PutMetricFilter",
		after: "PASS", noSubscriber: true},
	"NO_MATCHING_FILTER":      {writes: "logs:PutMetricFilter", after: "PASS", noSubscriber: true},
	"NO_ALARM":                {writes: "sns:CreateTopic sns:Subscribe cloudwatch:PutMetricAlarm", after: "FAIL NO_CONFIRMED_SUBSCRIBER"},
	"ALARM_CANNOT_FIRE":       {writes: "cloudwatch:PutMetricAlarm", after: "PASS", noSubscriber: true},
	"NO_ALARM_TOPIC":          {writes: "sns:CreateTopic sns:Subscribe cloudwatch:PutMetricAlarm", after: "FAIL NO_CONFIRMED_SUBSCRIBER"},
	"NO_CONFIRMED_SUBSCRIBER": {writes: "sns:Subscribe", after: "FAIL NO_CONFIRMED_SUBSCRIBER"},
}

// fixCheckStatus runs check --output json for the one account of a scenario.
func fixCheckStatus(t *testing.T) (int, string) {
	t.Helper()
	code, rep := checkJSON(t)
	require.Len(t, rep.Results, 1)
	return code, rep.Results[0].Verdict().String()
}

// Every FAIL scenario through fix --yes, the real SDK and wire protocols:
// fixable ones reach PASS once the email is confirmed, and a second run then
// changes nothing; the ones left to a person are not touched at all.
func TestFixCommandEveryFailScenario(t *testing.T) {
	written, called := map[string]bool{}, map[string]bool{}
	// fixRun records every request of a fix run, by IAM action.
	fixRun := func(srv *sandbox.Server, mark int) {
		for _, e := range srv.Requests()[mark:] {
			if e.Service != "sts" {
				called[iamAction(e)] = true
			}
		}
	}
	for _, reason := range sandbox.FailReasons {
		t.Run(reason, func(t *testing.T) {
			want, ok := fixExpect[reason]
			require.True(t, ok, "a new FAIL reason needs its expectation in fixExpect")
			srv := startFixSandbox(t, reason)
			args := []string{"--yes", "--notify", fixNotify}
			if reason == "NO_CLOUDWATCH_LOGS" || want.blocked != "" {
				// Blocked even when allowed to wire logs.
				args = append(args, "--wire-logs")
			}
			journal := filepath.Join(t.TempDir(), "journal.jsonl")
			before := fixStateDump(t, srv)

			code, out, stderr := runFixCmd(t, append(args, "--journal", journal)...)
			fixRun(srv, 0)

			if want.blocked != "" {
				require.Equal(t, exitFindings, code, "a FAIL left to a person is still a finding\n%s%s", out, stderr)
				require.Empty(t, fixWritesSince(srv, 0), "fix wrote to an account it cannot fix")
				require.Equal(t, string(before), string(fixStateDump(t, srv)))
				require.Contains(t, out, "no changes planned")
				require.Contains(t, out, want.blocked, "stdout explains why")
				require.Contains(t, out, "FAIL "+reason+" (needs you: see above)", "the summary points at the explanation")
				require.NotContains(t, out, "Confirm subscription")
				require.Empty(t, readFixJournal(t, journal))
				return
			}

			writes := fixWritesSince(srv, 0)
			require.Equal(t, want.writes, strings.Join(writes, " "), "fix writes exactly the plan, in order\n%s%s", out, stderr)
			for _, w := range writes {
				written[w] = true
			}
			wantCode := exitFindings
			if want.after == "PASS" {
				wantCode = exitOK
			}
			require.Equal(t, wantCode, code, "%s%s", out, stderr)
			require.Contains(t, out, fmt.Sprintf("applied %d of %d changes", len(writes), len(writes)))
			require.Contains(t, out, "check: FAIL "+reason+" → "+want.after)
			if !want.noSubscriber {
				require.Contains(t, out, `follow "Confirm subscription"`, "the pending email is explained")
				require.Contains(t, out, "sec@example.com")
				require.Contains(t, out, "confirmation pending", "the summary says so too")
			}
			entries := readFixJournal(t, journal)
			var ops []string
			for _, e := range entries {
				ops = append(ops, e["operation"].(string))
				require.Equal(t, "ok", e["result"])
			}
			require.Equal(t, writes, ops, "one journal line per write")

			code, now := fixCheckStatus(t)
			require.Equal(t, want.after, now)
			require.Equal(t, wantCode, code)

			require.Equal(t, want.noSubscriber, len(srv.ConfirmPendingSubscriptions()) == 0, "the new email subscription was pending")
			code, now = fixCheckStatus(t)
			require.Equal(t, "PASS", now)
			require.Equal(t, exitOK, code)

			// Re-running converges: nothing left to plan, nothing written.
			n := len(srv.Requests())
			second := filepath.Join(t.TempDir(), "journal.jsonl")
			code, out, stderr = runFixCmd(t, append(args, "--journal", second)...)
			fixRun(srv, n)
			require.Equal(t, exitOK, code, "%s%s", out, stderr)
			require.Empty(t, fixWritesSince(srv, n), "a second fix wrote")
			require.Contains(t, out, "compliant, no changes")
			require.Contains(t, out, "No changes.")
			require.NotContains(t, out, "Confirm subscription")
			require.Empty(t, readFixJournal(t, second))
		})
	}
	t.Run("every write is in docs/iam/fix-policy.json", func(t *testing.T) {
		actions, ok := policyActions(t, "fix-policy.json")
		if !ok {
			t.Skip("docs/iam/fix-policy.json does not exist yet")
		}
		if len(written) == 0 {
			t.Skip("no fix ran in this invocation (filtered out by -run)")
		}
		for _, w := range slices.Sorted(maps.Keys(written)) {
			require.Truef(t, policyAllows(actions, w), "fix called %s, which docs/iam/fix-policy.json does not allow", w)
		}
	})
	// What a user granted check's, plan's and fix's documented policies can
	// run fix with: every request fix made (STS needs no permission).
	t.Run("every request is in docs/iam policies", func(t *testing.T) {
		var all []string
		for _, name := range []string{"check-policy.json", "plan-policy.json", "fix-policy.json"} {
			actions, ok := policyActions(t, name)
			if !ok {
				t.Skipf("docs/iam/%s does not exist yet", name)
			}
			all = append(all, actions...)
		}
		if len(called) == 0 {
			t.Skip("no fix ran in this invocation (filtered out by -run)")
		}
		for _, a := range slices.Sorted(maps.Keys(called)) {
			require.Truef(t, policyAllows(all, a), "fix called %s, which no docs/iam policy allows", a)
		}
	})
}

// --dry-run shows the diff and calls no write API — even with --yes — and
// exits 1 while changes are pending, 0 when there are none. It keeps no
// journal: there is nothing to record.
func TestFixCommandDryRun(t *testing.T) {
	for _, tc := range []struct {
		name, scenario string
		args           []string
		code           int
		want           string
	}{
		{"changes pending", "NO_ALARM", []string{"--notify", fixNotify}, exitFindings, "+ sns:CreateTopic"},
		{"changes pending, with --yes", "NO_ALARM", []string{"--yes", "--notify", fixNotify}, exitFindings, "+ cloudwatch:PutMetricAlarm"},
		{"log wiring pending", "NO_CLOUDWATCH_LOGS", []string{"--notify", fixNotify, "--wire-logs"}, exitFindings, "~ cloudtrail:UpdateTrail"},
		{"left to a person", "TRAIL_NOT_LOGGING", []string{"--notify", fixNotify}, exitFindings, "no changes planned"},
		{"compliant", "compliant", []string{"--notify", fixNotify}, exitOK, "compliant, no changes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFixSandbox(t, tc.scenario)
			before := fixStateDump(t, srv)
			journal := filepath.Join(t.TempDir(), "journal.jsonl")
			code, out, stderr := runFixCmd(t, append([]string{"--dry-run", "--journal", journal}, tc.args...)...)
			require.Equal(t, tc.code, code, "%s%s", out, stderr)
			require.NotEmpty(t, srv.Requests(), "dry run reads to plan")
			require.Empty(t, fixWritesSince(srv, 0), "--dry-run called a write API")
			require.Equal(t, string(before), string(fixStateDump(t, srv)))
			require.Contains(t, out, tc.want)
			require.Contains(t, out, "Dry run: nothing was changed.")
			require.NotContains(t, out, "applied")
			require.NoFileExists(t, journal)
		})
	}
}

// Without a terminal to ask at and without --yes, fix refuses before it
// reads anything: exit 2, the way out on stderr, no request at all, no
// journal. A terminal on stdout and stderr is not enough when stdin is a
// pipe: there is no one to answer.
func TestFixCommandRefusesWithoutTerminalOrYes(t *testing.T) {
	for name, terminal := range map[string]bool{"no terminal": false, "stdin piped": true} {
		t.Run(name, func(t *testing.T) {
			srv := startFixSandbox(t, "NO_ALARM")
			before := fixStateDump(t, srv)
			journal := filepath.Join(t.TempDir(), "journal.jsonl")
			e, out, errOut := testEnv()
			e.stdin = strings.NewReader("y\n")
			e.isTerminal = func(any) bool { return terminal }
			code := runApp(context.Background(), e, []string{"trailwatch", "fix", "--notify", fixNotify, "--journal", journal})
			require.Equal(t, exitUsage, code, errOut.String())
			require.Contains(t, errOut.String(), "pass --yes")
			require.Empty(t, out.String())
			require.Empty(t, srv.Requests(), "fix made API requests before refusing")
			require.Equal(t, string(before), string(fixStateDump(t, srv)))
			require.NoFileExists(t, journal)
		})
	}
}

// The journal: one JSON line per applied change with account, region,
// operation, the request sent, result "ok" and the time; a second run
// appends after the first run's lines, which stay byte for byte.
func TestFixCommandJournal(t *testing.T) {
	srv := startFixSandbox(t, "NO_ALARM")
	journal := filepath.Join(t.TempDir(), "state", "journal.jsonl")
	start := time.Now().UTC().Truncate(time.Second)

	code, out, stderr := runFixCmd(t, "--yes", "--notify", fixNotify, "--journal", journal)
	require.Equal(t, exitFindings, code, "%s%s", out, stderr)
	require.Contains(t, stderr, "journal: "+journal)
	first, err := os.ReadFile(journal)
	require.NoError(t, err)
	info, err := os.Stat(journal)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), "the journal is private to the user")

	entries := readFixJournal(t, journal)
	require.Len(t, entries, 3, string(first))
	wantOps := []string{"sns:CreateTopic", "sns:Subscribe", "cloudwatch:PutMetricAlarm"}
	wantChanges := []string{"topic", "subscribe-1", "alarm"}
	for i, e := range entries {
		require.Equal(t, sandbox.DefaultAccount, e["account"])
		require.Equal(t, sandbox.DefaultRegion, e["region"])
		require.Equal(t, wantOps[i], e["operation"])
		require.Equal(t, wantChanges[i], e["change"])
		require.Equal(t, "ok", e["result"])
		require.NotEmpty(t, e["target"])
		require.NotContains(t, e, "error")
		when, err := time.Parse(time.RFC3339Nano, e["time"].(string))
		require.NoError(t, err)
		require.False(t, when.Before(start), "time %s is the time of the write", when)
		require.IsType(t, map[string]any{}, e["request"], "the request sent is recorded")
	}
	require.Equal(t, "trailwatch-cloudtrail-changes", entries[0]["request"].(map[string]any)["Name"])
	sub := entries[1]["request"].(map[string]any)
	require.Equal(t, "email", sub["Protocol"])
	require.Equal(t, "sec@example.com", sub["Endpoint"])
	require.Equal(t, "pending confirmation", entries[1]["detail"])
	require.Equal(t, "trailwatch-cloudtrail-changes", entries[2]["request"].(map[string]any)["AlarmName"])

	// The same account broken the same way again: the same three writes,
	// appended.
	require.NoError(t, srv.LoadScenario("NO_ALARM", sandbox.ScenarioParams{}))
	code, out, stderr = runFixCmd(t, "--yes", "--notify", fixNotify, "--journal", journal)
	require.Equal(t, exitFindings, code, "%s%s", out, stderr)
	both, err := os.ReadFile(journal)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(both, first), "the second run rewrote the first run's lines")
	entries = readFixJournal(t, journal)
	require.Len(t, entries, 6)
	for i, e := range entries[3:] {
		require.Equal(t, wantOps[i], e["operation"])
		require.Equal(t, "ok", e["result"])
	}
}

// While the email is unconfirmed, running fix again writes nothing but the
// subscription, which makes SNS send the confirmation message again
// (plan/build.go subscriptions: a pending endpoint is planned again).
func TestFixCommandRerunWhilePendingOnlyResubscribes(t *testing.T) {
	srv := startFixSandbox(t, "NO_ALARM")
	code, out, stderr := runFixCmd(t, "--yes", "--notify", fixNotify)
	require.Equal(t, exitFindings, code, "%s%s", out, stderr)
	n := len(srv.Requests())
	code, out, stderr = runFixCmd(t, "--yes", "--notify", fixNotify)
	require.Equal(t, exitFindings, code, "%s%s", out, stderr)
	require.Equal(t, []string{"sns:Subscribe"}, fixWritesSince(srv, n))
	require.Contains(t, out, "check: FAIL NO_CONFIRMED_SUBSCRIBER → FAIL NO_CONFIRMED_SUBSCRIBER")
	require.Contains(t, out, `follow "Confirm subscription"`)
}

// fleetNotify is a queue: the sandbox confirms SQS subscriptions at once,
// so a bulk run can end all PASS with nobody clicking a link.
const fleetNotify = "sqs:arn:aws:sqs:us-east-1:111111111111:alerts"

// startFleet loads the fleet scenario with n accounts and writes shared
// config and credentials files with one profile per account, named by it.
func startFleet(t *testing.T, n int) *sandbox.Server {
	t.Helper()
	srv := startFixSandbox(t, "fleet")
	require.NoError(t, srv.LoadScenario("fleet", sandbox.ScenarioParams{Accounts: n}))
	var cfg, creds strings.Builder
	accounts := srv.Credentials()
	require.Len(t, accounts, n)
	for _, c := range accounts {
		fmt.Fprintf(&cfg, "[profile %s]\nregion = us-east-1\n", c.Account)
		fmt.Fprintf(&creds, "[%s]\naws_access_key_id = %s\naws_secret_access_key = anything\n", c.Account, c.AccessKey)
	}
	require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(cfg.String()), 0o600))
	require.NoError(t, os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(creds.String()), 0o600))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	return srv
}

// fleetStatus is check --all-profiles, by account.
func fleetStatus(t *testing.T) (int, map[string]string) {
	t.Helper()
	code, rep := checkJSON(t, "--all-profiles")
	out := map[string]string{}
	for _, r := range rep.Results {
		out[r.Account] = r.Verdict().String()
	}
	require.Len(t, out, len(rep.Results), "one result per account")
	return code, out
}

// fixSummaryRows returns the account column of fix's summary table.
func fixSummaryRows(t *testing.T, out string) map[string]string {
	t.Helper()
	_, table, ok := strings.Cut(out, "Summary\nACCOUNT")
	require.True(t, ok, "no summary table in:\n%s", out)
	rows := map[string]string{}
	for _, line := range strings.Split(table, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 0 {
			rows[f[0]] = line
		}
	}
	return rows
}

// writesByAccount groups the write requests after the first n log entries.
func writesByAccount(srv *sandbox.Server, n int) map[string][]string {
	out := map[string][]string{}
	for _, e := range srv.Requests()[n:] {
		if isWriteRequest(e) {
			out[e.Account] = append(out[e.Account], iamAction(e))
		}
	}
	return out
}

// personOnlyReasons are the FAIL reasons plan leaves to a person.
var personOnlyReasons = []string{"NO_MULTI_REGION_TRAIL", "TRAIL_NOT_LOGGING", "MANAGEMENT_EVENTS_NOT_CAPTURED", "LOGS_DELIVERY_FAILING"}

// doPersonsPart repairs, in a state dump, the trail links that only a
// person may repair, and removes the account's alarms, so that what is
// left (NO_ALARM) is fix's job.
func doPersonsPart(t *testing.T, srv *sandbox.Server, accounts []string) {
	t.Helper()
	var st map[string]any
	require.NoError(t, json.Unmarshal(fixStateDump(t, srv), &st))
	for _, id := range accounts {
		region := st["accounts"].(map[string]any)[id].(map[string]any)["regions"].(map[string]any)[sandbox.DefaultRegion].(map[string]any)
		trail := region["trails"].(map[string]any)["management-events"].(map[string]any)
		trail["isMultiRegionTrail"], trail["isLogging"] = true, true
		trail["eventSelectors"] = []any{map[string]any{"readWriteType": "All", "includeManagementEvents": true}}
		for _, k := range []string{"stopLoggingTime", "hasCustomEventSelectors", "latestCloudWatchLogsDeliveryError"} {
			delete(trail, k)
		}
		region["alarms"] = map[string]any{}
	}
	b, err := json.Marshal(st)
	require.NoError(t, err)
	require.NoError(t, srv.LoadState(b))
}

// fixGate holds each request whose body contains marker until another such
// request is in flight, proving that two were sent at once. It gives up
// after a generous wait (then opens for good), so a serial run fails the
// test once instead of hanging: the wait bounds a failure, never a pass.
type fixGate struct {
	marker   []byte
	mu       sync.Mutex
	inflight int
	met      bool
	open     chan struct{}
	once     sync.Once
}

func (g *fixGate) overlapped() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.met
}

// overlapGate puts a gate in front of the sandbox and points the SDK at it.
func overlapGate(t *testing.T, srv *sandbox.Server, marker string) *fixGate {
	t.Helper()
	g := &fixGate{marker: []byte(marker), open: make(chan struct{})}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, g.marker) {
			g.mu.Lock()
			g.inflight++
			if g.inflight >= 2 {
				g.met = true
				g.once.Do(func() { close(g.open) })
			}
			g.mu.Unlock()
			select {
			case <-g.open:
			case <-time.After(20 * time.Second):
				g.once.Do(func() { close(g.open) })
			}
			defer func() {
				g.mu.Lock()
				g.inflight--
				g.mu.Unlock()
			}()
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	t.Setenv("AWS_ENDPOINT_URL", front.URL)
	return g
}

// Bulk: 20 accounts, each its own profile, fixed 8 at a time in one run
// (docs/design.md, "What fix may do"). The fleet cycles through every FAIL reason; for the
// ones left to a person, the person's part is done first, so every account
// is fix's to finish: exit 0, a summary row per account, and check then
// finds all 20 PASS.
func TestFixCommandBulkFleet(t *testing.T) {
	const n = 20
	srv := startFleet(t, n)
	_, before := fleetStatus(t)
	require.Len(t, before, n)
	var blocked []string
	for account, status := range before {
		for _, r := range personOnlyReasons {
			if status == "FAIL "+r {
				blocked = append(blocked, account)
			}
		}
	}
	require.NotEmpty(t, blocked, "the fleet has accounts only a person can fix: %v", before)
	doPersonsPart(t, srv, blocked)
	_, before = fleetStatus(t)
	fixed := 0
	for account, status := range before {
		require.NotContains(t, personOnlyReasons, strings.TrimPrefix(status, "FAIL "), account)
		if status != "PASS" {
			fixed++
		}
	}
	require.GreaterOrEqual(t, fixed, n-3, "nearly every account has something to fix: %v", before)

	gate := overlapGate(t, srv, "Action=CreateTopic")
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	mark := len(srv.Requests())
	code, out, stderr := runFixCmd(t, "--yes", "--all-profiles", "--parallel", "8", "--wire-logs", "--notify", fleetNotify, "--journal", journal)
	require.Equal(t, exitOK, code, "%s%s", out, stderr)

	rows := fixSummaryRows(t, out)
	require.Len(t, rows, n, out)
	for account, status := range before {
		require.Contains(t, rows, account)
		require.Contains(t, rows[account], account+"  ") // the profile is named after it
		require.Regexp(t, `\sPASS( |$)`, rows[account])
		if status != "PASS" {
			require.Contains(t, out, "check: "+status+" → PASS")
		}
	}
	require.NotContains(t, out, "Confirm subscription", "queues need no confirmation")
	require.True(t, gate.overlapped(), "--parallel 8 never had two accounts creating their topic at once")

	writes := writesByAccount(srv, mark)
	require.Len(t, writes, fixed, "every account that needed a change got writes, no other")
	total := 0
	for account, ops := range writes {
		require.NotEqual(t, "PASS", before[account], "fix wrote to compliant account %s", account)
		switch before[account] {
		case "FAIL NO_CONFIRMED_SUBSCRIBER":
			require.Equal(t, []string{"sns:Subscribe"}, ops, account)
		case "FAIL NO_MATCHING_FILTER", "FAIL NO_CLOUDWATCH_LOGS":
			require.Equal(t, "logs:PutMetricFilter", ops[len(ops)-1], "the scenario's alarm works: the filter is the last write in %s", account)
			require.NotContains(t, ops, "cloudwatch:PutMetricAlarm", account)
		default:
			require.Equal(t, "cloudwatch:PutMetricAlarm", ops[len(ops)-1], "the alarm is the last write in %s", account)
		}
		total += len(ops)
	}
	entries := readFixJournal(t, journal)
	require.Len(t, entries, total, "one journal line per write, across parallel accounts")
	for _, e := range entries {
		require.Equal(t, "ok", e["result"])
		require.Equal(t, e["account"], e["profile"])
	}

	code, after := fleetStatus(t)
	require.Equal(t, exitOK, code)
	require.Len(t, after, n)
	for account, status := range after {
		require.Equal(t, "PASS", status, account)
	}
}

// The fleet as generated, in one bulk run: the accounts only a person can
// fix get no write and an explanation, the others are fixed and PASS; the
// run exits 1 because some accounts still fail. A second run converges:
// it writes nothing anywhere.
func TestFixCommandBulkFleetLeavesPersonOnlyAccounts(t *testing.T) {
	const n = 20
	srv := startFleet(t, n)
	_, before := fleetStatus(t)
	mark := len(srv.Requests())
	code, out, stderr := runFixCmd(t, "--yes", "--all-profiles", "--parallel", "8", "--wire-logs", "--notify", fleetNotify)
	require.Equal(t, exitFindings, code, "%s%s", out, stderr)
	rows := fixSummaryRows(t, out)
	require.Len(t, rows, n, out)
	writes := writesByAccount(srv, mark)
	_, after := fleetStatus(t)
	left := 0
	for account, status := range before {
		if slices.Contains(personOnlyReasons, strings.TrimPrefix(status, "FAIL ")) {
			left++
			require.NotContains(t, writes, account, "fix wrote to %s (%s)", account, status)
			require.Equal(t, status, after[account])
			require.Contains(t, rows[account], "(needs you: see above)")
			continue
		}
		require.Equal(t, "PASS", after[account], "%s was %s", account, status)
	}
	require.Equal(t, 8, left, "20 accounts cycle twice through the 4 reasons left to a person: %v", before)
	require.Contains(t, out, "no changes planned")

	mark = len(srv.Requests())
	code, out, stderr = runFixCmd(t, "--yes", "--all-profiles", "--parallel", "8", "--wire-logs", "--notify", fleetNotify)
	require.Equal(t, exitFindings, code, "%s%s", out, stderr)
	require.Empty(t, writesByAccount(srv, mark), "the second bulk run wrote")
	require.Contains(t, out, "No changes planned. 8 accounts need a person: see above.")
	require.Len(t, fixSummaryRows(t, out), n)
}
