package plan

import (
	"context"
	"fmt"
	"strings"
)

// Resource names what a change writes, in the terms of the fingerprint that
// guards it: fix re-reads exactly that resource before the write.
// Key is "" for a change no fingerprint guards (cloudtrail:UpdateTrail,
// whose trail fix re-reads itself).
type Resource struct {
	Kind   string
	Region string
	Key    string
}

// Resource returns what c writes.
func (c Change) Resource() (Resource, error) {
	_, r, err := c.Decode()
	return r, err
}

// Decode returns the change's SDK input (as Input does) and what it writes
// (as Resource does), decoding the request once.
func (c Change) Decode() (any, Resource, error) {
	in, err := c.Input()
	if err != nil {
		return nil, Resource{}, err
	}
	return in, c.resourceOf(in), nil
}

func (c Change) resourceOf(in any) Resource {
	op, ok := operationOfInput(in)
	if !ok {
		return Resource{}
	}
	return op.resource(c, in)
}

// Guards returns the fingerprints recorded for r: what must still hold
// before a change to r is applied.
func (a AccountPlan) Guards(r Resource) []Fingerprint {
	var out []Fingerprint
	for _, fp := range a.Fingerprints {
		if fp.Kind == r.Kind && fp.Region == r.Region && fp.Key == r.Key {
			out = append(out, fp)
		}
	}
	return out
}

// guarded refuses a change that writes what the plan never read: fix
// re-reads only fingerprinted resources, so such a change (a plan file edited
// to name another alarm, say) would be a blind write. Build fingerprints
// every target; fix re-reads the trail itself.
func (a AccountPlan) guarded(c Change) error {
	in, r, err := c.Decode()
	if err != nil {
		return err
	}
	if op, _ := operationOfInput(in); op.ReadsTrail {
		// fix re-reads the trail the change targets: it must be the one written.
		if trail, _ := op.target(a.Account, c, in); trail != c.Target {
			return fmt.Errorf("change %s updates trail %s but targets %s: refusing (was the file edited? re-run plan)", c.ID, trail, c.Target)
		}
		return nil
	}
	if len(a.Guards(r)) == 0 {
		return fmt.Errorf("change %s writes %s %s in %s, which the plan never read: refusing a blind write (was the file edited? re-run plan)", c.ID, r.Kind, r.Key, r.Region)
	}
	return nil
}

// Stale is a resource that no longer looks as it did when planned.
type Stale struct {
	Fingerprint
	Now string `json:"now"`
}

// String names the resource and how it moved on, in words:
// "sns:Topic ARN in us-east-1 now exists".
func (s Stale) String() string {
	return fmt.Sprintf("%s %s in %s %s", s.Kind, s.Key, s.Region, s.Change())
}

// Change says how the resource moved on since planning: "now exists",
// "was deleted", "was changed" (its fingerprint differs), or, for what fix
// re-read and described itself, "now " and that description ("now
// delivers to …"). Hashes mean nothing to a reader; the JSON keeps them.
func (s Stale) Change() string {
	hashed := func(h string) bool { return strings.HasPrefix(h, "sha256:") }
	switch {
	case s.Hash == Absent && s.Now != Absent:
		if hashed(s.Now) {
			return "now exists"
		}
	case s.Now == Absent:
		return "was deleted"
	case hashed(s.Hash) && hashed(s.Now):
		return "was changed"
	}
	return "now " + s.Now
}

// VerifyFingerprints re-reads the given fingerprints with the reads Build
// made and returns those that changed.
func VerifyFingerprints(ctx context.Context, r Readers, fps []Fingerprint) ([]Stale, error) {
	var stale []Stale
	for _, fp := range fps {
		v, err := read(ctx, r, fp.Kind, fp.Region, fp.Key)
		if err != nil {
			return nil, err
		}
		h, err := hash(v)
		if err != nil {
			return nil, err
		}
		if h != fp.Hash {
			stale = append(stale, Stale{Fingerprint: fp, Now: h})
		}
	}
	return stale, nil
}
