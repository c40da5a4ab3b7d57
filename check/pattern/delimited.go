package pattern

import (
	"encoding/json"
	"slices"
	"strings"
)

// delimited is a space-delimited pattern: [a, b=1, ..., c].
type delimited struct {
	entries  []sdEntry
	ellipsis int // index of "...", or -1
}

type sdEntry struct {
	name string
	cond expr // nil for a plain or unnamed field
}

func parseDelimited(s string, start int) (*delimited, *SyntaxError) {
	d := &delimited{ellipsis: -1}
	p := &exprParser{s: s, i: start + 1, sd: true}
	p.skipWS()
	if p.i < len(s) && s[p.i] == ']' {
		p.i++
		return d, trailing(p)
	}
	for {
		p.skipWS()
		if p.i >= len(s) {
			return nil, errAt(p.i, "expected ']' to close the '[' at position %d, found the end of the pattern", start)
		}
		var e sdEntry
		switch {
		case strings.HasPrefix(s[p.i:], "..."):
			if d.ellipsis >= 0 {
				return nil, errAt(p.i, `at most one "..." is allowed in a space-delimited pattern`)
			}
			d.ellipsis = len(d.entries)
			p.i += 3
		case s[p.i] == ',' || s[p.i] == ']':
		case s[p.i] == '(' || hasCondition(s, p.i):
			first := len(p.names)
			c, err := p.parseOr()
			if err != nil {
				return nil, err
			}
			e = sdEntry{name: p.names[first], cond: c}
		default:
			j := p.i
			for j < len(s) && isNameChar(s[j]) {
				j++
			}
			if j == p.i {
				return nil, errAt(p.i, "expected a field name, a condition or \"...\", found %s", describe(s, p.i))
			}
			e.name = s[p.i:j]
			p.i = j
		}
		d.entries = append(d.entries, e)
		p.skipWS()
		if p.i < len(s) && s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(s) && s[p.i] == ']' {
			p.i++
			break
		}
		return nil, errAt(p.i, "expected ',' or ']' after a field, found %s", describe(s, p.i))
	}
	for _, n := range p.names {
		if !slices.ContainsFunc(d.entries, func(e sdEntry) bool { return e.name == n }) {
			return nil, errAt(start, "condition refers to field %q, which the pattern does not name", n)
		}
	}
	return d, trailing(p)
}

func trailing(p *exprParser) *SyntaxError {
	p.skipWS()
	if p.i < len(p.s) {
		return errAt(p.i, "expected the end of the pattern after the closing ']', found %s", describe(p.s, p.i))
	}
	return nil
}

// hasCondition reports whether the field starting at i is "name op ...".
func hasCondition(s string, i int) bool {
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	for i < len(s) && isWS(s[i]) {
		i++
	}
	return i < len(s) && strings.IndexByte("=!<>", s[i]) >= 0
}

func (d *delimited) matchesEverything() bool {
	return len(d.entries) == 0 || len(d.entries) == 1 && d.ellipsis == 0
}

type field struct {
	text  string
	start int
}

// splitFields tokenises an event the documented way: spaces separate fields,
// and text in [] or "" is one field with its delimiters stripped.
func splitFields(msg string) []field {
	var out []field
	i := 0
	for {
		for i < len(msg) && msg[i] == ' ' {
			i++
		}
		if i >= len(msg) {
			return out
		}
		start := i
		var closer byte
		switch msg[i] {
		case '[':
			closer = ']'
		case '"':
			closer = '"'
		}
		if closer != 0 {
			if end := strings.IndexByte(msg[i+1:], closer); end >= 0 {
				out = append(out, field{text: msg[i+1 : i+1+end], start: start})
				i += end + 2
				continue
			}
		}
		for i < len(msg) && msg[i] != ' ' {
			i++
		}
		out = append(out, field{text: msg[start:i], start: start})
	}
}

func (d *delimited) eval(msg string, t *tracker) Verdict {
	fields := splitFields(msg)
	n := len(d.entries)
	if n == 0 {
		return Match
	}
	bound := make(map[string]any, n)
	bind := func(e sdEntry, text string) {
		if e.name == "" {
			return
		}
		if isNumber(text) {
			bound[e.name] = json.Number(text)
		} else {
			bound[e.name] = text
		}
	}
	if d.ellipsis >= 0 {
		fixed := n - 1
		if len(fields) < fixed {
			return NoMatch
		}
		for k := 0; k < d.ellipsis; k++ {
			bind(d.entries[k], fields[k].text)
		}
		tail := n - 1 - d.ellipsis
		for k := 0; k < tail; k++ {
			bind(d.entries[d.ellipsis+1+k], fields[len(fields)-tail+k].text)
		}
	} else {
		if len(fields) < n {
			return NoMatch
		}
		for k := 0; k < n-1; k++ {
			bind(d.entries[k], fields[k].text)
		}
		// The documented examples end with a "blank indicator" field that
		// takes the rest of the line.
		last := fields[n-1].text
		if len(fields) > n {
			last = strings.TrimRight(msg[fields[n-1].start:], " ")
		}
		bind(d.entries[n-1], last)
	}
	v := Match
	for _, e := range d.entries {
		if e.cond != nil {
			if v = and3(v, e.cond.eval(bound, t)); v == NoMatch {
				return NoMatch
			}
		}
	}
	return v
}
