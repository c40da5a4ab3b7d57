package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
)

// Encode writes a plan as indented JSON, the format of `plan --out` and
// `plan --output json`.
func Encode(w io.Writer, p Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// Read loads a plan file and checks it is one this version can apply. Its
// errors do not repeat the path: the caller names the file once.
func Read(path string) (Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Plan{}, fmt.Errorf("cannot read it: %w", err)
	}
	defer f.Close()
	return Parse(f)
}

// Parse decodes a plan and refuses one fix must not apply: another format
// version, unknown fields or operations, a change that writes what the plan
// never read, or fields that disagree with the request fix would send.
func Parse(r io.Reader) (Plan, error) {
	var p Plan
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Plan{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	if dec.More() {
		return Plan{}, fmt.Errorf("%w: more than one JSON value", ErrInvalidInput)
	}
	if p.FormatVersion != FormatVersion {
		return Plan{}, fmt.Errorf("%w: format version %d, this trailwatch reads %d", ErrInvalidInput, p.FormatVersion, FormatVersion)
	}
	accounts := map[string]bool{}
	for _, a := range p.Accounts {
		// An account check could not identify has no ID, and no changes.
		if (len(a.Changes) > 0 && !accountID.MatchString(a.Account)) || (a.Account != "" && accounts[a.Account]) {
			return Plan{}, fmt.Errorf("%w: field account %q: want a 12-digit account ID, once per plan", ErrInvalidInput, a.Account)
		}
		accounts[a.Account] = true
		for _, c := range a.Changes {
			if err := a.guarded(c); err != nil {
				return Plan{}, fmt.Errorf("account %s: %w: %w", a.Account, ErrInvalidInput, err)
			}
		}
		if err := a.consistent(); err != nil {
			return Plan{}, fmt.Errorf("account %s: %w: %w", a.Account, ErrInvalidInput, err)
		}
	}
	return p, nil
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// Verify re-reads every resource an account's plan fingerprinted, with the
// same reads Build made, and returns those that changed. fix refuses to
// apply an account with any.
func Verify(ctx context.Context, r Readers, a AccountPlan) ([]Stale, error) {
	stale, err := VerifyFingerprints(ctx, r, a.Fingerprints)
	if err != nil {
		return nil, fmt.Errorf("verify plan of %s: %w", a.Account, err)
	}
	return stale, nil
}

// Input decodes a change's request into the SDK input it will be sent as.
// JSON member names match the SDK's fields case-insensitively, which is what
// lets CloudWatch Logs' camelCase requests decode too; unknown members are an
// error so a hand-edited plan cannot smuggle in fields.
func (c Change) Input() (any, error) {
	op, ok := OperationOf(c.Operation)
	if !ok {
		return nil, fmt.Errorf("change %s: unknown operation %q", c.ID, c.Operation)
	}
	in := op.input()
	dec := json.NewDecoder(bytes.NewReader(c.Request))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return nil, fmt.Errorf("change %s: decode %s request: %w", c.ID, c.Operation, err)
	}
	return in, nil
}
