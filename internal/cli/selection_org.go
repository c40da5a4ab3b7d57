package cli

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/urfave/cli/v2"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/fix"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/internal/awserr"
	"github.com/trailwatch/trailwatch/internal/org"
	"github.com/trailwatch/trailwatch/internal/termsafe"
)

// Defaults of the organization flags: the role Organizations creates in
// every account it creates, and a session name that says who is calling.
const (
	defaultRoleName    = "OrganizationAccountAccessRole"
	defaultSessionName = "trailwatch"
)

// orgSelection is --org and the flags that shape it.
type orgSelection struct {
	on                              bool
	ous                             []string
	roleName, externalID, sessionID string
}

func orgFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "org", Usage: "also audit every active account of the selected profile's AWS Organization, through --role-name (run from the management account or a delegated administrator)"},
		&cli.StringSliceFlag{Name: "ou", Usage: "with --org, only the accounts under this organizational unit or root `ID`, recursively (repeatable)"},
		&cli.StringFlag{Name: "role-name", Value: defaultRoleName, Usage: "with --org, the role `NAME` assumed in each member account"},
		&cli.StringFlag{Name: "external-id", Usage: "with --org, the external `ID` the member roles' trust policy requires"},
		&cli.StringFlag{Name: "role-session-name", Value: defaultSessionName, Usage: "with --org, the `NAME` of the assumed-role sessions (seen in the members' CloudTrail)"},
		&cli.StringSliceFlag{Name: "accounts", Usage: "only these account `IDS` (comma-separated, repeatable)"},
		&cli.StringSliceFlag{Name: "exclude-accounts", Usage: "never these account `IDS` (comma-separated, repeatable)"},
	}
}

// The patterns AWS documents for sts:AssumeRole's parameters and IAM role names.
var (
	accountIDRE   = regexp.MustCompile(`^\d{12}$`)
	roleNameRE    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`) // and 2 to 1224 characters
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// orgFromContext validates the organization and account-filter flags.
func (s *selection) orgFromContext(c *cli.Context) error {
	o := orgSelection{on: c.Bool("org"), roleName: c.String("role-name"), externalID: c.String("external-id"), sessionID: c.String("role-session-name")}
	for _, name := range []string{"ou", "role-name", "external-id", "role-session-name"} {
		if c.IsSet(name) && !o.on {
			return usageError("--%s applies only with --org", name)
		}
	}
	for _, id := range splitList(c.StringSlice("ou")) {
		if !org.ValidParent(id) {
			return usageError("--ou %q: want an OU ID (ou-…) or a root ID (r-…)", id)
		}
		if !slices.Contains(o.ous, id) {
			o.ous = append(o.ous, id)
		}
	}
	switch {
	case c.IsSet("ou") && len(o.ous) == 0:
		return usageError("--ou: want an OU ID")
	case !roleNameRE.MatchString(o.roleName):
		return usageError("--role-name %q: want an IAM role name (1 to 64 letters, digits or +=,.@_-)", o.roleName)
	case c.IsSet("external-id") && (len(o.externalID) < 2 || len(o.externalID) > 1224 || !externalIDRE.MatchString(o.externalID)):
		return usageError("--external-id: want 2 to 1224 letters, digits or +=,.@:/_-")
	case !sessionNameRE.MatchString(o.sessionID):
		return usageError("--role-session-name %q: want 2 to 64 letters, digits or +=,.@_-", o.sessionID)
	}
	s.org = o
	var err error
	if s.accounts, err = accountList(c, "accounts"); err != nil {
		return err
	}
	if s.exclude, err = accountList(c, "exclude-accounts"); err != nil {
		return err
	}
	for _, id := range s.accounts {
		if slices.Contains(s.exclude, id) {
			return usageError("--accounts and --exclude-accounts both name %s", id)
		}
	}
	return nil
}

func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

func accountList(c *cli.Context, flag string) ([]string, error) {
	ids := splitList(c.StringSlice(flag))
	if c.IsSet(flag) && len(ids) == 0 {
		return nil, usageError("--%s: want account IDs", flag)
	}
	for _, id := range ids {
		if !accountIDRE.MatchString(id) {
			return nil, usageError("--%s %q: want 12-digit account IDs", flag, id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// keep is the account filter for check.Options.Select; nil without one.
func (s selection) keep() func(account string) bool {
	if len(s.accounts) == 0 && len(s.exclude) == 0 {
		return nil
	}
	return func(account string) bool {
		return (len(s.accounts) == 0 || slices.Contains(s.accounts, account)) && !slices.Contains(s.exclude, account)
	}
}

// reached is what a selection reaches: its profiles' own targets (the
// seats) at once and, with --org, the members of their organizations as
// each is listed, page by page, so auditing starts with the first page
// instead of after the last (about 5 s at 1,000 accounts).
type reached struct {
	seats []target
	// listing lists the organizations and hands send each page's new
	// members; nil without --org.
	listing func(ctx context.Context, send func([]target)) (listed, error)
	// targets is every target reached and skipped the organization
	// accounts not audited because they are not active; both complete once
	// check has returned.
	targets []target
	skipped []check.Skipped
}

// listed is what listing the organizations found: the accounts skipped,
// and the members audited in the order results are reported, each
// organization's by account ID.
type listed struct {
	skipped []check.Skipped
	order   []string
}

// reach identifies the selection's seats and, with --org, describes their
// organizations; a seat whose organization cannot be described or listed
// stops the run: auditing only the seat would read as if the organization
// had been audited.
func (s selection) reach(ctx context.Context, e *env, o awsenv.Overrides) (*reached, error) {
	seats, err := s.targets(ctx, e, o)
	if err != nil {
		return nil, err
	}
	r := &reached{seats: seats, targets: seats}
	if !s.org.on {
		return r, nil
	}
	// Every seat is identified first, so a member that is also a selected
	// profile is audited with that profile's credentials and never assumed.
	partitions := identifySeats(ctx, seats)
	type organization struct {
		seat int
		id   string
	}
	var orgs []organization
	described := map[string]bool{} // so two seats in one organization list it once
	for i, seat := range seats {
		if seat.Err != nil {
			continue
		}
		desc, err := org.Describe(ctx, organizations.NewFromConfig(seat.aws.ConfigFor("")))
		if err != nil {
			return nil, fmt.Errorf("--org: %s: %w", seatName(seat), err)
		}
		if !described[desc.ID] {
			described[desc.ID] = true
			orgs = append(orgs, organization{i, desc.ID})
		}
	}
	r.listing = func(ctx context.Context, send func([]target)) (listed, error) {
		keep := s.keep()
		if keep == nil {
			keep = func(string) bool { return true }
		}
		reachedIDs := map[string]bool{}
		for _, seat := range seats {
			reachedIDs[seat.Account] = seat.Account != ""
		}
		var out listed
		for _, o := range orgs {
			seat := seats[o.seat]
			assumer := seat.aws.Assumer()
			var members []string
			listing, err := s.listOrganization(ctx, e, seat, o.id, func(page []org.Account) {
				var batch []target
				for _, a := range page {
					if !a.Active() || reachedIDs[a.ID] || !keep(a.ID) {
						continue
					}
					reachedIDs[a.ID] = true
					members = append(members, a.ID)
					m := s.member(seat, assumer, cmp.Or(partitions[o.seat], "aws"), a.ID)
					m.name = a.Name
					batch = append(batch, m)
				}
				if len(batch) > 0 {
					send(batch)
				}
			})
			if err != nil {
				return listed{}, err
			}
			slices.Sort(members)
			out.order = append(out.order, members...)
			for _, a := range listing.Inactive {
				if keep(a.ID) {
					out.skipped = append(out.skipped, check.Skipped{Account: a.ID, Name: a.Name, State: a.State})
				}
			}
		}
		return out, nil
	}
	return r, nil
}

// check runs check over the targets as they are reached. Results come in
// the order they always have: the seats', then each organization's members
// by account ID. A listing that fails stops the run with its error.
func (r *reached) check(parent context.Context, co check.Options) (check.Report, error) {
	if r.listing == nil {
		return check.Run(parent, checkTargets(r.seats), co), nil
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	// Pages queue here while every slot is busy, so listing goes on.
	batches := make(chan []check.Target, 64)
	batches <- checkTargets(r.seats)
	all := slices.Clone(r.seats)
	var found listed
	var listErr error
	go func() {
		defer close(batches)
		found, listErr = r.listing(ctx, func(ts []target) {
			all = append(all, ts...)
			batches <- checkTargets(ts)
		})
		if listErr != nil {
			cancel()
		}
	}()
	rep := check.RunStream(ctx, batches, co)
	if listErr != nil && parent.Err() == nil {
		return check.Report{}, listErr
	}
	// Interrupted while listing: what was audited, for the caller to
	// report as cancelled.
	r.targets, r.skipped = all, found.skipped
	rank := make(map[string]int, len(found.order))
	for i, id := range found.order {
		rank[id] = i
	}
	key := func(res check.Result) int {
		if i, ok := rank[res.Account]; ok {
			return i
		}
		return -1 // a seat: first, as reached
	}
	slices.SortStableFunc(rep.Results, func(a, b check.Result) int { return key(a) - key(b) })
	return rep, nil
}

// listOrganization lists the accounts of seat's organization (ID
// organization), handing page each page's new accounts as it is read.
func (s selection) listOrganization(ctx context.Context, e *env, seat target, organization string, page func([]org.Account)) (org.Listing, error) {
	api := organizations.NewFromConfig(seat.aws.ConfigFor(""))
	// At a terminal, say what happens until the first page is read; the
	// progress line then replaces it.
	live := e.liveStderr()
	if live {
		fmt.Fprintf(e.stderr, "\r\033[K--org: listing the accounts of organization %s from %s", termsafe.Escape(organization), termsafe.Escape(seatName(seat)))
	}
	first := true
	listing, err := org.Walk(ctx, api, s.org.ous, s.parallel, func(accounts []org.Account) {
		if first && live {
			fmt.Fprint(e.stderr, "\r\033[K")
		}
		first = false
		page(accounts)
	})
	if first && live {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return org.Listing{}, fmt.Errorf("--org: list the accounts of organization %s from %s: %w", organization, seatName(seat), err)
	}
	return listing, nil
}

// nameMembers names each account reached through its organization, in
// fix's summary, by its account name there (else its ID) instead of the
// seat's profile, which it was not reached with.
func nameMembers(reports []fix.Report, targets []target) {
	for i := range reports {
		for _, t := range targets {
			if t.RoleARN != "" && t.Account == reports[i].Account {
				reports[i].Member = cmp.Or(t.name, t.Account)
			}
		}
	}
}

// member is the target of an organization's member account, reached from
// seat through the role --role-name names there.
func (s selection) member(seat target, assumer *awsenv.Assumer, partition, account string) target {
	role := awsenv.Role{ARN: "arn:" + partition + ":iam::" + account + ":role/" + s.org.roleName,
		ExternalID: s.org.externalID, SessionName: s.org.sessionID}
	cfg := assumer.Config(role)
	clients := awsenv.NewClients(cfg)
	return target{aws: clients, Target: check.Target{Profile: seat.Profile, Region: seat.Region, Account: account, RoleARN: role.ARN,
		Clients: clients,
		Connect: func(ctx context.Context) error { return awsenv.Connect(ctx, cfg, role.ARN) }}}
}

// identifySeats sets each loadable seat's Account, or its Err, and returns
// the partition of each identified seat (aws, aws-cn, aws-us-gov), by index.
func identifySeats(ctx context.Context, seats []target) map[int]string {
	partitions := map[int]string{}
	for i := range seats {
		seat := &seats[i]
		if seat.Err != nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		id, err := seat.Clients.STS("").GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{})
		cancel()
		if err != nil {
			seat.Err = awserr.Classify("sts:GetCallerIdentity", err)
			continue
		}
		seat.Account = aws.ToString(id.Account)
		if f := strings.Split(aws.ToString(id.Arn), ":"); len(f) > 1 {
			partitions[i] = f[1]
		}
	}
	return partitions
}

func seatName(t target) string {
	if t.Profile == "" {
		return "the default credentials"
	}
	return "profile " + t.Profile
}
