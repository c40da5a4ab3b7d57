package plan

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// FieldError is a plan file whose fields disagree with each other: the
// request is what fix sends, so any other field that says something else
// (what it shows, what it names) means the file was edited, and it is
// refused rather than trusted either way.
type FieldError struct {
	Change string // the change's id
	Field  string // e.g. "target", "after.Endpoint", "before.Threshold"
	Why    string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("change %s: field %s %s: refusing (was the file edited? re-run plan)", e.Change, e.Field, e.Why)
}

// consistent checks that every change of a read plan says one thing: its
// after is the view of its request, its target is what the request writes,
// an update's before names only members the request sends, ids are unique
// and each dependency comes earlier.
func (a AccountPlan) consistent() error {
	seen := map[string]bool{}
	for _, c := range a.Changes {
		if c.ID == "" || seen[c.ID] {
			return &FieldError{Change: c.ID, Field: "id", Why: "is empty or used twice"}
		}
		seen[c.ID] = true
		for _, d := range c.DependsOn {
			if d == c.ID || !seen[d] {
				return &FieldError{Change: c.ID, Field: "depends_on", Why: fmt.Sprintf("names %q, which is not an earlier change", d)}
			}
		}
		if c.Action != Create && c.Action != Update {
			return &FieldError{Change: c.ID, Field: "action", Why: fmt.Sprintf("is %q, want create or update", c.Action)}
		}
		in, err := c.Input()
		if err != nil {
			return err
		}
		if want := a.regionOf(c, in); c.Region != want {
			return &FieldError{Change: c.ID, Field: "region", Why: fmt.Sprintf("is %q, but the change goes to %q", c.Region, want)}
		}
		if err := sameAsRequest(c, View(in)); err != nil {
			return err
		}
		want, err := TargetOf(a.Account, c, in)
		if err != nil {
			return err
		}
		if c.Target != want {
			return &FieldError{Change: c.ID, Field: "target", Why: fmt.Sprintf("is %q but the request writes %q", c.Target, want)}
		}
	}
	return nil
}

// regionOf is where a change must be sent: IAM is global, a trail is
// updated in its home region (its ARN's), everything else goes where the
// account's changes go.
func (a AccountPlan) regionOf(c Change, in any) string {
	if op, ok := operationOfInput(in); ok {
		if r := op.region(in); r != "" {
			return r
		}
	}
	return a.Region
}

// sameAsRequest compares a change's after with its request's view, and its
// before's members with the request's.
func sameAsRequest(c Change, view map[string]any) error {
	keys := slices.Sorted(mapKeys(c.After, view))
	for _, k := range keys {
		got, inFile := c.After[k]
		want, inRequest := view[k]
		switch {
		case !inRequest:
			return &FieldError{Change: c.ID, Field: "after." + k, Why: "is not in the request"}
		case !inFile:
			return &FieldError{Change: c.ID, Field: "after." + k, Why: fmt.Sprintf("is missing, the request sends %s", jsonText(want))}
		case jsonText(got) != jsonText(want):
			return &FieldError{Change: c.ID, Field: "after." + k, Why: fmt.Sprintf("is %s but the request sends %s", jsonText(got), jsonText(want))}
		}
	}
	if c.Action == Create && len(c.Before) > 0 {
		return &FieldError{Change: c.ID, Field: "before", Why: "is set on a create"}
	}
	for _, k := range slices.Sorted(mapKeys(c.Before)) {
		if _, ok := view[k]; !ok {
			return &FieldError{Change: c.ID, Field: "before." + k, Why: "names a member the request does not send"}
		}
	}
	return nil
}

// jsonText is a value as canonical JSON: maps with sorted keys, numbers as
// JSON writes them, so a value read from a file and one computed compare.
func jsonText(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(string(raw))
}
