package sandbox

import (
	"encoding/json"
	"slices"
	"strings"
)

// trusts reports whether a role's trust policy lets the caller assume it:
// an Allow statement for sts:AssumeRole whose AWS principal is the caller's
// account (its root ARN or bare ID), the caller's own ARN or "*", and whose
// sts:ExternalId condition, if any, equals externalID. It is the part of
// IAM's evaluation that decides whether trailwatch reaches a member: other
// conditions and Deny statements are not modelled.
func trusts(policy string, caller, callerARN, externalID string) bool {
	var doc struct {
		Statement []struct {
			Effect    string
			Action    any
			Principal struct{ AWS any }
			Condition map[string]map[string]any
		}
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return false
	}
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || !slices.ContainsFunc(strs(s.Action), func(a string) bool {
			return a == "*" || strings.EqualFold(a, "sts:AssumeRole") || strings.EqualFold(a, "sts:*")
		}) {
			continue
		}
		principal := slices.ContainsFunc(strs(s.Principal.AWS), func(p string) bool {
			return p == "*" || p == caller || p == "arn:aws:iam::"+caller+":root" || p == callerARN
		})
		if principal && externalIDHolds(s.Condition, externalID) {
			return true
		}
	}
	return false
}

func externalIDHolds(cond map[string]map[string]any, externalID string) bool {
	for op, keys := range cond {
		for key, want := range keys {
			if !strings.EqualFold(key, "sts:ExternalId") {
				continue
			}
			if op != "StringEquals" || !slices.Contains(strs(want), externalID) {
				return false
			}
		}
	}
	return true
}

// strs reads a policy value that is a string or a list of strings.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
