package check

import "fmt"

// Skip records organization accounts that were listed and not audited.
func (r *Report) Skip(accounts []Skipped) {
	r.Skipped = append(r.Skipped, accounts...)
	r.Summary.Skipped = len(r.Skipped)
}

// resolveOrganizationTrails settles MANUAL results whose chain continues in
// another account that this run audited too. A member sees its
// organization's trail but cannot read the log group, filter, alarm and
// topic behind it; when the trail's owner is in the run, the owner's
// verdict on that same trail is the member's: PASS when it holds, FAIL with
// the owner's reason when it does not. The same goes for a member's own
// trail delivering to a log group of an account in the run (its chain from
// the group on), and for an alarm notifying a topic of an account in the
// run, as that account read it. Without the owner the result stays MANUAL.
// Results are read from a snapshot, so a verdict settled here never
// settles another.
func resolveOrganizationTrails(results []Result) {
	o := owners{}
	for _, r := range results {
		o.record(r)
	}
	for i := range results {
		if results[i].Status == Manual {
			resolve(&results[i], o)
		}
	}
}

// owners are the results that may settle another account's, by account
// and control: a member's verdict on a control is its owner's on that same
// control.
type owners map[ownerKey]Result

type ownerKey struct{ account, control string }

func (o owners) record(r Result) {
	if r.Account != "" && r.Status != Error {
		o[ownerKey{r.Account, r.ControlID}] = r
	}
}

// of is account's result on control, if the run has it.
func (o owners) of(account, control string) (Result, bool) {
	r, ok := o[ownerKey{account, control}]
	return r, ok
}

// add records a finished result and returns it as far as the results
// finished so far settle it, for progress: a member whose organization
// trail's owner is done already shows its verdict, not MANUAL.
func (o owners) add(r Result) Result {
	o.record(r)
	if r.Status == Manual {
		resolve(&r, o) // on a copy: r's trails are cloned before they change
	}
	return r
}

// resolved is one trail's outcome with the chain that decided it.
type resolved struct {
	outcome
	via *Via
}

func resolve(r *Result, owners owners) {
	best := resolved{outcome: outcome{kind: failed, stage: -1}}
	trails := make([]TrailEvidence, len(r.Trails))
	copy(trails, r.Trails)
	for j, ev := range trails {
		cur := resolved{outcome: evidenceOutcome(ev)}
		if o, via, ok := viaOwner(ev, r.Account, r.ControlID, owners); ok {
			cur = resolved{outcome: o, via: via}
			trails[j].Complete = o.kind == complete
			trails[j].Failed = ""
			if o.kind == failed {
				trails[j].Failed = Reasons[o.stage]
			}
			trails[j].Note = o.why
		}
		if preferred(cur, best) {
			best = cur
		}
	}
	if best.kind != complete && best.kind != failed {
		return // some chain is still beyond this run's reach
	}
	res := resultOf(best.outcome, trails)
	res.Account, res.Profile, res.Profiles, res.Region, res.RoleARN = r.Account, r.Profile, r.Profiles, r.Region, r.RoleARN
	res.ControlID = r.ControlID
	res.Via = best.via
	if res.Status == Fail && best.via != nil {
		res.Remediation = fmt.Sprintf("%s — in account %s, which owns %s (trailwatch plan/fix with --org or its profile changes it there, once)",
			res.Remediation, best.via.Account, best.via.ARN)
	}
	*r = res
}

// preferred is better() with one rule more: between two failing chains, the
// one that runs through another account's organization trail or log group
// wins, however far the member's own got, so that it is fixed once, there,
// for every account it covers, and never in each member.
func preferred(cur, best resolved) bool {
	if cur.kind != failed || best.kind != failed || (cur.via == nil) == (best.via == nil) {
		return outranks(cur.outcome, best.outcome)
	}
	return cur.via != nil
}

// evidenceOutcome reads a trail's outcome back from its evidence.
func evidenceOutcome(ev TrailEvidence) outcome {
	switch {
	case ev.Complete:
		return outcome{kind: complete, why: ev.Note}
	case ev.Failed != "":
		return failAt(ev.Failed, "%s", ev.Note)
	}
	return outcome{kind: manual, why: ev.Note}
}

// viaOwner is the verdict of the account that owns ev's trail (an
// organization trail) or its log group, when that account is in the run
// and its own audit decided that chain.
func viaOwner(ev TrailEvidence, account, control string, owners owners) (outcome, *Via, bool) {
	switch {
	case ev.Account != "" && ev.Account != account:
		owner, ok := owners.of(ev.Account, control)
		if !ok {
			return outcome{}, nil, false
		}
		for _, oe := range owner.Trails {
			if oe.ARN != ev.ARN {
				continue
			}
			via := &Via{Kind: "organization_trail", ARN: ev.ARN, Account: ev.Account}
			text := fmt.Sprintf("via organization trail %s of account %s", ev.ARN, ev.Account)
			switch {
			case oe.Complete:
				return outcome{kind: complete, why: text + ": every link holds there"}, via, true
			case oe.Failed != "":
				o := failAt(oe.Failed, "%s: %s", text, ownerWhy(owner, oe))
				return o, via, true
			}
		}
	case ev.Failed == "" && !ev.Complete && ev.LogGroupAccount == account:
		return viaTopic(ev, account, control, owners)
	case ev.LogGroupAccount != "" && ev.LogGroupAccount != account && ev.Failed == "" && !ev.Complete:
		owner, ok := owners.of(ev.LogGroupAccount, control)
		if !ok {
			return outcome{}, nil, false
		}
		for _, oe := range owner.Trails {
			if oe.LogGroupARN != ev.LogGroupARN {
				continue
			}
			via := &Via{Kind: "log_group", ARN: ev.LogGroupARN, Account: ev.LogGroupAccount}
			text := fmt.Sprintf("trail %s delivers to log group %s of account %s", ev.Name, ev.LogGroupARN, ev.LogGroupAccount)
			switch {
			case oe.Complete:
				return outcome{kind: complete, why: text + ", whose filter, alarm and subscriber hold there"}, via, true
			case oe.Failed != "" && stageOf(oe.Failed) >= stageOf(NoMatchingFilter):
				// Only links from the group on are the group's: an owner
				// trail failing earlier says nothing about them.
				return failAt(oe.Failed, "%s: %s", text, ownerWhy(owner, oe)), via, true
			}
		}
	}
	return outcome{}, nil, false
}

// viaTopic settles a trail whose alarm notifies a topic of another account
// in the run (a central security topic), from what that account's own audit
// read of the topic: confirmed subscribers complete the chain; none, on
// every such topic, fail it — unless some filter's coverage is
// indeterminate, which still needs a person.
func viaTopic(ev TrailEvidence, account, control string, owners owners) (outcome, *Via, bool) {
	var unconfirmed *Via
	settled, open := false, false
	for _, f := range ev.Filters {
		if f.Coverage == "unknown" || len(f.Indeterminate) > 0 {
			open = true
		}
		if f.Coverage != "match" || len(f.Indeterminate) > 0 || f.Rejected != "" {
			continue
		}
		for _, m := range f.Metrics {
			for _, al := range m.Alarms {
				if !al.CanFire {
					continue
				}
				for _, tp := range al.Topics {
					if tp.Account == account {
						continue
					}
					owner, _ := owners.of(tp.Account, control)
					read, ok := readTopic(owner, tp.ARN)
					if !ok {
						open = true
						continue
					}
					via := &Via{Kind: "topic", ARN: tp.ARN, Account: tp.Account}
					if read.Confirmed > 0 {
						return outcome{kind: complete, why: fmt.Sprintf("alarm %s notifies topic %s of account %s, which has %s there",
							al.Name, tp.ARN, tp.Account, plural(read.Confirmed, "confirmed subscription"))}, via, true
					}
					settled, unconfirmed = true, via
				}
			}
		}
	}
	if !settled || open {
		return outcome{}, nil, false
	}
	return failAt(NoConfirmedSubscriber, "topic %s of account %s has no confirmed subscription there", unconfirmed.ARN, unconfirmed.Account), unconfirmed, true
}

// readTopic is a topic as its owner's audit read it, if it did.
func readTopic(owner Result, arn string) (TopicEvidence, bool) {
	for _, tr := range owner.Trails {
		for _, f := range tr.Filters {
			for _, m := range f.Metrics {
				for _, al := range m.Alarms {
					for _, tp := range al.Topics {
						if tp.ARN == arn && tp.Account == owner.Account {
							return tp, true
						}
					}
				}
			}
		}
	}
	return TopicEvidence{}, false
}

// ownerWhy is the owner's explanation for its trail: the result's message
// when that trail decided the result, else the link it failed at.
func ownerWhy(owner Result, oe TrailEvidence) string {
	if owner.Reason == oe.Failed && owner.Message != "" {
		return owner.Message
	}
	return string(oe.Failed)
}

func stageOf(r Reason) int {
	for i, x := range Reasons {
		if x == r {
			return i
		}
	}
	return -1
}
