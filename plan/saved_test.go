package plan

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
)

func TestReconcile(t *testing.T) {
	change := Change{ID: "1", Operation: "sns:CreateTopic"}
	saved := Plan{FormatVersion: 1, Accounts: []AccountPlan{
		{Account: "111111111111", Profiles: []string{"a"}, Changes: []Change{change}},
		{Account: "222222222222", Profiles: []string{"b"}, Changes: []Change{change}},
		{Account: "333333333333", Profiles: []string{"c"}, Changes: []Change{}},
	}}
	before := check.Report{Results: []check.Result{
		{Account: "444444444444", Profiles: []string{"d"}, Status: check.Fail, Reason: check.NoAlarm},
		{Account: "111111111111", Profiles: []string{"a"}, Status: check.Fail},
	}}
	got := Reconcile(saved, before)
	require.Equal(t, 1, got.FormatVersion, "the rest of the plan is kept")
	var accounts, blocked []string
	for _, a := range got.Accounts {
		accounts, blocked = append(accounts, a.Account), append(blocked, a.Blocked)
	}
	// The reached accounts in check's order, then the plan's accounts with
	// changes that nobody reaches; one without changes is dropped.
	require.Equal(t, []string{"444444444444", "111111111111", "222222222222"}, accounts)
	require.Equal(t, []string{"not in the saved plan; run plan for it", "",
		"no selected profile reaches this account: select its profile with --profile"}, blocked)
	require.Equal(t, check.Fail, got.Accounts[0].Status)
	require.Equal(t, check.NoAlarm, got.Accounts[0].Reason)
	require.Empty(t, got.Accounts[0].Changes)
	require.Equal(t, []Change{change}, got.Accounts[1].Changes)
	require.Empty(t, got.Accounts[2].Changes, "an unreached account's changes are not applied")
	require.Len(t, saved.Accounts[1].Changes, 1, "the saved plan is not modified")
}

func TestSavedProfiles(t *testing.T) {
	p := Plan{Accounts: []AccountPlan{
		{Profiles: []string{"b", "a"}}, {Profiles: nil}, {Profiles: []string{"a"}}, {Profiles: []string{"b"}},
	}}
	require.Equal(t, []string{"b", "a"}, p.SavedProfiles())
}
