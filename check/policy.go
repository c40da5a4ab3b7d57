package check

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// A small evaluator of resource policies (an SNS topic's access policy, a
// KMS key policy) for one question: may an AWS service principal, acting
// for an alarm of this account, perform one action on one resource? It
// knows the policy elements and condition operators such questions meet in
// practice; anything else makes the answer "unknown", naming the
// statement, because a wrong PASS is worse than asking a person.

// tri is a three-valued answer.
type tri int

const (
	no tri = iota
	yes
	unknown
)

// policyRequest is the request a policy is judged for.
type policyRequest struct {
	service  string // the service principal, e.g. cloudwatch.amazonaws.com
	action   string // e.g. sns:Publish
	resource string
	// context holds the condition keys the request carries, lower-cased.
	context map[string]string
}

// policyVerdict is the answer with the statements behind it.
type policyVerdict struct {
	allowed tri
	why     string
	// fixable: no Deny stands in the way, so adding an Allow statement
	// would make allowed yes.
	fixable bool
}

// answer is the verdict for callers outside check: nil when unknown.
func (v policyVerdict) answer() (*bool, string) {
	switch v.allowed {
	case yes:
		t := true
		return &t, v.why
	case no:
		f := false
		return &f, v.why
	}
	return nil, v.why
}

type policyDoc struct {
	Statement statements
}

// statements accepts the one-statement shorthand (an object) and a list.
type statements []policyStatement

func (s *statements) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var one policyStatement
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = statements{one}
		return nil
	}
	var many []policyStatement
	err := json.Unmarshal(b, &many)
	*s = many
	return err
}

type policyStatement struct {
	Sid          string
	Effect       string
	Principal    json.RawMessage
	NotPrincipal json.RawMessage
	Action       stringList
	NotAction    stringList
	Resource     stringList
	NotResource  stringList
	Condition    map[string]map[string]stringList
}

// stringList is a policy value written as one string or a list; numbers
// and booleans (a Null condition's "true") read as their text.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch t := v.(type) {
	case []any:
		for _, x := range t {
			*l = append(*l, fmt.Sprint(x))
		}
	case nil:
	default:
		*l = stringList{fmt.Sprint(t)}
	}
	return nil
}

// evaluatePolicy decides req against a policy document: an explicit Deny
// wins, then an Allow; none is a no.
func evaluatePolicy(doc string, req policyRequest) policyVerdict {
	var p policyDoc
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return policyVerdict{allowed: unknown, why: fmt.Sprintf("the policy is not valid JSON: %v", err)}
	}
	var allow, allowUnknown, denyUnknown []string
	for i, s := range p.Statement {
		name := statementName(s, i)
		m, why := s.matches(req)
		switch {
		case strings.EqualFold(s.Effect, "Deny") && m == yes:
			return policyVerdict{allowed: no, why: "statement " + name + " denies " + req.service + " " + req.action}
		case strings.EqualFold(s.Effect, "Deny") && m == unknown:
			denyUnknown = append(denyUnknown, name+" ("+why+")")
		case strings.EqualFold(s.Effect, "Allow") && m == yes:
			allow = append(allow, name)
		case strings.EqualFold(s.Effect, "Allow") && m == unknown:
			allowUnknown = append(allowUnknown, name+" ("+why+")")
		}
	}
	switch {
	case len(denyUnknown) > 0:
		return policyVerdict{allowed: unknown, why: "trailwatch cannot evaluate Deny statement " + strings.Join(denyUnknown, ", ")}
	case len(allow) > 0:
		return policyVerdict{allowed: yes, why: "statement " + allow[0] + " allows " + req.service + " " + req.action}
	case len(allowUnknown) > 0:
		return policyVerdict{allowed: unknown, fixable: true, why: "trailwatch cannot evaluate statement " + strings.Join(allowUnknown, ", ")}
	}
	return policyVerdict{allowed: no, fixable: true, why: "no statement allows " + req.service + " " + req.action}
}

func statementName(s policyStatement, i int) string {
	if s.Sid != "" {
		return fmt.Sprintf("%q", s.Sid)
	}
	return fmt.Sprintf("#%d", i+1)
}

// matches says whether the statement applies to req, and if unknown why.
func (s policyStatement) matches(req policyRequest) (tri, string) {
	if len(s.NotPrincipal) > 0 {
		return unknown, "NotPrincipal"
	}
	if m := principalMatches(s.Principal, req.service); m != yes {
		return m, "principal"
	}
	if !listMatches(s.Action, s.NotAction, req.action, true) {
		return no, ""
	}
	if !listMatches(s.Resource, s.NotResource, req.resource, false) {
		return no, ""
	}
	return conditionsHold(s.Condition, req.context)
}

// principalMatches: "*" and {"AWS": "*"} admit everyone, service
// principals included; {"Service": …} admits the services it names. An
// account, role or user is an IAM identity, never a service principal.
func principalMatches(raw json.RawMessage, service string) tri {
	if len(raw) == 0 {
		return no
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star == "*" {
			return yes
		}
		return no
	}
	var m map[string]stringList
	if err := json.Unmarshal(raw, &m); err != nil {
		return unknown
	}
	if slices.Contains(m["AWS"], "*") || slices.Contains(m["Service"], service) {
		return yes
	}
	return no
}

// listMatches applies Action/NotAction (or Resource/NotResource). An
// absent element matches everything, as a resource policy's implied
// resource is the resource itself.
func listMatches(list, notList stringList, v string, fold bool) bool {
	match := func(l stringList) bool {
		return slices.ContainsFunc(l, func(p string) bool {
			if fold {
				return wildcard(strings.ToLower(p), strings.ToLower(v))
			}
			return wildcard(p, v)
		})
	}
	switch {
	case len(list) > 0:
		return match(list)
	case len(notList) > 0:
		return !match(notList)
	}
	return true
}

// conditionOps are the condition operators evaluated here; negated ones
// hold when no value matches.
var conditionOps = map[string]struct {
	negated, fold, glob, arn bool
}{
	"stringequals":              {},
	"stringnotequals":           {negated: true},
	"stringequalsignorecase":    {fold: true},
	"stringnotequalsignorecase": {negated: true, fold: true},
	"stringlike":                {glob: true},
	"stringnotlike":             {negated: true, glob: true},
	"arnequals":                 {arn: true},
	"arnlike":                   {arn: true},
	"arnnotequals":              {negated: true, arn: true},
	"arnnotlike":                {negated: true, arn: true},
}

// conditionsHold evaluates every condition block (all must hold) on the
// keys the request carries; other keys and operators are unknown, unless
// another condition already fails.
func conditionsHold(conds map[string]map[string]stringList, ctx map[string]string) (tri, string) {
	var unknowns []string
	failed := false
	for _, op := range slices.Sorted(maps.Keys(conds)) {
		name := strings.ToLower(op)
		if strings.HasPrefix(name, "foranyvalue:") || strings.HasPrefix(name, "forallvalues:") {
			unknowns = append(unknowns, "condition operator "+op)
			continue
		}
		name = strings.TrimSuffix(name, "ifexists") // every key evaluated here is present
		if name == "bool" {
			for _, key := range slices.Sorted(maps.Keys(conds[op])) {
				switch secureTransportHolds(key, conds[op][key]) {
				case no:
					failed = true
				case unknown:
					unknowns = append(unknowns, "condition "+op+" on "+key)
				}
			}
			continue
		}
		o, known := conditionOps[name]
		if !known && name != "null" {
			unknowns = append(unknowns, "condition operator "+op)
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(conds[op])) {
			values := conds[op][key]
			v, present := ctx[strings.ToLower(key)]
			if !present {
				unknowns = append(unknowns, "condition key "+key)
				continue
			}
			var holds bool
			switch {
			case name == "null":
				holds = slices.Contains(values, "false")
			case o.arn:
				some, ok := arnMatchesAny(values, v)
				if !ok {
					unknowns = append(unknowns, "condition "+op+" on "+key+" with a value that is not an ARN of six parts")
					continue
				}
				holds = some != o.negated
			default:
				some := slices.ContainsFunc(values, func(p string) bool {
					if o.fold {
						return strings.EqualFold(p, v)
					}
					if o.glob {
						return wildcard(p, v)
					}
					return p == v
				})
				holds = some != o.negated
			}
			failed = failed || !holds
		}
	}
	switch {
	case failed:
		return no, ""
	case len(unknowns) > 0:
		return unknown, strings.Join(unknowns, ", ")
	}
	return yes, ""
}

// secureTransportHolds evaluates a Bool condition for a request an AWS
// service makes on its own behalf: services call each other over TLS, so
// aws:SecureTransport is true and a condition asking for false never
// holds (the Deny AWS's SNS best practices recommend spares CloudWatch).
// Whether a condition asking for true holds is left unknown: no AWS page
// says CloudWatch's request carries the key at all, and a wrong PASS is
// worse than asking; so is every other key.
func secureTransportHolds(key string, values stringList) tri {
	if !strings.EqualFold(key, "aws:SecureTransport") || len(values) == 0 {
		return unknown
	}
	for _, v := range values {
		if !strings.EqualFold(v, "false") {
			return unknown
		}
	}
	return no
}

// arnMatchesAny is ArnLike (and ArnEquals, which IAM evaluates alike) of
// the ARN v against policy values: each of an ARN's six colon-separated
// components is matched on its own, so a * never reaches across a colon into
// the next component. ok is false when no value matches and one is not a
// six-part ARN, which IAM's documentation leaves unsettled.
func arnMatchesAny(values []string, v string) (some, ok bool) {
	ok = true
	vs := strings.SplitN(v, ":", 6)
	for _, p := range values {
		ps := strings.SplitN(p, ":", 6)
		if len(ps) < 6 || len(vs) < 6 {
			ok = false
			continue
		}
		match := true
		for i := range ps {
			match = match && wildcard(ps[i], vs[i])
		}
		if match {
			return true, true
		}
	}
	return false, ok
}

// wildcard matches v against a policy pattern where * is any run of
// characters and ? any one character. It backtracks only to the last *,
// so hostile patterns cost linear-times-stars, not exponential, time.
func wildcard(p, v string) bool {
	pi, vi, star, mark := 0, 0, -1, 0
	for vi < len(v) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == v[vi]):
			pi++
			vi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, vi
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			vi = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
