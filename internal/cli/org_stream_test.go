package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/sandbox"
)

// lastPageGate holds the organization's last ListAccounts page until a
// member account has sent a request (the sandbox's log says whose each
// request is), or until a timeout: a run that audits members only once the
// whole organization is listed waits out the timeout, and its request log
// then shows the member's audit after the last page.
type lastPageGate struct {
	srv     *sandbox.Server
	members map[string]bool
	pages   int // ListAccounts pages of the organization
	seen    int
}

func (g *lastPageGate) Do(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".ListAccounts") {
		g.seen++ // pages of one listing are sequential
		if g.seen == g.pages {
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) && !slices.ContainsFunc(g.srv.Requests(), func(e sandbox.LogEntry) bool { return g.members[e.Account] }) {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	return http.DefaultClient.Do(req)
}

// check --org audits members while the organization is still being listed,
// and reports them in the same order as when it listed first: the seat,
// then the members by account ID.
func TestCheckOrgAuditsMembersWhileListing(t *testing.T) {
	const members = 59 // with the management account, 60: three pages of 20
	srv := startOrg(t, "org", members)
	t.Setenv("AWS_CA_BUNDLE", "") // the SDK would add it to a client it cannot reach into
	ids := map[string]bool{}
	for i := 1; i <= members; i++ {
		ids[sandbox.OrgMember(i)] = true
	}
	gate := &lastPageGate{srv: srv, members: ids, pages: 3}

	code, out, stderr := runWith(t, awsenv.Overrides{HTTPClient: gate}, "check", "--org", "--output", "json")
	require.NotEqual(t, exitUsage, code, stderr)
	require.Equal(t, 3, countRequests(srv, "organizations", "ListAccounts"), "the organization is listed in three pages")

	log := srv.Requests()
	lastPage := -1
	firstMember := -1
	for i, e := range log {
		if e.Service == "organizations" && e.Action == "ListAccounts" {
			lastPage = i
		}
		if firstMember < 0 && ids[e.Account] {
			firstMember = i
		}
	}
	require.GreaterOrEqual(t, firstMember, 0)
	require.Less(t, firstMember, lastPage, "a member's audit started before the last page was listed")

	var rep check.Report
	require.NoError(t, json.NewDecoder(bytes.NewReader([]byte(out))).Decode(&rep))
	require.Greater(t, len(rep.Results), members/2)
	require.Equal(t, sandbox.DefaultAccount, rep.Results[0].Account, "the seat first")
	var got []string
	for _, r := range rep.Results[1:] {
		got = append(got, r.Account)
	}
	require.True(t, slices.IsSorted(got), "members by account ID: %v", got)
}

// fix's summary names an organization's members by their account name,
// not "(default)": they were reached through the role, not a profile.
func TestFixOrgSummaryNamesMembers(t *testing.T) {
	startOrg(t, "org-unmonitored", 4)
	code, out, stderr := runFixCmd(t, "--org", "--yes", "--notify", "email:security@example.com")
	require.NotEqual(t, exitUsage, code, stderr)
	rows := fixSummaryRows(t, out)
	require.Contains(t, rows[sandbox.DefaultAccount], "(default)", "the seat, reached with the default credentials")
	for i := 2; i <= 4; i++ {
		row := rows[sandbox.OrgMember(i)]
		require.NotEmpty(t, row, out)
		require.NotContains(t, row, "(default)")
		require.Equal(t, sandbox.OrgMember(i), strings.Fields(row)[0])
		require.Regexp(t, `^member-\d+$`, strings.Fields(row)[1], "the member's account name: %q", row)
	}
}
