package sandbox

import "fmt"

// The "org" scenarios: an AWS Organization whose management account
// (DefaultAccount) owns an organization trail, with ScenarioParams.Accounts
// members spread over a few OUs. Members have no long-term keys: they are
// reached by AssumeRole into OrgAccessRole from the management account.
const (
	OrgID     = "o-sandbox0001"
	OrgRootID = "r-sb01"
	// OrgTrail is the organization trail's name in the management account.
	OrgTrail = "organization-trail"
	// OrgDefaultMembers is the member count when Accounts is not given.
	OrgDefaultMembers = 12
	// orgMinMembers is the fewest members an org scenario takes.
	orgMinMembers = 2
	// OrgSuspendedMember is SUSPENDED: listed, never audited.
	OrgSuspendedMember = "200000000001"
	// OrgUnassumableMember has OrgAccessRole, but it trusts only its own
	// account, so AssumeRole from the management account is refused.
	OrgUnassumableMember = "200000000002"
)

// OrgMember is the i-th member account (1-based) of the org scenarios.
func OrgMember(i int) string { return fmt.Sprintf("%012d", 200000000000+i) }

// orgUnits are the OUs, Workloads nesting Prod and Dev.
var orgUnits = []*orgUnit{
	{ID: "ou-sb01-security", Name: "Security", Parent: OrgRootID},
	{ID: "ou-sb01-workloads", Name: "Workloads", Parent: OrgRootID},
	{ID: "ou-sb01-workprod", Name: "Prod", Parent: "ou-sb01-workloads"},
	{ID: "ou-sb01-workdev0", Name: "Dev", Parent: "ou-sb01-workloads"},
	{ID: "ou-sb01-sandbox0", Name: "Sandbox", Parent: OrgRootID},
}

// OrgMemberOU is the OU member i sits in ("" for the root): members cycle
// over the root and the five OUs.
func OrgMemberOU(i int) string {
	if k := i % (len(orgUnits) + 1); k < len(orgUnits) {
		return orgUnits[k].ID
	}
	return ""
}

// OrgOwnChain is the FAIL reason of the member's own trail chain ("" when
// it has none and relies on the organization trail alone): every third
// member owns a chain, broken in each way in turn.
func OrgOwnChain(i int) string {
	if i <= 2 || i%3 != 0 {
		return ""
	}
	return FailReasons[(i/3)%len(FailReasons)]
}

func init() {
	sizedScenarios["org"], sizedScenarios["org-unmonitored"] = orgMinMembers, orgMinMembers
	// The organization trail's chain passes: every member it covers passes.
	scenarios["org"] = func(b *builder, p ScenarioParams) error { return buildOrg(b, p, "") }
	// The organization trail has no alarm: its members fail with it until
	// the management account's chain is fixed, once.
	scenarios["org-unmonitored"] = func(b *builder, p ScenarioParams) error { return buildOrg(b, p, "NO_ALARM") }
}

// orgTrailChain is the management account's compliant chain, its trail
// made the organization trail OrgTrail.
func orgTrailChain(mgmt *accountBuilder) *chain {
	c := compliantChain(mgmt, DefaultRegion)
	rs := mgmt.a.region(DefaultRegion)
	delete(rs.Trails, c.trail.Name)
	c.trail.Name, c.trail.IsOrganization = OrgTrail, true
	rs.Trails[c.trail.Name] = c.trail
	return c
}

func buildOrg(b *builder, p ScenarioParams, orgBreak string) error {
	n := p.Accounts
	if n == 0 {
		n = OrgDefaultMembers
	}
	mgmt := b.account(DefaultAccount, DefaultAccessKey)
	c := orgTrailChain(mgmt)
	if orgBreak != "" {
		breaks[orgBreak](mgmt, c)
	}
	o := &organization{ID: OrgID, ManagementAccount: DefaultAccount, RootID: OrgRootID, Members: []string{DefaultAccount},
		Units: orgUnits, Parent: map[string]string{}, States: map[string]string{}, Names: map[string]string{DefaultAccount: "management"}}
	for i := 1; i <= n; i++ {
		id := OrgMember(i)
		ab := b.account(id, "")
		o.Members = append(o.Members, id)
		o.Names[id] = fmt.Sprintf("member-%d", i)
		if ou := OrgMemberOU(i); ou != "" {
			o.Parent[id] = ou
		}
		switch id {
		case OrgSuspendedMember:
			o.States[id] = "SUSPENDED"
			continue
		case OrgUnassumableMember:
			ab.role(OrgAccessRole, id)
			continue
		}
		ab.role(OrgAccessRole, DefaultAccount)
		if reason := OrgOwnChain(i); reason != "" {
			breaks[reason](ab, compliantChain(ab, DefaultRegion))
		}
	}
	b.st.Organization = o
	return nil
}
