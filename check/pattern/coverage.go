package pattern

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/trailwatch/trailwatch/control"
)

// Coverage says how a pattern fares against a control, judged on the
// control's CloudTrail records.
type Coverage struct {
	Pattern string
	Events  []EventCoverage // one per event of the control, in its order
	// Covers is Match iff every successful record of all its events matches,
	// Unknown if that depends on an unsettled construct, else NoMatch.
	Covers Verdict
	// FailedAttempts: are failed calls (records with errorCode) caught, for
	// the events the pattern catches at all? NoMatch if it catches none.
	FailedAttempts Verdict
	// NonIAMCallers: are root, assumed-role and AWS-service callers caught,
	// for the events the pattern catches at all? NoMatch if it catches none.
	NonIAMCallers Verdict
	// OverBroad: the pattern also matches DescribeTrails or a non-CloudTrail
	// event. It may still cover the control.
	OverBroad bool
	// MatchAll: the pattern matches every message (empty, whitespace, " ", []).
	MatchAll bool
	// StrictCIS: exactly one `$.eventName = X` disjunct per event of the
	// control and nothing else; order, spacing, parentheses and double quotes
	// don't matter.
	StrictCIS bool
	// TooBroad: the pattern matches some of the activity every account makes
	// whatever its people do (control.Background), so the alarm on its
	// metric never stops firing and a real change tells nobody.
	TooBroad bool
	// Background names the background records the pattern matches (event
	// and caller), in corpus order; empty unless TooBroad.
	Background []string
	// Noise names the calls the control may leave out that the pattern
	// matches, once each: a merely noisy filter still tells a person.
	Noise []string
	// Exact: the text is one prescribed for the control — Security Hub's
	// (ExactText) or the recommended Pattern where they differ (CIS v5's
	// security-group text) — whitespace outside quoted strings aside. A
	// reordered or extended pattern is not exact.
	Exact bool
	// Indeterminate lists why some verdict is Unknown.
	Indeterminate []string
}

// EventCoverage is the verdict for one of the control's events.
type EventCoverage struct {
	Event   string
	Verdict Verdict // over every successful record of the event
	// Clause is the top-level clause that catches the event from an IAM user
	// (the first that matches, else the first that is indeterminate).
	Clause string
	// Missed names the callers whose successful record did not match.
	Missed []string
}

// Analyze parses text and reports its coverage of the default control.
func Analyze(text string) (*Coverage, error) {
	return AnalyzeFor(control.Default(), text)
}

// AnalyzeFor parses text and reports its coverage of ctrl.
func AnalyzeFor(ctrl control.Control, text string) (*Coverage, error) {
	p, err := Parse(text)
	if err != nil {
		return nil, err
	}
	return p.AnalyzeFor(ctrl), nil
}

// Analyze reports p's coverage of the default control.
func (p *Pattern) Analyze() *Coverage {
	return p.AnalyzeFor(control.Default())
}

// AnalyzeFor reports p's coverage of ctrl, judged on ctrl's records.
func (p *Pattern) AnalyzeFor(ctrl control.Control) *Coverage {
	all := samplesOf(ctrl)
	cov := &Coverage{Pattern: p.text, MatchAll: p.matchAll, StrictCIS: p.strictCIS(ctrl.Events), Covers: Match}
	reasons := &tracker{}
	verdicts := make([]Verdict, len(all))
	for i, s := range all {
		var t tracker
		verdicts[i] = p.eval(s.Message, s.doc, &t)
		if verdicts[i] == Unknown && s.Control {
			for _, r := range t.reasons {
				reasons.add(r)
			}
		}
		if !s.Control && verdicts[i] == Match {
			cov.OverBroad = true
			if !slices.Contains(cov.Noise, s.Event) {
				cov.Noise = append(cov.Noise, s.Event)
			}
		}
	}
	clauses := p.clauses()
	failed, others := Match, Match
	inScope := false
	for _, ev := range ctrl.Events {
		ec := EventCoverage{Event: ev, Verdict: Match}
		caught := false
		for i, s := range all {
			if s.Event != ev || !s.Must {
				continue
			}
			ec.Verdict = and3(ec.Verdict, verdicts[i])
			caught = caught || verdicts[i] != NoMatch
			switch verdicts[i] {
			case NoMatch:
				ec.Missed = append(ec.Missed, s.Caller)
			case Unknown:
				ec.Missed = append(ec.Missed, s.Caller+" (indeterminate)")
			}
			if s.Caller == CallerIAMUser {
				ec.Clause = clauseFor(clauses, s)
			}
		}
		if caught {
			inScope = true
			for i, s := range all {
				if s.Event != ev {
					continue
				}
				switch {
				case s.Failed && !s.Must:
					failed = and3(failed, verdicts[i])
				case s.Must && s.Caller != CallerIAMUser:
					others = and3(others, verdicts[i])
				}
			}
		}
		cov.Covers = and3(cov.Covers, ec.Verdict)
		cov.Events = append(cov.Events, ec)
	}
	if !inScope {
		failed, others = NoMatch, NoMatch
	}
	cov.FailedAttempts, cov.NonIAMCallers = failed, others
	cov.Indeterminate = reasons.reasons
	cov.Background = p.background()
	cov.TooBroad = len(cov.Background) > 0
	cov.Exact = sameText(p.text, ctrl.ExactText()) || sameText(p.text, ctrl.Pattern)
	return cov
}

var background = sync.OnceValue(func() []Sample {
	return parseRecords(control.Background())
})

// background names the background records p matches.
func (p *Pattern) background() []string {
	var out []string
	for _, s := range background() {
		if name := s.Event + " by " + s.Caller; p.eval(s.Message, s.doc, nil) == Match && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// FewOf lists up to n names as prose and says how many more there are:
// "A, B, C and 4 more".
func FewOf(names []string, n int) string {
	if len(names) <= n {
		return control.JoinAnd(names)
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}

// SameText reports whether a and b are one text to Security Hub: equal with
// whitespace outside double-quoted strings removed.
func SameText(a, b string) bool { return sameText(a, b) }

// sameText compares two patterns' texts with whitespace outside double-quoted
// strings removed: Security Hub reads the text, ignoring only spacing.
func sameText(a, b string) bool {
	return squeeze(a) == squeeze(b)
}

func squeeze(s string) string {
	var out strings.Builder
	quoted, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case quoted && r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
		case !quoted && unicode.IsSpace(r):
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

type clause struct {
	text string
	eval func(s Sample) Verdict
}

// clauses splits p into its top-level alternatives: the || operands of a JSON
// pattern (through parentheses), or the ?terms of an optional-only pattern.
func (p *Pattern) clauses() []clause {
	whole := []clause{{text: strings.TrimSpace(p.text), eval: func(s Sample) Verdict { return p.eval(s.Message, s.doc, nil) }}}
	switch {
	case p.matchAll:
		return whole
	case p.kind == KindJSON:
		var out []clause
		for _, e := range disjuncts(p.expr) {
			start, end := e.span()
			out = append(out, clause{text: p.text[start:end], eval: func(s Sample) Verdict { return s.doc.evalWith(e, nil) }})
		}
		return out
	case p.kind == KindTerms:
		var out []clause
		for _, t := range p.terms {
			if t.kind != optional {
				return whole
			}
			out = append(out, clause{text: t.src, eval: func(s Sample) Verdict { return verdictOf(t.occursIn(s.Message)) }})
		}
		return out
	}
	return whole
}

func clauseFor(clauses []clause, s Sample) string {
	unknown := ""
	for _, c := range clauses {
		switch c.eval(s) {
		case Match:
			return c.text
		case Unknown:
			if unknown == "" {
				unknown = c.text
			}
		}
	}
	return unknown
}

func disjuncts(e expr) []expr {
	or, ok := e.(*orExpr)
	if !ok {
		return []expr{e}
	}
	var out []expr
	for _, it := range or.items {
		out = append(out, disjuncts(it)...)
	}
	return out
}

// strictCIS reports whether p is, up to order, spacing, parentheses and double
// quotes, one `$.eventName = X` disjunct per event: for a control whose
// recommended pattern has that shape, what Security Hub accepts.
func (p *Pattern) strictCIS(events []string) bool {
	if p.kind != KindJSON || p.matchAll {
		return false
	}
	var seen []string
	for _, e := range disjuncts(p.expr) {
		c, ok := e.(*cond)
		if !ok || c.unsettled != "" || c.op != opEq || c.selector != "$.eventName" {
			return false
		}
		v, ok := c.val.(stringValue)
		if !ok || v.glob() || !slices.Contains(events, v.s) || slices.Contains(seen, v.s) {
			return false
		}
		seen = append(seen, v.s)
	}
	return len(seen) == len(events)
}
