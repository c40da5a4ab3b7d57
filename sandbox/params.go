package sandbox

// MaxFleetAccounts is the most accounts a sized scenario builds (for the
// org scenarios: members, besides the management account).
const MaxFleetAccounts = 1000

// DefaultFleetAccounts is a sized scenario's size when none is given.
const DefaultFleetAccounts = 3

// sizedScenarios are the scenarios ScenarioParams.Accounts sizes, each
// with the fewest accounts it takes; every other one has a fixed set of
// accounts.
var sizedScenarios = map[string]int{"fleet": 1}

// TakesAccounts reports whether a scenario is sized by Accounts, so a
// count given to any other can be refused rather than ignored.
func TakesAccounts(scenario string) bool {
	_, ok := sizedScenarios[scenario]
	return ok
}

// AccountsRange is the fewest and most Accounts a sized scenario takes, so
// a command line can refuse a count with its own flag's name.
func AccountsRange(scenario string) (fewest, most int) {
	return sizedScenarios[scenario], MaxFleetAccounts
}
