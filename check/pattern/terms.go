package pattern

import (
	"regexp"
	"strings"
)

type termKind int

const (
	include termKind = iota
	exclude
	optional
)

type term struct {
	kind  termKind
	text  string         // literal substring (unescaped)
	re    *regexp.Regexp // %regex% terms
	blank bool           // a quoted phrase that is empty or only whitespace: matches everything
	src   string         // as written, for reports
}

func (t term) occursIn(msg string) bool {
	switch {
	case t.blank:
		return true
	case t.re != nil:
		return t.re.MatchString(msg)
	}
	return strings.Contains(msg, t.text)
}

// badTermChars are the characters AWS has been seen rejecting in unquoted
// terms with "Invalid character(s) in term".
const badTermChars = "([:,\\`"

func parseTerms(s string, i int) ([]term, *SyntaxError) {
	var terms []term
	for {
		for i < len(s) && isWS(s[i]) {
			i++
		}
		if i >= len(s) {
			return terms, nil
		}
		start := i
		t := term{kind: include}
		switch s[i] {
		case '?':
			t.kind = optional
			i++
		case '-':
			t.kind = exclude
			i++
		}
		if i >= len(s) || isWS(s[i]) {
			return nil, errAt(start, "expected a term right after %q, found %s", s[start], describe(s, i))
		}
		switch s[i] {
		case '"':
			text, end, err := readQuoted(s, i)
			if err != nil {
				return nil, err
			}
			if end < len(s) && !isWS(s[end]) {
				return nil, errAt(end, "expected a space after the quoted phrase, found %s", describe(s, end))
			}
			t.text = text
			t.blank = strings.TrimSpace(text) == ""
			i = end
		case '%':
			end := strings.IndexByte(s[i+1:], '%')
			if end < 0 {
				return nil, errAt(i, "unterminated regular expression: expected a closing '%%'")
			}
			re, err := compileRegex(s[i+1:i+1+end], i+1)
			if err != nil {
				return nil, err
			}
			t.re = re
			i += end + 2
			if i < len(s) && !isWS(s[i]) {
				return nil, errAt(i, "expected a space after the regular expression, found %s", describe(s, i))
			}
		default:
			j := i
			for j < len(s) && !isWS(s[j]) {
				if strings.IndexByte(badTermChars, s[j]) >= 0 {
					return nil, errAt(j, "Invalid character(s) in term '%c' (quote the term: \"...\")", s[j])
				}
				j++
			}
			t.text = s[i:j]
			i = j
		}
		t.src = s[start:i]
		terms = append(terms, t)
	}
}

// readQuoted reads a double-quoted string starting at s[i] == '"'. Only \" and
// \\ are escapes; any other backslash is kept literally, as AWS's own quoting
// (aws-cdk quoteTerm) escapes nothing else.
func readQuoted(s string, i int) (text string, end int, err *SyntaxError) {
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return b.String(), j + 1, nil
		case c == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\'):
			b.WriteByte(s[j+1])
			j++
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errAt(i, "unterminated quoted string: expected a closing '\"'")
}

// describe names what is at s[i] for "found ..." in error messages.
func describe(s string, i int) string {
	if i >= len(s) {
		return "the end of the pattern"
	}
	j := i
	for j < len(s) && j-i < 20 && !isWS(s[j]) {
		j++
	}
	if j == i {
		return "whitespace"
	}
	return `"` + s[i:j] + `"`
}

func termsMatchEverything(terms []term) bool {
	for _, t := range terms {
		if !t.blank || t.kind == exclude {
			return false
		}
	}
	return true
}

// evalTerms applies AWS's documented rule: ?optional terms count only when
// the pattern has no include or exclude term; otherwise they are ignored.
func evalTerms(terms []term, msg string, _ *tracker) Verdict {
	hasRequired := false
	for _, t := range terms {
		if t.kind != optional {
			hasRequired = true
			break
		}
	}
	if !hasRequired {
		for _, t := range terms {
			if t.occursIn(msg) {
				return Match
			}
		}
		return NoMatch
	}
	for _, t := range terms {
		switch t.kind {
		case include:
			if !t.occursIn(msg) {
				return NoMatch
			}
		case exclude:
			if t.occursIn(msg) {
				return NoMatch
			}
		}
	}
	return Match
}
