// Package org lists the accounts of an AWS Organization from a seat (the
// management account or a delegated administrator): the whole organization
// with ListAccounts, or the accounts under chosen OUs, recursively.
package org

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/trailwatch/trailwatch/internal/awserr"
)

// API is every Organizations call discovery makes; docs/iam/org-seat-policy.json
// grants exactly these.
type API interface {
	DescribeOrganization(ctx context.Context, params *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	ListAccounts(ctx context.Context, params *organizations.ListAccountsInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	ListOrganizationalUnitsForParent(ctx context.Context, params *organizations.ListOrganizationalUnitsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
	ListAccountsForParent(ctx context.Context, params *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
}

// pageSize is the largest MaxResults the List operations accept.
const pageSize = 20

// parentRE is the service's pattern for a root or OU ID.
var parentRE = regexp.MustCompile(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`)

// ValidParent reports whether id is a root or OU ID as Organizations spells them.
func ValidParent(id string) bool { return parentRE.MatchString(id) }

// Account is one account of the organization.
type Account struct {
	ID    string `json:"account"`
	Name  string `json:"name"`
	State string `json:"state"` // ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION
}

// Active is whether the account can be audited: not suspended, closing,
// closed or still being created.
func (a Account) Active() bool { return a.State == string(types.AccountStateActive) }

// Organization is what DescribeOrganization says of the seat's organization.
type Organization struct {
	ID         string
	Management string // the management account
}

// Listing is what discovery found: the accounts to audit, sorted by ID,
// and the others (suspended, closing, closed).
type Listing struct {
	Active   []Account
	Inactive []Account
}

// ErrNotInOrganization is a seat that belongs to no organization.
var ErrNotInOrganization = errors.New("the account is not a member of an organization")

// Describe is the seat's organization; every member may ask.
func Describe(ctx context.Context, api API) (Organization, error) {
	desc, err := api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		if _, ok := errors.AsType[*types.AWSOrganizationsNotInUseException](err); ok {
			return Organization{}, fmt.Errorf("organizations:DescribeOrganization: %w", ErrNotInOrganization)
		}
		return Organization{}, awserr.Classify("organizations:DescribeOrganization", err)
	}
	return Organization{ID: aws.ToString(desc.Organization.Id), Management: aws.ToString(desc.Organization.MasterAccountId)}, nil
}

// List lists the organization's accounts: all of them, or those under ous
// (OUs or roots, recursively). Only the management account and delegated
// administrators may. Reads of different OUs run concurrently, at most
// limit at once; pages of one listing are sequential, as NextToken is.
func List(ctx context.Context, api API, ous []string, limit int) (Listing, error) {
	return Walk(ctx, api, ous, limit, nil)
}

// Walk is List that also hands page the accounts of each page it reads
// that no earlier page had, as soon as that page is read, so that work on
// them can start while the rest is listed (a page per 20 accounts: about 5 s
// for 1,000). page is never called concurrently; pages of different OUs
// come in the order they are read. A nil page is List.
func Walk(ctx context.Context, api API, ous []string, limit int, page func([]Account)) (Listing, error) {
	var (
		mu   sync.Mutex
		l    Listing
		seen = map[string]bool{}
	)
	emit := func(accounts []types.Account) {
		mu.Lock()
		defer mu.Unlock()
		var fresh []Account
		for _, a := range accounts {
			id := aws.ToString(a.Id)
			if seen[id] {
				continue
			}
			seen[id] = true
			acc := Account{ID: id, Name: aws.ToString(a.Name), State: string(a.State)}
			if acc.State == "" {
				// Before September 2026 some answers carried only Status.
				acc.State = string(a.Status)
			}
			if acc.Active() {
				l.Active = append(l.Active, acc)
			} else {
				l.Inactive = append(l.Inactive, acc)
			}
			fresh = append(fresh, acc)
		}
		if page != nil && len(fresh) > 0 {
			page(fresh)
		}
	}
	var err error
	if len(ous) == 0 {
		err = listAll(ctx, api, emit)
	} else {
		err = listUnder(ctx, api, ous, limit, emit)
	}
	if err != nil {
		return Listing{}, err
	}
	byID := func(a, b Account) int { return strings.Compare(a.ID, b.ID) }
	slices.SortFunc(l.Active, byID)
	slices.SortFunc(l.Inactive, byID)
	return l, nil
}

func listAll(ctx context.Context, api API, emit func([]types.Account)) error {
	p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{MaxResults: aws.Int32(pageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return awserr.Classify("organizations:ListAccounts", err)
		}
		emit(page.Accounts)
	}
	return nil
}

// listUnder walks the OU tree below each parent breadth-first, each
// parent's accounts and child OUs read concurrently, in no order: Walk
// removes duplicates and sorts.
func listUnder(ctx context.Context, api API, parents []string, limit int, emit func([]types.Account)) error {
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		visited  = map[string]bool{}
	)
	sem := make(chan struct{}, max(limit, 1))
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	var visit func(parent string)
	visit = func(parent string) {
		mu.Lock()
		if visited[parent] || firstErr != nil {
			mu.Unlock()
			return
		}
		visited[parent] = true
		mu.Unlock()
		wg.Add(2)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			err := accountsFor(ctx, api, parent, emit)
			<-sem
			if err != nil {
				fail(err)
			}
		}()
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			children, err := unitsFor(ctx, api, parent)
			<-sem
			if err != nil {
				fail(err)
				return
			}
			for _, c := range children {
				visit(c)
			}
		}()
	}
	for _, p := range parents {
		visit(p)
	}
	wg.Wait()
	return firstErr
}

func accountsFor(ctx context.Context, api API, parent string, emit func([]types.Account)) error {
	p := organizations.NewListAccountsForParentPaginator(api, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent), MaxResults: aws.Int32(pageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return parentError("organizations:ListAccountsForParent", parent, err)
		}
		emit(page.Accounts)
	}
	return nil
}

func unitsFor(ctx context.Context, api API, parent string) ([]string, error) {
	var out []string
	p := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent), MaxResults: aws.Int32(pageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, parentError("organizations:ListOrganizationalUnitsForParent", parent, err)
		}
		for _, u := range page.OrganizationalUnits {
			out = append(out, aws.ToString(u.Id))
		}
	}
	return out, nil
}

func parentError(action, parent string, err error) error {
	if _, ok := errors.AsType[*types.ParentNotFoundException](err); ok {
		return fmt.Errorf("--ou %s: no such root or OU in this organization: %w", parent, err)
	}
	return fmt.Errorf("list OU %s: %w", parent, awserr.Classify(action, err))
}
