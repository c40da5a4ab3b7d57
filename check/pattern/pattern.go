// Package pattern parses and evaluates CloudWatch Logs filter patterns (term,
// JSON and space-delimited) the way AWS documents them, with a third verdict,
// Unknown, for constructs whose AWS behaviour public material does not settle.
// docs/filter-patterns.md describes the language as implemented here.
package pattern

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Verdict is a three-valued match result.
type Verdict int

const (
	NoMatch Verdict = iota
	Match
	// Unknown means the result depends on a construct whose AWS behaviour is
	// unsettled; it must never be read as a match.
	Unknown
)

func (v Verdict) String() string {
	switch v {
	case NoMatch:
		return "no match"
	case Match:
		return "match"
	case Unknown:
		return "indeterminate"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// and3 and or3 are Kleene's strong three-valued connectives: a definite
// operand decides whenever it can (false && U = false, true || U = true).
func and3(a, b Verdict) Verdict {
	switch {
	case a == NoMatch || b == NoMatch:
		return NoMatch
	case a == Unknown || b == Unknown:
		return Unknown
	}
	return Match
}

func or3(a, b Verdict) Verdict {
	switch {
	case a == Match || b == Match:
		return Match
	case a == Unknown || b == Unknown:
		return Unknown
	}
	return NoMatch
}

func not3(a Verdict) Verdict {
	switch a {
	case Match:
		return NoMatch
	case NoMatch:
		return Match
	}
	return Unknown
}

func verdictOf(b bool) Verdict {
	if b {
		return Match
	}
	return NoMatch
}

// MaxLength is the FilterPattern length limit of the CloudWatch Logs API.
const MaxLength = 1024

// maxDepth bounds parenthesis nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

// SyntaxError is a pattern AWS would reject (or that this parser cannot read).
// Pos is the 0-based byte offset in the pattern text where the problem is.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg)
}

func errAt(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// Kind is the family of a filter pattern, chosen by its first non-space character.
type Kind int

const (
	KindTerms     Kind = iota // unstructured terms, phrases and %regex%
	KindJSON                  // { ... }
	KindDelimited             // [ ... ]
)

func (k Kind) String() string {
	switch k {
	case KindJSON:
		return "JSON"
	case KindDelimited:
		return "space-delimited"
	}
	return "terms"
}

// Pattern is a parsed filter pattern.
type Pattern struct {
	text     string
	kind     Kind
	matchAll bool
	terms    []term
	expr     expr // JSON patterns
	sd       *delimited
}

// Parse parses a filter pattern. A non-nil error is always a *SyntaxError.
func Parse(text string) (*Pattern, error) {
	p, err := parse(text)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func parse(text string) (*Pattern, *SyntaxError) {
	if n := utf8.RuneCountInString(text); n > MaxLength {
		return nil, errAt(byteOffsetOfRune(text, MaxLength),
			"1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to %d (this pattern has %d characters)", MaxLength, n)
	}
	p := &Pattern{text: text}
	start := len(text) - len(strings.TrimLeft(text, wsChars))
	body := strings.TrimRight(text, wsChars)
	if start >= len(body) {
		p.matchAll = true
		return p, nil
	}
	var err *SyntaxError
	switch body[start] {
	case '{':
		p.kind = KindJSON
		p.expr, err = parseJSON(body, start)
	case '[':
		p.kind = KindDelimited
		p.sd, err = parseDelimited(body, start)
		p.matchAll = err == nil && p.sd.matchesEverything()
	default:
		p.kind = KindTerms
		p.terms, err = parseTerms(body, start)
		p.matchAll = err == nil && termsMatchEverything(p.terms)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

func byteOffsetOfRune(s string, n int) int {
	i := 0
	for off := range s {
		if i == n {
			return off
		}
		i++
	}
	return len(s)
}

const wsChars = " \t\r\n"

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// Text returns the pattern exactly as given, surrounding whitespace included.
func (p *Pattern) Text() string { return p.text }

// Kind reports which of the three pattern families p belongs to.
func (p *Pattern) Kind() Kind { return p.kind }

// MatchAll reports whether p matches every possible message (empty or
// whitespace-only pattern, a blank quoted phrase, [] or [...]).
func (p *Pattern) MatchAll() bool { return p.matchAll }

// Eval evaluates p against one raw log-event message.
func (p *Pattern) Eval(message string) Verdict {
	return p.eval(message, nil, nil)
}

// eval evaluates against message. A JSON pattern may be given the message
// already parsed, so that analysing many clauses parses each message once.
func (p *Pattern) eval(message string, doc *document, t *tracker) Verdict {
	switch {
	case p.matchAll:
		return Match
	case p.kind == KindTerms:
		return evalTerms(p.terms, message, t)
	case p.kind == KindDelimited:
		return p.sd.eval(message, t)
	}
	if doc == nil {
		doc = parseDocument(message)
	}
	return doc.evalWith(p.expr, t)
}

// tracker collects why an evaluation came out Unknown; nil on the hot path.
type tracker struct{ reasons []string }

func (t *tracker) add(reason string) {
	if t == nil {
		return
	}
	for _, r := range t.reasons {
		if r == reason {
			return
		}
	}
	t.reasons = append(t.reasons, reason)
}

// Explain evaluates p against message and, when the verdict is Unknown, says
// which unsettled constructs made it so.
func (p *Pattern) Explain(message string) (Verdict, []string) {
	var t tracker
	v := p.eval(message, nil, &t)
	if v != Unknown {
		return v, nil
	}
	return v, t.reasons
}
