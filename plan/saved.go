package plan

import (
	"slices"

	"github.com/trailwatch/trailwatch/check"
)

// Reconcile lines up a saved plan's accounts with the accounts the selected
// profiles reach now (before is check's report of them): an account reached
// that the plan does not hold is blocked until planned, and an account of
// the plan nobody reaches is reported blocked, not silently dropped.
func Reconcile(saved Plan, before check.Report) Plan {
	byAccount := map[string]AccountPlan{}
	for _, a := range saved.Accounts {
		byAccount[a.Account] = a
	}
	p := saved
	p.Accounts = make([]AccountPlan, 0, len(before.Results))
	lined := map[string]bool{}
	for _, res := range before.Results {
		// A report of several controls holds each account once per control.
		if res.Account != "" && lined[res.Account] {
			continue
		}
		lined[res.Account] = true
		a, ok := byAccount[res.Account]
		if !ok {
			a = AccountPlan{Account: res.Account, Profiles: res.Profiles, Status: res.Status, Reason: res.Reason,
				Changes: []Change{}, Fingerprints: []Fingerprint{}, Blocked: "not in the saved plan; run plan for it"}
		}
		delete(byAccount, res.Account)
		p.Accounts = append(p.Accounts, a)
	}
	for _, a := range saved.Accounts {
		if _, missed := byAccount[a.Account]; missed && len(a.Changes) > 0 {
			a.Blocked, a.Changes = "no selected profile reaches this account: select its profile with --profile", []Change{}
			p.Accounts = append(p.Accounts, a)
		}
	}
	return p
}

// SavedProfiles is the profiles a saved plan was made with (each account's
// first), in order, so fix --plan reaches the same accounts without
// repeating --profile.
func (p Plan) SavedProfiles() []string {
	var out []string
	for _, a := range p.Accounts {
		if len(a.Profiles) > 0 && !slices.Contains(out, a.Profiles[0]) {
			out = append(out, a.Profiles[0])
		}
	}
	return out
}
