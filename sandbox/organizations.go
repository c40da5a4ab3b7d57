package sandbox

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Organizations (JSON 1.1): the organization, its root and OUs, and its
// accounts, listed the way AWS pages them. Only the management account and
// delegated administrators may list; every member may describe.

func init() {
	register("organizations", "DescribeOrganization", orgDescribeOrganization)
	register("organizations", "ListAccounts", orgListAccounts)
	register("organizations", "ListRoots", orgListRoots)
	register("organizations", "ListOrganizationalUnitsForParent", orgListOUsForParent)
	register("organizations", "ListAccountsForParent", orgListAccountsForParent)
}

// orgMaxResults is the largest MaxResults every List operation here accepts
// (the service model's range is 1..20), and the page size when it is absent.
const orgMaxResults = 20

var (
	// AWS documents this pattern without the group around both
	// alternatives, which anchors each at one end only.
	orgParentRE = regexp.MustCompile(`^(?:r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)
	orgRootRE   = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
)

func orgDescribeOrganization(st *state, c *call) (map[string]any, error) {
	o := st.orgOf(c.Account)
	if o == nil {
		return nil, orgNotInUse()
	}
	return map[string]any{"Organization": map[string]any{
		"Id":                 o.ID,
		"Arn":                "arn:aws:organizations::" + o.ManagementAccount + ":organization/" + o.ID,
		"FeatureSet":         "ALL",
		"MasterAccountArn":   o.accountARN(o.ManagementAccount),
		"MasterAccountId":    o.ManagementAccount,
		"MasterAccountEmail": o.email(o.ManagementAccount),
		"AvailablePolicyTypes": []any{
			map[string]any{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
		},
	}}, nil
}

func orgNotInUse() *apiError {
	return badRequest("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
}

// orgLister is the organization a List operation may read: the caller must
// be its management account or a delegated administrator.
func orgLister(st *state, c *call) (*organization, error) {
	o := st.orgOf(c.Account)
	if o == nil {
		return nil, orgNotInUse()
	}
	if c.Account != o.ManagementAccount && !slices.Contains(o.DelegatedAdmins, c.Account) {
		return nil, badRequest("AccessDeniedException", "You don't have permissions to access this resource.")
	}
	return o, nil
}

// orgInvalidInput is InvalidInputException; the message names the reason
// code AWS puts in its Reason member.
func orgInvalidInput(reason, message string) *apiError {
	return badRequest("InvalidInputException", "%s (%s)", message, reason)
}

// orgPage cuts sorted keys into the page MaxResults and NextToken select,
// with the paging rule every other list in the sandbox uses (page): the
// token names the first key of the next page.
func orgPage(c *call, keys []string) ([]string, string, error) {
	size := orgMaxResults
	if n, ok, err := c.integer("MaxResults"); err != nil {
		return nil, "", orgInvalidInput("INVALID_INPUT", "MaxResults must be an integer.")
	} else if ok {
		switch {
		case n < 1:
			return nil, "", orgInvalidInput("MIN_VALUE_EXCEEDED", "You provided a value lower than the minimum allowed for MaxResults.")
		case n > orgMaxResults:
			return nil, "", orgInvalidInput("MAX_VALUE_EXCEEDED", "You provided a value that exceeds the maximum allowed for MaxResults.")
		}
		size = int(n)
	}
	keys, next, ok := page(keys, c.str("NextToken"), size)
	if !ok {
		return nil, "", orgInvalidInput("INVALID_PAGINATION_TOKEN", "The NextToken value is not valid.")
	}
	return keys, next, nil
}

func pageOutput(key string, items []any, next string) map[string]any {
	out := map[string]any{key: items}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

func orgListAccounts(st *state, c *call) (map[string]any, error) {
	o, err := orgLister(st, c)
	if err != nil {
		return nil, err
	}
	ids, next, err := orgPage(c, o.sortedMembers())
	if err != nil {
		return nil, err
	}
	return pageOutput("Accounts", o.accountObjects(ids), next), nil
}

func orgListRoots(st *state, c *call) (map[string]any, error) {
	o, err := orgLister(st, c)
	if err != nil {
		return nil, err
	}
	roots, next, err := orgPage(c, []string{o.rootID()})
	if err != nil {
		return nil, err
	}
	var items []any
	for _, r := range roots {
		items = append(items, map[string]any{
			"Id": r, "Name": "Root",
			"Arn":         "arn:aws:organizations::" + o.ManagementAccount + ":root/" + o.ID + "/" + r,
			"PolicyTypes": []any{map[string]any{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}},
		})
	}
	return pageOutput("Roots", items, next), nil
}

// orgChildren is the organization a ForParent operation may list, and its
// ParentId, validated and found: the root or an OU.
func orgChildren(st *state, c *call) (*organization, string, error) {
	o, err := orgLister(st, c)
	if err != nil {
		return nil, "", err
	}
	id, err := orgParent(o, c)
	return o, id, err
}

func orgParent(o *organization, c *call) (string, error) {
	id := c.str("ParentId")
	if id == "" {
		return "", orgInvalidInput("INPUT_REQUIRED", "You must specify a value for ParentId.")
	}
	if !orgParentRE.MatchString(id) {
		return "", orgInvalidInput("INVALID_PATTERN", "You specified a value for ParentId that is not valid.")
	}
	if id != o.rootID() && o.unit(id) == nil {
		return "", badRequest("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
	}
	return id, nil
}

func orgListOUsForParent(st *state, c *call) (map[string]any, error) {
	o, parent, err := orgChildren(st, c)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, u := range o.Units {
		if u.Parent == parent {
			ids = append(ids, u.ID)
		}
	}
	slices.Sort(ids)
	ids, next, err := orgPage(c, ids)
	if err != nil {
		return nil, err
	}
	var items []any
	for _, id := range ids {
		u := o.unit(id)
		items = append(items, map[string]any{"Id": u.ID, "Name": u.Name,
			"Arn": "arn:aws:organizations::" + o.ManagementAccount + ":ou/" + o.ID + "/" + u.ID})
	}
	return pageOutput("OrganizationalUnits", items, next), nil
}

func orgListAccountsForParent(st *state, c *call) (map[string]any, error) {
	o, parent, err := orgChildren(st, c)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range o.sortedMembers() {
		if o.parentOf(id) == parent {
			ids = append(ids, id)
		}
	}
	ids, next, err := orgPage(c, ids)
	if err != nil {
		return nil, err
	}
	return pageOutput("Accounts", o.accountObjects(ids), next), nil
}

// accountObjects renders members as AWS does since the Status field was
// retired (September 2026): State only.
func (o *organization) accountObjects(ids []string) []any {
	items := make([]any, 0, len(ids))
	for _, id := range ids {
		name := o.Names[id]
		if name == "" {
			name = "account-" + id
		}
		items = append(items, map[string]any{
			"Id": id, "Arn": o.accountARN(id), "Email": o.email(id), "Name": name,
			"State": o.stateOf(id), "JoinedMethod": "CREATED",
		})
	}
	return items
}

func (o *organization) accountARN(id string) string {
	return "arn:aws:organizations::" + o.ManagementAccount + ":account/" + o.ID + "/" + id
}

func (o *organization) email(id string) string { return "aws+" + id + "@" + o.ID + ".sandbox.invalid" }

func (o *organization) sortedMembers() []string {
	ids := slices.Clone(o.Members)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// rootID is the organization's one root; a state without one gets a
// stable ID derived from the organization's.
func (o *organization) rootID() string {
	if o.RootID != "" {
		return o.RootID
	}
	id := strings.ToLower(strings.TrimPrefix(o.ID, "o-"))
	for len(id) < 4 {
		id += "0"
	}
	return "r-" + id[:4]
}

func (o *organization) unit(id string) *orgUnit {
	for _, u := range o.Units {
		if u.ID == id {
			return u
		}
	}
	return nil
}

func (o *organization) parentOf(account string) string {
	if p := o.Parent[account]; p != "" {
		return p
	}
	return o.rootID()
}

func (o *organization) stateOf(account string) string {
	if s := o.States[account]; s != "" {
		return s
	}
	return "ACTIVE"
}

// validate checks an organization loaded from a state file.
func (o *organization) validate(st *state) error {
	if st.Accounts[o.ManagementAccount] == nil {
		return fmt.Errorf("organization %q: unknown management account %q", o.ID, o.ManagementAccount)
	}
	for _, m := range o.Members {
		if st.Accounts[m] == nil {
			return fmt.Errorf("organization %q: unknown member account %q", o.ID, m)
		}
	}
	if o.RootID != "" && !orgRootRE.MatchString(o.RootID) {
		return fmt.Errorf("organization %q: root ID %q: want r- and 4 to 32 lowercase letters or digits", o.ID, o.RootID)
	}
	for _, u := range o.Units {
		if !orgParentRE.MatchString(u.ID) || !strings.HasPrefix(u.ID, "ou-") {
			return fmt.Errorf("organization %q: OU ID %q is not an OU ID", o.ID, u.ID)
		}
		if u.Parent != o.rootID() && o.unit(u.Parent) == nil {
			return fmt.Errorf("organization %q: OU %s: unknown parent %q", o.ID, u.ID, u.Parent)
		}
	}
	// Every OU must reach the root: a loop of OUs would send a client that
	// walks the tree round it for ever.
	for _, u := range o.Units {
		p := u.Parent
		for range o.Units {
			if p == o.rootID() {
				break
			}
			p = o.unit(p).Parent
		}
		if p != o.rootID() {
			return fmt.Errorf("organization %q: OU %s: its parents loop and never reach the root", o.ID, u.ID)
		}
	}
	for account, p := range o.Parent {
		if p != o.rootID() && o.unit(p) == nil {
			return fmt.Errorf("organization %q: account %s: unknown parent %q", o.ID, account, p)
		}
	}
	return nil
}
