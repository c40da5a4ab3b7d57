package control

import (
	"fmt"
	"slices"
	"sync"
)

// The registry lists the controls trailwatch knows, in registration order.
// Controls register themselves from this package's init; tests register
// made-up ones with Register and remove them with the func it returns.
var (
	mu       sync.RWMutex
	registry []Control
)

// defaultID is the control every command decides when none is selected.
const defaultID = "cloudtrail-changes"

// All returns the registered controls, in registration order.
func All() []Control {
	mu.RLock()
	defer mu.RUnlock()
	return slices.Clone(registry)
}

// Lookup returns the control with the given ID.
func Lookup(id string) (Control, bool) {
	mu.RLock()
	defer mu.RUnlock()
	i := slices.IndexFunc(registry, func(c Control) bool { return c.ID == id })
	if i < 0 {
		return Control{}, false
	}
	return registry[i], true
}

// Default is the CloudTrail-changes control: what check, plan and fix decide
// when no control is selected, as before controls were data.
func Default() Control {
	c, ok := Lookup(defaultID)
	if !ok {
		panic("control: the default control is not registered")
	}
	return c
}

// Register adds c to the registry and returns a func that removes it again
// (for tests that make up a control). It panics on an empty or taken ID or a
// control with no events: both are programming errors.
func Register(c Control) (unregister func()) {
	if c.ID == "" || len(c.Events) == 0 {
		panic(fmt.Sprintf("control: register %q: a control needs an ID and events", c.ID))
	}
	mu.Lock()
	defer mu.Unlock()
	if slices.ContainsFunc(registry, func(r Control) bool { return r.ID == c.ID }) {
		panic(fmt.Sprintf("control: %q is registered twice", c.ID))
	}
	registry = append(registry, c)
	return func() {
		mu.Lock()
		defer mu.Unlock()
		registry = slices.DeleteFunc(registry, func(r Control) bool { return r.ID == c.ID })
	}
}
