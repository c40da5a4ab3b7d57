package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/require"
)

func orgClient(url, key string) *organizations.Client {
	return organizations.NewFromConfig(sdkConfig(url, key))
}

// memberKey assumes OrgAccessRole into a member and returns its temporary key.
func assumedKey(t *testing.T, url, member string) string {
	t.Helper()
	out, err := sts.NewFromConfig(sdkConfig(url, DefaultAccessKey)).AssumeRole(ctx(t), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/" + OrgAccessRole), RoleSessionName: aws.String("test")})
	require.NoError(t, err)
	return aws.ToString(out.Credentials.AccessKeyId)
}

// ListAccounts pages by at most 20 (the service's MaxResults range is
// 1..20) and returns every member exactly once, with State only.
func TestOrganizationsListAccountsPages(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Scenario: "org", Accounts: 45})
	require.NoError(t, err)
	r, err := s.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	c := orgClient(r.URL, DefaultAccessKey)

	for _, tc := range []struct {
		max       int32
		wantPages int
	}{{0, 3}, {20, 3}, {7, 7}, {1, 46}} {
		seen := map[string]bool{}
		pages := 0
		in := &organizations.ListAccountsInput{}
		if tc.max > 0 {
			in.MaxResults = aws.Int32(tc.max)
		}
		p := organizations.NewListAccountsPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			require.NoError(t, err)
			pages++
			require.LessOrEqual(t, len(out.Accounts), 20)
			for _, a := range out.Accounts {
				require.False(t, seen[aws.ToString(a.Id)], "account %s listed twice", aws.ToString(a.Id))
				seen[aws.ToString(a.Id)] = true
				require.Empty(t, a.Status, "Status was retired in September 2026")
				want := orgtypes.AccountStateActive
				if aws.ToString(a.Id) == OrgSuspendedMember {
					want = orgtypes.AccountStateSuspended
				}
				require.Equal(t, want, a.State, aws.ToString(a.Id))
			}
		}
		require.Len(t, seen, 46, "max %d", tc.max)
		require.Equal(t, tc.wantPages, pages, "max %d", tc.max)
	}
}

func TestOrganizationsTreeAndErrors(t *testing.T) {
	t.Parallel()
	_, url := serveSandbox(t, "org")
	c := orgClient(url, DefaultAccessKey)

	roots, err := c.ListRoots(ctx(t), &organizations.ListRootsInput{})
	require.NoError(t, err)
	require.Len(t, roots.Roots, 1)
	require.Equal(t, OrgRootID, aws.ToString(roots.Roots[0].Id))

	// Walking the tree reaches every member once, in the OU it was put in.
	found := map[string]string{}
	var walk func(parent string)
	walk = func(parent string) {
		accts, err := c.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		require.NoError(t, err)
		for _, a := range accts.Accounts {
			found[aws.ToString(a.Id)] = parent
		}
		ous, err := c.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		require.NoError(t, err)
		for _, ou := range ous.OrganizationalUnits {
			walk(aws.ToString(ou.Id))
		}
	}
	walk(OrgRootID)
	require.Len(t, found, OrgDefaultMembers+1)
	require.Equal(t, OrgRootID, found[DefaultAccount])
	for i := 1; i <= OrgDefaultMembers; i++ {
		want := OrgMemberOU(i)
		if want == "" {
			want = OrgRootID
		}
		require.Equal(t, want, found[OrgMember(i)], "member %d", i)
	}

	member := orgClient(url, assumedKey(t, url, OrgMember(3)))
	_, err = member.ListAccounts(ctx(t), &organizations.ListAccountsInput{})
	var denied *orgtypes.AccessDeniedException
	require.ErrorAs(t, err, &denied, "a member that is no delegated administrator may not list")
	desc, err := member.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	require.NoError(t, err, "but it may describe its organization")
	require.Equal(t, DefaultAccount, aws.ToString(desc.Organization.MasterAccountId))

	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"MaxResults above 20", func() error {
			_, err := c.ListAccounts(ctx(t), &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
			return err
		}, "InvalidInputException"},
		{"forged NextToken", func() error {
			_, err := c.ListAccounts(ctx(t), &organizations.ListAccountsInput{NextToken: aws.String("bm9wZQ")})
			return err
		}, "InvalidInputException"},
		{"malformed parent", func() error {
			_, err := c.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String("Security")})
			return err
		}, "InvalidInputException"},
		// Each alternative of the ParentId pattern is anchored at both ends.
		{"root ID with a suffix", func() error {
			_, err := c.ListAccountsForParent(ctx(t), &organizations.ListAccountsForParentInput{ParentId: aws.String(OrgRootID + "/../x")})
			return err
		}, "InvalidInputException"},
		{"OU ID with a prefix", func() error {
			_, err := c.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("x/ou-sb01-workloads")})
			return err
		}, "InvalidInputException"},
		{"another list's NextToken", func() error {
			out, err := c.ListAccounts(ctx(t), &organizations.ListAccountsInput{MaxResults: aws.Int32(1)})
			require.NoError(t, err)
			require.NotNil(t, out.NextToken)
			_, err = c.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(OrgRootID), NextToken: out.NextToken})
			return err
		}, "InvalidInputException"},
		{"unknown OU", func() error {
			_, err := c.ListOrganizationalUnitsForParent(ctx(t), &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("ou-sb01-nosuchou")})
			return err
		}, "ParentNotFoundException"},
	} {
		require.Equal(t, tc.want, apiCode(tc.call()), tc.name)
	}

	_, url = serveSandbox(t, "compliant")
	_, err = orgClient(url, DefaultAccessKey).ListAccounts(ctx(t), &organizations.ListAccountsInput{})
	require.Equal(t, "AWSOrganizationsNotInUseException", apiCode(err))
}

// AssumeRole follows the role's trust policy: the trusted account and the
// external ID it requires.
func TestSTSAssumeRoleTrust(t *testing.T) {
	t.Parallel()
	s, url := serveSandbox(t, "org")
	assume := func(key, role, externalID string) error {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("trailwatch")}
		if externalID != "" {
			in.ExternalId = aws.String(externalID)
		}
		_, err := sts.NewFromConfig(sdkConfig(url, key)).AssumeRole(ctx(t), in)
		return err
	}
	roleIn := func(account string) string { return "arn:aws:iam::" + account + ":role/" + OrgAccessRole }
	require.NoError(t, assume(DefaultAccessKey, roleIn(OrgMember(3)), ""))
	require.Equal(t, "AccessDenied", apiCode(assume(DefaultAccessKey, roleIn(OrgUnassumableMember), "")))
	require.Equal(t, "AccessDenied", apiCode(assume(DefaultAccessKey, roleIn(OrgSuspendedMember), "")), "no role at all")
	// A member's session is not trusted by another member's role.
	require.Equal(t, "AccessDenied", apiCode(assume(assumedKey(t, url, OrgMember(3)), roleIn(OrgMember(4)), "")))

	s.mu.Lock()
	s.st.Accounts[OrgMember(4)].Roles[OrgAccessRole].AssumeRolePolicyDocument = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Principal":{"AWS":["arn:aws:iam::` + DefaultAccount + `:root"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cret"}}}]}`
	s.mu.Unlock()
	require.Equal(t, "AccessDenied", apiCode(assume(DefaultAccessKey, roleIn(OrgMember(4)), "")))
	require.Equal(t, "AccessDenied", apiCode(assume(DefaultAccessKey, roleIn(OrgMember(4)), "wrong")))
	require.NoError(t, assume(DefaultAccessKey, roleIn(OrgMember(4)), "s3cret"))

}

// A state file's organization is a tree under its root: unknown parents
// and loops of OUs are refused.
func TestOrganizationStateValidation(t *testing.T) {
	s, err := New(Options{})
	require.NoError(t, err)
	load := func(units string) error {
		return s.LoadState([]byte(`{"accounts":{"` + DefaultAccount + `":{"id":"` + DefaultAccount + `"}},` +
			`"organization":{"id":"o-test0001","managementAccount":"` + DefaultAccount + `","members":["` + DefaultAccount + `"],"rootId":"r-test",` +
			`"units":[` + units + `]}}`))
	}
	require.NoError(t, load(`{"id":"ou-test-aaaaaaaa","parent":"r-test"},{"id":"ou-test-bbbbbbbb","parent":"ou-test-aaaaaaaa"}`))
	require.ErrorContains(t, load(`{"id":"ou-test-aaaaaaaa","parent":"ou-test-nosuchou"}`), "unknown parent")
	require.ErrorContains(t, load(`{"id":"ou-test-aaaaaaaa","parent":"ou-test-bbbbbbbb"},{"id":"ou-test-bbbbbbbb","parent":"ou-test-aaaaaaaa"}`), "never reach the root")
	require.ErrorContains(t, load(`{"id":"ou-test-aaaaaaaa","parent":"ou-test-aaaaaaaa"}`), "never reach the root")
}
