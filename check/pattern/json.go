package pattern

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// expr is a node of a JSON (or space-delimited condition) expression.
type expr interface {
	eval(node any, t *tracker) Verdict
	span() (start, end int)
}

type orExpr struct {
	items      []expr
	start, end int
}

type andExpr struct {
	items      []expr
	start, end int
}

func (e *orExpr) span() (int, int)  { return e.start, e.end }
func (e *andExpr) span() (int, int) { return e.start, e.end }

func (e *orExpr) eval(n any, t *tracker) Verdict {
	v := NoMatch
	for _, it := range e.items {
		if v = or3(v, it.eval(n, t)); v == Match {
			return Match
		}
	}
	return v
}

func (e *andExpr) eval(n any, t *tracker) Verdict {
	v := Match
	for _, it := range e.items {
		if v = and3(v, it.eval(n, t)); v == NoMatch {
			return NoMatch
		}
	}
	return v
}

type op int

const (
	opEq op = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opIsNull
	opIsTrue
	opIsFalse
	opNotExists
)

var opNames = [...]string{"=", "!=", "<", "<=", ">", ">="}

type segKind int

const (
	segName segKind = iota
	segIndex
	segAnyMember
	segAnyElement
)

type segment struct {
	kind  segKind
	name  string
	index int
}

type cond struct {
	path       []segment
	selector   string
	op         op
	val        value
	wildcard   bool
	text       bool   // space-delimited field: values are text, numbers compare by value
	unsettled  string // a construct whose validity and meaning in AWS are unknown
	start, end int
}

func (c *cond) span() (int, int) { return c.start, c.end }

func (c *cond) eval(root any, t *tracker) Verdict {
	if c.unsettled != "" {
		t.add(c.unsettled)
		return Unknown
	}
	var buf [4]any
	nodes := selectNodes(root, c.path, buf[:0])
	switch c.op {
	case opNotExists:
		return verdictOf(len(nodes) == 0)
	case opIsNull, opIsTrue, opIsFalse:
		for _, n := range nodes {
			switch {
			case c.op == opIsNull && n == nil,
				c.op == opIsTrue && n == true,
				c.op == opIsFalse && n == false:
				return Match
			}
		}
		return NoMatch
	}
	some := NoMatch
	every := Match
	scalars := 0
	for _, n := range nodes {
		var v Verdict
		switch n.(type) {
		case string, json.Number, bool:
			scalars++
			v = c.compare(n, t)
		default:
			// Objects, arrays and null never satisfy a comparison, not even !=.
			v = NoMatch
		}
		some = or3(some, v)
		every = and3(every, v)
	}
	if c.op == opNe && c.wildcard && scalars > 1 && some != every {
		t.add(fmt.Sprintf("!= with the wildcard selector %s: whether AWS needs some or every selected value to differ is unsettled", c.selector))
		return Unknown
	}
	return some
}

// compare decides one scalar node. Where AWS's treatment of mixed types is
// undocumented, the plausible readings are tried: if one of them matches the
// result is Unknown, otherwise NoMatch.
func (c *cond) compare(n any, t *tracker) Verdict {
	switch lit := c.val.(type) {
	case numberValue:
		var text string
		switch n := n.(type) {
		case json.Number:
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil {
				return NoMatch
			}
			return verdictOf(c.op.holds(cmpFloat(f, lit.f)))
		case string:
			text = n
			if f, err := strconv.ParseFloat(strings.TrimSpace(n), 64); err == nil && isNumber(n) {
				byValue := c.op.holds(cmpFloat(f, lit.f))
				if c.text {
					return verdictOf(byValue)
				}
				if byValue || c.op.holds(strings.Compare(n, lit.raw)) && c.op <= opNe {
					t.add(fmt.Sprintf("number %s compared with the string %q in %s: AWS's treatment of numeric strings is unsettled", lit.raw, n, c.selector))
					return Unknown
				}
				return NoMatch
			}
		case bool:
			text = strconv.FormatBool(n)
		}
		if c.op > opNe {
			return NoMatch
		}
		if c.text {
			return verdictOf(c.op.holds(strings.Compare(text, lit.raw)))
		}
		if c.op.holds(strings.Compare(text, lit.raw)) {
			t.add(fmt.Sprintf("number %s compared with the non-number %s in %s is undocumented", lit.raw, text, c.selector))
			return Unknown
		}
		return NoMatch
	case stringValue, regexValue:
		var text, kind string
		switch n := n.(type) {
		case string:
			v := c.matchText(n, t)
			if c.op == opNe {
				return not3(v)
			}
			return v
		case json.Number:
			text, kind = string(n), "number"
			if sv, ok := lit.(stringValue); ok && sv.glob() {
				// "Use the asterisk as a wild card to match numbers" (= 4*) is documented.
				v := c.matchText(text, t)
				if c.op == opNe {
					return not3(v)
				}
				return v
			}
		case bool:
			text, kind = strconv.FormatBool(n), "boolean"
		}
		v := c.matchText(text, t)
		if c.op == opNe {
			v = not3(v)
		}
		if c.text {
			return v
		}
		if v != NoMatch {
			t.add(fmt.Sprintf("%s compared with the %s %s in %s: AWS compares %s values only with %s",
				c.val.describe(), kind, text, c.selector, kind, map[string]string{"number": "numbers", "boolean": "IS TRUE / IS FALSE"}[kind]))
			return Unknown
		}
		return NoMatch
	}
	return NoMatch
}

func (c *cond) matchText(s string, t *tracker) Verdict {
	switch v := c.val.(type) {
	case regexValue:
		return verdictOf(v.re.MatchString(s))
	case stringValue:
		return v.match(s, t)
	}
	return NoMatch
}

func (o op) holds(cmp int) bool {
	switch o {
	case opEq:
		return cmp == 0
	case opNe:
		return cmp != 0
	case opLt:
		return cmp < 0
	case opLe:
		return cmp <= 0
	case opGt:
		return cmp > 0
	case opGe:
		return cmp >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// selectNodes appends every node the path selects; a missing member yields
// nothing, which is how "missing" differs from a present null.
func selectNodes(n any, path []segment, out []any) []any {
	if len(path) == 0 {
		return append(out, n)
	}
	s := path[0]
	switch s.kind {
	case segName:
		if m, ok := n.(map[string]any); ok {
			if v, ok := m[s.name]; ok {
				return selectNodes(v, path[1:], out)
			}
		}
	case segIndex:
		if a, ok := n.([]any); ok && s.index < len(a) {
			return selectNodes(a[s.index], path[1:], out)
		}
	case segAnyMember:
		if m, ok := n.(map[string]any); ok {
			for _, v := range m {
				out = selectNodes(v, path[1:], out)
			}
		}
	case segAnyElement:
		if a, ok := n.([]any); ok {
			for _, v := range a {
				out = selectNodes(v, path[1:], out)
			}
		}
	}
	return out
}

// value is the right-hand side of a comparison.
type value interface{ describe() string }

type numberValue struct {
	f   float64
	raw string
}

type regexValue struct {
	re  *regexp.Regexp
	raw string
}

type stringValue struct {
	s      string
	raw    string
	quoted bool
}

func (v numberValue) describe() string { return "the number " + v.raw }
func (v regexValue) describe() string  { return "the regular expression " + v.raw }
func (v stringValue) describe() string { return "the string " + v.raw }

func (v stringValue) glob() bool { return strings.Contains(v.s, "*") }

// match applies AWS's documented wildcard rules: a lone * is "exists", a
// leading or trailing * is a suffix, prefix or contains match. A * in the
// middle is unsettled (the 2020 guide says it is literal, current
// re-implementations treat it as a glob), so both readings are tried.
func (v stringValue) match(s string, t *tracker) Verdict {
	if !v.glob() {
		return verdictOf(s == v.s)
	}
	inner := strings.Trim(v.s, "*")
	if !strings.Contains(inner, "*") {
		lead, trail := strings.HasPrefix(v.s, "*"), strings.HasSuffix(v.s, "*")
		switch {
		case inner == "":
			return Match
		case lead && trail:
			return verdictOf(strings.Contains(s, inner))
		case lead:
			return verdictOf(strings.HasSuffix(s, inner))
		default:
			return verdictOf(strings.HasPrefix(s, inner))
		}
	}
	asGlob, literally := globMatch(v.s, s), s == v.s
	if asGlob == literally {
		return verdictOf(asGlob)
	}
	t.add(fmt.Sprintf("middle wildcard in %q is unsettled in AWS", v.s))
	return Unknown
}

// globMatch matches s against a pattern where * is any run of characters;
// greedy with backtracking to the last star, linear in practice.
func globMatch(p, s string) bool {
	px, sx, star, mark := 0, 0, -1, 0
	for sx < len(s) {
		switch {
		case px < len(p) && p[px] == '*':
			star, mark = px, sx
			px++
		case px < len(p) && p[px] == s[sx]:
			px++
			sx++
		case star >= 0:
			px, mark = star+1, mark+1
			sx = mark
		default:
			return false
		}
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}

var numberRE = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

func isNumber(s string) bool { return numberRE.MatchString(s) }

// document is a log-event message parsed once for JSON evaluation.
type document struct {
	root any
	ok   bool
	// prefixed: the message is text followed by a JSON object; whether AWS
	// evaluates JSON patterns against such messages is unsettled.
	prefixed bool
}

func parseDocument(msg string) *document {
	if root, ok := decodeObject(msg); ok {
		return &document{root: root, ok: true}
	}
	if i := strings.IndexByte(msg, '{'); i > 0 {
		if root, ok := decodeObject(msg[i:]); ok {
			return &document{root: root, ok: true, prefixed: true}
		}
	}
	return &document{}
}

func decodeObject(s string) (map[string]any, bool) {
	trimmed := strings.TrimSpace(s)
	if !strings.HasPrefix(trimmed, "{") {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || dec.More() {
		return nil, false
	}
	if _, err := dec.Token(); err == nil {
		return nil, false
	}
	return m, true
}

func (d *document) evalWith(e expr, t *tracker) Verdict {
	if !d.ok {
		return NoMatch
	}
	v := e.eval(d.root, t)
	if d.prefixed && v != NoMatch {
		t.add("the message is text followed by JSON: whether AWS applies JSON patterns to it is unsettled")
		return Unknown
	}
	return v
}
