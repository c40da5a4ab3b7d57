package sandbox

import (
	"fmt"
	"sort"
)

// Default credentials: the default account answers to DefaultAccessKey with
// any secret key.
const (
	DefaultAccount   = "111111111111"
	DefaultAccessKey = "AKIASANDBOX111111111"
	DefaultRegion    = "us-east-1"
)

// ScenarioParams tune scenarios that take parameters.
type ScenarioParams struct {
	Accounts int // size of the "fleet" scenario
}

// scenarios maps names to builders; "" is the empty default world.
var scenarios = map[string]func(b *builder, p ScenarioParams) error{
	"": func(b *builder, _ ScenarioParams) error {
		b.account(DefaultAccount, DefaultAccessKey)
		return nil
	},
}

// ScenarioNames lists the named scenarios.
func ScenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// LoadScenario replaces the state with a fresh build of the named scenario
// ("" for the default account only) and clears counts, log and faults.
func (s *Server) LoadScenario(name string, p ScenarioParams) error {
	build, ok := scenarios[name]
	if !ok {
		return fmt.Errorf("unknown scenario %q (known: %v)", name, ScenarioNames())
	}
	b := &builder{st: newState(), now: s.now()}
	if err := build(b, p); err != nil {
		return fmt.Errorf("scenario %s: %w", name, err)
	}
	s.replace(b.st)
	return nil
}
