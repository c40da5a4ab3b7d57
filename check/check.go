package check

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailwatch/trailwatch/internal/awsapi"
	"github.com/trailwatch/trailwatch/internal/awserr"
	"github.com/trailwatch/trailwatch/internal/parallel"
)

// Options tune a check run. The command layer fills them from flags.
type Options struct {
	// Strict requires exactly the CIS pattern (Security Hub's reading).
	Strict bool
	// Parallel is how many accounts are checked at once (below 1: one).
	Parallel int
	// CallTimeout bounds each AWS call (each page of a paginated one); zero
	// means no bound beyond ctx.
	CallTimeout time.Duration
	// Progress, when set, is told each time an account finishes.
	Progress func(done, total int, r Result)
	// Select, when set, keeps only the accounts it accepts; the others are
	// left out of the report (--accounts, --exclude-accounts).
	Select func(account string) bool
}

// Target is one credential set to check: a profile (or the default chain)
// with its clients and the region where trails are discovered.
type Target struct {
	Profile string
	Region  string
	Clients awsapi.Clients
	// Err is set when the profile's configuration or credentials could not
	// be loaded: the target becomes an ERROR result and the others go on.
	Err error
	// Account is the account Clients reach when it is known beforehand (an
	// organization's member, or a seat already identified): it is not asked
	// again.
	Account string
	// RoleARN is the role Clients assume into Account, empty when the
	// profile's own credentials are used.
	RoleARN string
	// Connect, when set, obtains the credentials before anything is read
	// (AssumeRole); its error is the account's ERROR.
	Connect func(ctx context.Context) error
}

// Run checks every target's account. Targets reaching the same account are
// checked once, with all their profiles named. Results keep the order of the
// targets; a failure in one account never stops the others.
func Run(ctx context.Context, targets []Target, opts Options) Report {
	accounts := make([]string, len(targets))
	errs := make([]error, len(targets))
	parallel.ForEach(len(targets), opts.Parallel, func(i int) {
		t := targets[i]
		if t.Err != nil {
			errs[i] = t.Err
			return
		}
		if t.Account != "" {
			accounts[i] = t.Account
			if t.Connect != nil && (opts.Select == nil || opts.Select(t.Account)) {
				errs[i] = t.Connect(ctx)
			}
			return
		}
		a := auditor{clients: t.Clients, opts: opts}
		accounts[i], errs[i] = a.callerAccount(ctx, t.Region)
	})

	// One job per account, plus one per target that could not be identified.
	type job struct {
		target   Target
		account  string
		profiles []string
		err      error
	}
	var jobs []*job
	byAccount := map[string]*job{}
	for i, t := range targets {
		if accounts[i] != "" && opts.Select != nil && !opts.Select(accounts[i]) {
			continue
		}
		if errs[i] != nil {
			if j, ok := byAccount[accounts[i]]; ok && accounts[i] != "" {
				// Already reached another way: that one is audited.
				j.profiles = append(j.profiles, t.Profile)
				continue
			}
			jobs = append(jobs, &job{target: t, account: accounts[i], profiles: []string{t.Profile}, err: errs[i]})
			continue
		}
		if j, ok := byAccount[accounts[i]]; ok {
			j.profiles = append(j.profiles, t.Profile)
			continue
		}
		j := &job{target: t, account: accounts[i], profiles: []string{t.Profile}}
		byAccount[accounts[i]] = j
		jobs = append(jobs, j)
	}

	results := make([]Result, len(jobs))
	finished := owners{}
	var mu sync.Mutex
	done := 0
	parallel.ForEach(len(jobs), opts.Parallel, func(i int) {
		j := jobs[i]
		if j.err != nil {
			results[i] = errorResult(j.account, j.target.Profile, j.target.Region, j.err)
		} else {
			results[i] = Account(ctx, j.target.Clients, j.account, j.target.Region, opts)
		}
		results[i].RoleARN = j.target.RoleARN
		results[i].Profiles = nonEmpty(j.profiles)
		if len(results[i].Profiles) > 0 {
			results[i].Profile = results[i].Profiles[0]
		}
		if opts.Progress != nil {
			mu.Lock()
			done++
			opts.Progress(done, len(jobs), finished.add(results[i]))
			mu.Unlock()
		}
	})
	resolveOrganizationTrails(results)
	return Report{Results: results, Summary: summarize(results)}
}

// Account checks one account whose ID is already known (fix re-checks an
// account after applying with this). region is where trails are discovered.
func Account(ctx context.Context, clients awsapi.Clients, account, region string, opts Options) Result {
	a := auditor{clients: clients, opts: opts, account: account, filters: map[string]filterList{}, alarms: map[string]alarmList{}, topics: map[string]*TopicEvidence{}}
	r := a.run(ctx, region)
	r.Account = account
	r.Region = region
	return r
}

// errorResult is a target that never got to its chain: its credentials,
// configuration or endpoint failed, or (account known) its role could not
// be assumed, explained once.
func errorResult(account, profile, region string, err error) Result {
	r := Result{Account: account, Region: region, Status: Error, Trails: []TrailEvidence{}}
	if coded, ok := errors.AsType[interface {
		error
		ErrorCode() string
	}](err); ok && coded.ErrorCode() == string(awserr.AssumeRoleFailed) {
		r.ErrorCode, r.Message, r.Remediation = coded.ErrorCode(), err.Error(), remediationAssumeRole
		return r
	}
	p := awserr.Describe(err, profile)
	r.ErrorCode, r.Message, r.Remediation = string(p.Code), p.Message, p.Remediation
	return r
}

func nonEmpty(profiles []string) []string {
	out := make([]string, 0, len(profiles))
	for _, p := range profiles {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func summarize(results []Result) Summary {
	s := Summary{Accounts: len(results)}
	for _, r := range results {
		switch r.Status {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case Error:
			s.Error++
		case Manual:
			s.Manual++
		}
	}
	return s
}

// auditor walks one account's chain. Reads are cached per resource so two
// trails delivering to one log group, or two alarms notifying one topic,
// cost one call each (the API budget of docs/design.md).
type auditor struct {
	clients awsapi.Clients
	opts    Options
	account string
	filters map[string]filterList
	alarms  map[string]alarmList
	topics  map[string]*TopicEvidence
}

// call bounds one AWS request by the per-call timeout.
func (a *auditor) call(ctx context.Context) (context.Context, context.CancelFunc) {
	if a.opts.CallTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, a.opts.CallTimeout)
}

func (a *auditor) callerAccount(ctx context.Context, region string) (string, error) {
	cctx, cancel := a.call(ctx)
	defer cancel()
	out, err := a.clients.STS(region).GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", awserr.Classify("sts:GetCallerIdentity", err)
	}
	return aws.ToString(out.Account), nil
}

func (a *auditor) run(ctx context.Context, region string) Result {
	trails, err := a.describeTrails(ctx, region)
	if err != nil {
		p := awserr.Describe(err, "")
		return Result{Status: Error, ErrorCode: string(p.Code), Message: err.Error(), Trails: []TrailEvidence{}, Remediation: p.Remediation}
	}
	if len(trails) == 0 {
		return Result{
			Status: Fail, Reason: NoMultiRegionTrail, Trails: []TrailEvidence{},
			Message:     fmt.Sprintf("no trail is visible from %s", region),
			Remediation: remediation[NoMultiRegionTrail],
		}
	}
	best := outcome{kind: failed, stage: -1}
	var evidence []TrailEvidence
	for _, t := range trails {
		ev, o := a.trail(ctx, t)
		ev.Complete = o.kind == complete
		if o.kind == failed {
			ev.Failed = Reasons[o.stage]
		}
		if o.kind != complete && o.kind != failed {
			ev.Note = o.why
		}
		evidence = append(evidence, ev)
		best = better(best, o)
	}
	return resultOf(best, evidence)
}

func resultOf(o outcome, evidence []TrailEvidence) Result {
	r := Result{Trails: evidence, Message: o.why}
	switch o.kind {
	case complete:
		r.Status, r.Remediation = Pass, "none needed"
	case errored:
		p := awserr.Describe(o.err, "")
		r.Status, r.ErrorCode, r.Remediation = Error, string(p.Code), p.Remediation
	case manual:
		r.Status, r.OtherAccount = Manual, o.account
		r.Remediation = remediationManual
		if o.account != "" {
			r.Remediation = fmt.Sprintf("verify the chain in account %s (or run trailwatch check with a profile for it)", o.account)
		}
	default:
		r.Status, r.Reason = Fail, Reasons[o.stage]
		r.Remediation = remediation[r.Reason]
	}
	return r
}

// describeTrails is the one discovery call: shadow trails included, so every
// multi-region trail shows up from any region; de-duplicated by ARN.
func (a *auditor) describeTrails(ctx context.Context, region string) ([]cttypes.Trail, error) {
	cctx, cancel := a.call(ctx)
	defer cancel()
	out, err := a.clients.CloudTrail(region).DescribeTrails(cctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return nil, awserr.Classify("cloudtrail:DescribeTrails", err)
	}
	seen := map[string]bool{}
	var trails []cttypes.Trail
	for _, t := range out.TrailList {
		arn := aws.ToString(t.TrailARN)
		if seen[arn] {
			continue
		}
		seen[arn] = true
		trails = append(trails, t)
	}
	sort.SliceStable(trails, func(i, j int) bool { return aws.ToString(trails[i].TrailARN) < aws.ToString(trails[j].TrailARN) })
	return trails, nil
}

// outcome is how far one path along the chain got. Paths fan out (trails,
// filters, metrics, alarms, topics) and better keeps the most useful one.
type outcome struct {
	kind    kind
	stage   int    // index into Reasons when kind is failed
	account string // the other account when kind is manual
	why     string
	err     error // what went wrong when kind is errored
}

type kind int

// In order of preference: a complete chain decides PASS whatever else was
// seen; an unreadable link outweighs a definite FAIL (never FAIL on missing
// data); a chain in another account or an indeterminate filter outweighs
// FAIL too, since it may be the complete chain.
const (
	failed kind = iota
	manual
	errored
	complete
)

func better(a, b outcome) outcome {
	if a.kind != b.kind {
		if a.kind > b.kind {
			return a
		}
		return b
	}
	if a.kind == failed && b.stage > a.stage {
		return b
	}
	return a
}

func failAt(r Reason, format string, args ...any) outcome {
	for i, x := range Reasons {
		if x == r {
			return outcome{kind: failed, stage: i, why: fmt.Sprintf(format, args...)}
		}
	}
	panic("check: unknown reason " + string(r))
}

func erred(err error) outcome { return outcome{kind: errored, why: err.Error(), err: err} }

// arnField returns the i-th colon-separated field of an ARN (3 is the
// region, 4 the account).
func arnField(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) <= i {
		return ""
	}
	return parts[i]
}
