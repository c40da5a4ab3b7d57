package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/sandbox"
)

// startOrg serves an org scenario with n members; the default credentials
// are the management account's.
func startOrg(t *testing.T, scenario string, n int) *sandbox.Server {
	t.Helper()
	srv := startFixSandbox(t, scenario)
	require.NoError(t, srv.LoadScenario(scenario, sandbox.ScenarioParams{Accounts: n}))
	return srv
}

// runWith runs a command with the given AWS overrides and no terminal.
func runWith(t *testing.T, o awsenv.Overrides, args ...string) (int, string, string) {
	t.Helper()
	e, out, errOut := testEnv()
	e.aws = o
	code := runApp(context.Background(), e, append([]string{"trailwatch"}, args...))
	return code, out.String(), errOut.String()
}

func byAccount(rep check.Report) map[string]check.Result {
	out := map[string]check.Result{}
	for _, r := range rep.Results {
		out[r.Account] = r
	}
	return out
}

func countRequests(srv *sandbox.Server, service, action string) int {
	n := 0
	for _, e := range srv.Requests() {
		if e.Service == service && e.Action == action {
			n++
		}
	}
	return n
}

// roleIn is the default role in a member account.
func roleIn(account string) string {
	return "arn:aws:iam::" + account + ":role/" + sandbox.OrgAccessRole
}

// check --org over an organization gives each account its verdict: the
// management account's own chain, members through the organization trail
// it owns (with the via evidence) whatever their own chains, the
// unassumable member ERROR naming sts:AssumeRole and its role, the
// suspended one skipped; one AssumeRole per member, no write.
func TestCheckOrgVerdicts(t *testing.T) {
	const members = 50
	srv := startOrg(t, "org", members)
	code, rep := checkJSON(t, "--org", "--parallel", "8")
	require.Equal(t, exitFailed, code, "an ERROR and no FAIL: exit 3")
	got := byAccount(rep)
	require.Len(t, got, members, "the management account and every active member but none twice")
	require.Equal(t, []check.Skipped{{Account: sandbox.OrgSuspendedMember, Name: "member-1", State: "SUSPENDED"}}, rep.Skipped)
	require.Equal(t, check.Summary{Accounts: members, Pass: members - 1, Error: 1, Skipped: 1}, rep.Summary)

	mgmt := got[sandbox.DefaultAccount]
	require.Equal(t, check.Pass, mgmt.Status)
	require.Nil(t, mgmt.Via, "the owner's verdict is its own")
	require.Empty(t, mgmt.RoleARN, "the seat is audited with its own credentials")

	bad := got[sandbox.OrgUnassumableMember]
	require.Equal(t, check.Error, bad.Status)
	require.Equal(t, "ASSUME_ROLE_FAILED", bad.ErrorCode)
	require.Contains(t, bad.Message, "sts:AssumeRole on "+roleIn(sandbox.OrgUnassumableMember)+" refused: AccessDenied")

	orgTrail := "arn:aws:cloudtrail:us-east-1:" + sandbox.DefaultAccount + ":trail/" + sandbox.OrgTrail
	for i := 3; i <= members; i++ {
		r := got[sandbox.OrgMember(i)]
		require.Equal(t, check.Pass, r.Status, "member %d (own chain: %q): %s", i, sandbox.OrgOwnChain(i), r.Message)
		require.Equal(t, &check.Via{Kind: "organization_trail", ARN: orgTrail, Account: sandbox.DefaultAccount}, r.Via)
		require.Contains(t, r.Message, "via organization trail "+orgTrail+" of account "+sandbox.DefaultAccount)
		require.Equal(t, roleIn(sandbox.OrgMember(i)), r.RoleARN)
	}
	require.Equal(t, members-1, countRequests(srv, "sts", "AssumeRole"), "one per member but the suspended one, none for the seat")
	require.Empty(t, fixWritesSince(srv, 0), "check never writes")
	// Every request is one the documented policies allow: the seat's and
	// check's in the management account, check's in the members.
	seat := append(policyFile(t, "org-seat-policy.json"), policyFile(t, "check-policy.json")...)
	memberPolicy := policyFile(t, "check-policy.json")
	for _, e := range srv.Requests() {
		action := iamAction(e)
		switch {
		case action == "sts:GetCallerIdentity":
		case e.Account == sandbox.DefaultAccount:
			require.Contains(t, seat, action, "the seat called %s", action)
		default:
			require.Contains(t, memberPolicy, action, "member %s was called with %s", e.Account, action)
		}
	}

	// Text names the skipped account and the role; the exit code is the same.
	code, out, _ := runCheckCmd(t, "--org")
	require.Equal(t, exitFailed, code)
	require.Contains(t, out, sandbox.OrgSuspendedMember+" (member-1)  SKIPPED")
	require.Contains(t, out, "(1 skipped)")
}

// The organization trail's owner left out of the run: its members are
// MANUAL, as they always were.
func TestCheckOrgWithoutOwnerStaysManual(t *testing.T) {
	startOrg(t, "org", 12)
	code, rep := checkJSON(t, "--org", "--exclude-accounts", sandbox.DefaultAccount+","+sandbox.OrgUnassumableMember)
	require.Equal(t, exitFailed, code)
	require.Len(t, rep.Results, 10)
	for _, r := range rep.Results {
		require.Equal(t, check.Manual, r.Status, r.Account)
		require.Equal(t, sandbox.DefaultAccount, r.OtherAccount)
	}
}

func TestCheckOrgSelection(t *testing.T) {
	srv := startOrg(t, "org", 30)
	accounts := func(rep check.Report) []string {
		var out []string
		for _, r := range rep.Results {
			out = append(out, r.Account)
		}
		slices.Sort(out)
		return out
	}

	// --ou is recursive: Workloads holds Prod and Dev.
	_, rep := checkJSON(t, "--org", "--ou", "ou-sb01-workloads")
	want := []string{sandbox.DefaultAccount}
	for i := 1; i <= 30; i++ {
		if ou := sandbox.OrgMemberOU(i); strings.HasPrefix(ou, "ou-sb01-work") && sandbox.OrgMember(i) != sandbox.OrgSuspendedMember {
			want = append(want, sandbox.OrgMember(i))
		}
	}
	require.Equal(t, want, accounts(rep), "the seat and the active members under Workloads")

	before := countRequests(srv, "sts", "AssumeRole")
	code, rep := checkJSON(t, "--org", "--accounts", sandbox.DefaultAccount+","+sandbox.OrgMember(4), "--accounts", sandbox.OrgMember(5))
	require.Equal(t, exitOK, code)
	require.Equal(t, []string{sandbox.DefaultAccount, sandbox.OrgMember(4), sandbox.OrgMember(5)}, accounts(rep))
	require.Equal(t, 2, countRequests(srv, "sts", "AssumeRole")-before, "accounts filtered out are never assumed")
	require.Equal(t, check.Pass, byAccount(rep)[sandbox.OrgMember(4)].Status, "resolved against the owner")

	// A member reached by its own profile and by the organization is audited once, with the profile's credentials.
	key := assumeKey(t, srv, sandbox.OrgMember(6))
	require.NoError(t, os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(fmt.Sprintf(
		"[mgmt]\naws_access_key_id = %s\naws_secret_access_key = x\n[m6]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n",
		sandbox.DefaultAccessKey, key[0], key[1], key[2])), 0o600))
	before = countRequests(srv, "sts", "AssumeRole")
	_, rep = checkJSON(t, "--org", "--profile", "mgmt,m6", "--accounts", sandbox.DefaultAccount+","+sandbox.OrgMember(6))
	require.Len(t, rep.Results, 2)
	m6 := byAccount(rep)[sandbox.OrgMember(6)]
	require.Equal(t, []string{"m6"}, m6.Profiles)
	require.Equal(t, before, countRequests(srv, "sts", "AssumeRole"), "a member reached by its own profile is never assumed")
	require.Empty(t, m6.RoleARN, "its own profile's credentials")
	require.Equal(t, check.Pass, m6.Status)
}

// assumeKey hands out a member's session key as a profile would hold it.
func assumeKey(t *testing.T, srv *sandbox.Server, member string) [3]string {
	t.Helper()
	code, out, stderr := runWith(t, awsenv.Overrides{}, "check", "--org", "--accounts", sandbox.DefaultAccount+","+member, "--output", "json")
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, out, member)
	var st struct {
		AccessKeys map[string]string `json:"accessKeys"`
	}
	b, err := srv.DumpState()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &st))
	for k, a := range st.AccessKeys {
		if a == member {
			return [3]string{k, "sandbox-secret-" + k, "sandbox-session-" + k}
		}
	}
	t.Fatalf("no session key for %s", member)
	return [3]string{}
}

func TestOrgFlagsUsage(t *testing.T) {
	startOrg(t, "org", 3)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ou", "ou-sb01-security"}, "--ou applies only with --org"},
		{[]string{"--role-name", "Audit"}, "--role-name applies only with --org"},
		{[]string{"--external-id", "abc"}, "--external-id applies only with --org"},
		{[]string{"--role-session-name", "me"}, "--role-session-name applies only with --org"},
		{[]string{"--org", "--ou", "Security"}, `--ou "Security": want an OU ID`},
		{[]string{"--org", "--ou", ","}, "--ou: want an OU ID"},
		{[]string{"--org", "--role-name", "a/b"}, "--role-name"},
		{[]string{"--org", "--role-session-name", "x"}, "--role-session-name"},
		{[]string{"--org", "--external-id", "x"}, "--external-id"},
		{[]string{"--accounts", "12345"}, "want 12-digit account IDs"},
		{[]string{"--exclude-accounts", ","}, "--exclude-accounts: want account IDs"},
		{[]string{"--accounts", "111111111111", "--exclude-accounts", "111111111111"}, "both name 111111111111"},
	} {
		for _, cmd := range []string{"check", "plan", "fix"} {
			args := []string{cmd}
			if cmd == "fix" {
				args = append(args, "--yes")
			}
			code, out, stderr := runWith(t, awsenv.Overrides{}, append(args, tc.args...)...)
			require.Equal(t, exitUsage, code, "%s %v: %s", cmd, tc.args, stderr)
			require.Contains(t, stderr, tc.want, "%s %v", cmd, tc.args)
			require.Empty(t, out)
		}
	}
}

// A seat that cannot list its organization stops the run, naming why.
func TestCheckOrgSeatCannotList(t *testing.T) {
	startOrg(t, "compliant", 0)
	code, out, stderr := runCheckCmd(t, "--org")
	require.Equal(t, exitFailed, code)
	require.Empty(t, out)
	require.Contains(t, stderr, "--org: the default credentials: organizations:DescribeOrganization: the account is not a member of an organization")
}

// loopbackTransport fails the test on any request to a host other than loopback.
type loopbackTransport struct{ t *testing.T }

func (l loopbackTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if ip := net.ParseIP(r.URL.Hostname()); ip == nil || !ip.IsLoopback() {
		l.t.Errorf("request to %s left loopback", r.URL)
		return nil, fmt.Errorf("request to %s left loopback", r.URL)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// With an endpoint configured, nothing leaves it: not the organization's
// listing, not trailwatch's AssumeRole, not the AssumeRole behind a
// role_arn + source_profile profile.
func TestOrgRequestsStayOnEndpoint(t *testing.T) {
	srv := startOrg(t, "org", 8)
	t.Setenv("AWS_CA_BUNDLE", "") // a bundle needs the SDK's own HTTP client
	guard := awsenv.Overrides{HTTPClient: &http.Client{Transport: loopbackTransport{t}}}

	code, out, stderr := runWith(t, guard, "check", "--org", "--output", "json")
	require.Equal(t, exitFailed, code, stderr)
	var rep check.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Len(t, rep.Results, 8, "the seat and the active members")

	require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(
		"[profile member]\nrole_arn = "+roleIn(sandbox.OrgMember(3))+"\nsource_profile = seat\nregion = us-east-1\n"), 0o600))
	require.NoError(t, os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(
		"[seat]\naws_access_key_id = "+sandbox.DefaultAccessKey+"\naws_secret_access_key = x\n"), 0o600))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	before := countRequests(srv, "sts", "AssumeRole")
	code, out, stderr = runWith(t, guard, "check", "--profile", "member", "--output", "json")
	require.Equal(t, exitFailed, code, "MANUAL without the owner: %s", stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, sandbox.OrgMember(3), rep.Results[0].Account)
	require.Equal(t, 1, countRequests(srv, "sts", "AssumeRole")-before, "the profile's AssumeRole reached the sandbox")
}

// fix --org --yes: the organization trail's chain is fixed once, in the
// account that owns it, and never in a member; once the subscription is
// confirmed every machine-fixable account passes, and a second run writes
// nothing.
func TestFixOrgFixesOwnerOnce(t *testing.T) {
	const members = 20
	srv := startOrg(t, "org-unmonitored", members)
	code, rep := checkJSON(t, "--org")
	require.Equal(t, exitFindings, code)
	for _, r := range rep.Results {
		if r.Account != sandbox.OrgUnassumableMember {
			require.Equal(t, "FAIL NO_ALARM", r.Verdict().String(), r.Account)
		}
	}

	mark := len(srv.Requests())
	code, out, stderr := runFixCmd(t, "--org", "--yes", "--notify", "email:security@example.com", "--parallel", "8")
	require.Equal(t, exitFindings, code, "a subscription waits for its confirmation: %s\n%s", out, stderr)
	writes := writesByAccount(srv, mark)
	require.Equal(t, map[string][]string{sandbox.DefaultAccount: {"sns:CreateTopic", "sns:Subscribe", "cloudwatch:PutMetricAlarm"}}, writes,
		"only the owner is written to, once")
	rows := fixSummaryRows(t, out)
	require.Contains(t, rows[sandbox.OrgMember(3)], "FAIL NO_CONFIRMED_SUBSCRIBER", "members are re-checked with their owner")
	require.Contains(t, stderr, "skipped: account "+sandbox.OrgSuspendedMember)

	srv.ConfirmPendingSubscriptions()
	code, rep = checkJSON(t, "--org")
	require.Equal(t, exitFailed, code, "only the unassumable member is left")
	for _, r := range rep.Results {
		if r.Account == sandbox.OrgUnassumableMember {
			require.Equal(t, check.Error, r.Status)
			continue
		}
		require.Equal(t, check.Pass, r.Status, "%s: %s", r.Account, r.Message)
	}

	mark = len(srv.Requests())
	code, out, stderr = runFixCmd(t, "--org", "--yes", "--notify", "email:security@example.com")
	require.Equal(t, exitFailed, code, "%s\n%s", out, stderr)
	require.Empty(t, writesByAccount(srv, mark), "nothing left to write")
}

// plan and fix show their reads, applies and re-checks as one live line
// each at a terminal, on stderr; stdout stays the plan or report alone.
func TestOrgProgressPhases(t *testing.T) {
	startOrg(t, "org-unmonitored", 6)
	run := func(args ...string) (string, string) {
		e, out, errOut := testEnv()
		e.isTerminal = func(f any) bool { return f == any(errOut) }
		runApp(context.Background(), e, append([]string{"trailwatch"}, args...))
		return out.String(), errOut.String()
	}
	out, stderr := run("plan", "--org", "--output", "json", "--notify", "email:a@example.com")
	require.True(t, json.Valid([]byte(out)), "stdout is the plan alone: %q", out)
	require.Contains(t, stderr, "\r\033[K--org: listing the accounts of organization "+sandbox.OrgID+" from the default credentials\r\033[K")
	require.Contains(t, stderr, "\r\033[Kcheck: 6/6 accounts")
	require.Contains(t, stderr, "\r\033[Kplan: 6/6 accounts, 0 pass, 5 fail, 1 error")

	out, stderr = run("fix", "--org", "--yes", "--notify", "email:a@example.com", "--journal", t.TempDir()+"/j")
	require.NotContains(t, out, "\r")
	for _, phase := range []string{"check: 6/6", "plan: 6/6"} {
		require.Contains(t, stderr, "\r\033[K"+phase)
	}
	// The owner and its four members, pending a confirmation: members done
	// after the owner show its verdict at once, the others as manual until
	// the end.
	require.Regexp(t, `\r\033\[Kre-check: 5/5 accounts, 0 pass, [1-5] fail, 0 error(, [1-4] manual)?, `, stderr)
}

// A plan saved with --org is applied with the same flags: the owner's
// chain, once.
func TestFixOrgSavedPlan(t *testing.T) {
	srv := startOrg(t, "org-unmonitored", 6)
	file := t.TempDir() + "/plan.json"
	code, _, stderr := runWith(t, awsenv.Overrides{}, "plan", "--org", "--notify", "email:a@example.com", "--out", file)
	require.Equal(t, exitFindings, code, stderr)
	mark := len(srv.Requests())
	code, out, stderr := runFixCmd(t, "--org", "--yes", "--plan", file)
	require.Equal(t, exitFindings, code, "%s\n%s", out, stderr)
	require.Equal(t, map[string][]string{sandbox.DefaultAccount: {"sns:CreateTopic", "sns:Subscribe", "cloudwatch:PutMetricAlarm"}}, writesByAccount(srv, mark))
	require.NotContains(t, out, "no selected profile reaches")
}

// --accounts and --exclude-accounts filter profiles too, once each
// profile's account is known.
func TestAccountFiltersOnProfiles(t *testing.T) {
	srv := startFleet(t, 4)
	ids := []string{}
	for _, c := range srv.Credentials() {
		ids = append(ids, c.Account)
	}
	_, rep := checkJSON(t, "--all-profiles", "--accounts", ids[1]+","+ids[2])
	require.ElementsMatch(t, []string{ids[1], ids[2]}, []string{rep.Results[0].Account, rep.Results[1].Account})
	require.Len(t, rep.Results, 2)
	_, rep = checkJSON(t, "--all-profiles", "--exclude-accounts", ids[0])
	require.Len(t, rep.Results, 3)
	for _, r := range rep.Results {
		require.NotEqual(t, ids[0], r.Account)
	}
}

// From a delegated administrator: the seat lists the organization and
// reaches the management account through the role like any member, and
// the members resolve against the management account's organization trail.
func TestCheckOrgFromDelegatedAdministrator(t *testing.T) {
	srv := startOrg(t, "org", 8)
	admin := sandbox.OrgMember(3)
	var st map[string]any
	b, err := srv.DumpState()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &st))
	st["organization"].(map[string]any)["delegatedAdmins"] = []any{admin}
	mgmt := st["accounts"].(map[string]any)[sandbox.DefaultAccount].(map[string]any)
	mgmt["roles"].(map[string]any)[sandbox.OrgAccessRole] = map[string]any{"name": sandbox.OrgAccessRole, "id": "AROAMGMT", "path": "/",
		"assumeRolePolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + admin + `:root"},"Action":"sts:AssumeRole"}]}`,
		"maxSessionDuration":       3600}
	for _, id := range []int{4, 5, 6, 7, 8} {
		role := st["accounts"].(map[string]any)[sandbox.OrgMember(id)].(map[string]any)["roles"].(map[string]any)[sandbox.OrgAccessRole].(map[string]any)
		role["assumeRolePolicyDocument"] = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + admin + `"},"Action":"sts:AssumeRole"}]}`
	}
	b, err = json.Marshal(st)
	require.NoError(t, err)
	require.NoError(t, srv.LoadState(b))

	key := assumeKey(t, srv, admin)
	require.NoError(t, os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte(fmt.Sprintf(
		"[admin]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n", key[0], key[1], key[2])), 0o600))
	code, rep := checkJSON(t, "--org", "--profile", "admin")
	require.Equal(t, exitFailed, code, "the unassumable member")
	got := byAccount(rep)
	require.Len(t, got, 8, "the seat, the management account and the other active members")
	require.Empty(t, got[admin].RoleARN, "the seat uses its own credentials")
	require.Equal(t, roleIn(sandbox.DefaultAccount), got[sandbox.DefaultAccount].RoleARN)
	require.Equal(t, check.Pass, got[sandbox.DefaultAccount].Status)
	for _, id := range []string{admin, sandbox.OrgMember(4), sandbox.OrgMember(8)} {
		require.Equal(t, check.Pass, got[id].Status, id)
		require.Equal(t, "organization_trail", got[id].Via.Kind, id)
	}
	require.Equal(t, "ASSUME_ROLE_FAILED", got[sandbox.OrgUnassumableMember].ErrorCode)
}

// hostileOrgID answers DescribeOrganization with an organization ID that
// would retitle the terminal's window.
type hostileOrgID struct{}

func (hostileOrgID) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil || !strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".DescribeOrganization") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	body = bytes.ReplaceAll(body, []byte(sandbox.OrgID), []byte(`o-\u001b]0;pwned\u0007`))
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// The organization ID AWS names is shown escaped on the listing line.
func TestOrgListingLineEscapesTheOrganization(t *testing.T) {
	startOrg(t, "org", 2)
	t.Setenv("AWS_CA_BUNDLE", "") // the SDK would add it to a client it cannot reach into
	e, _, errOut := testEnv()
	e.isTerminal = func(f any) bool { return f == any(errOut) }
	e.aws = awsenv.Overrides{HTTPClient: hostileOrgID{}}
	code := runApp(context.Background(), e, []string{"trailwatch", "check", "--org", "--output", "json"})
	require.Equal(t, exitFailed, code, "%s", errOut.String())
	require.Contains(t, errOut.String(), `--org: listing the accounts of organization o-\x1b]0;pwned\x07 from the default credentials`)
	require.NotContains(t, errOut.String(), "\x1b]0;")
}
