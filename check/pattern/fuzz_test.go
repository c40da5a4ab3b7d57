package pattern

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func seedPatterns(f *testing.F) vectorFile {
	vf := loadVectors(f)
	for _, v := range vf.Vectors {
		f.Add(v.Pattern)
	}
	f.Add(strings.Repeat("(", 200) + "$.a = 1" + strings.Repeat(")", 200))
	f.Add("{ $.a.*.b = %^x{,3}$% && $.c[*] != \"y\\\"z\" || $.d NOT EXISTS }")
	f.Add("[a, ..., b = 4* && a != %x%, c]")
	return vf
}

// FuzzParse: Parse never panics, errors are *SyntaxError within the text,
// and accepted patterns evaluate on every synthetic record.
func FuzzParse(f *testing.F) {
	seedPatterns(f)
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Parse(text)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) returned %T, want *SyntaxError", text, err)
			}
			if se.Pos < 0 || se.Pos > len(text) {
				t.Fatalf("Parse(%q): position %d outside the text", text, se.Pos)
			}
			return
		}
		if utf8.RuneCountInString(text) > MaxLength {
			t.Fatalf("Parse accepted %d characters", utf8.RuneCountInString(text))
		}
		if p.Text() != text {
			t.Fatalf("Text() = %q, want %q", p.Text(), text)
		}
		cov := p.Analyze()
		if cov.Covers == Match && cov.MatchAll != p.MatchAll() {
			t.Fatalf("inconsistent MatchAll")
		}
		if p.MatchAll() && cov.Covers != Match {
			t.Fatalf("match-all pattern %q does not cover", text)
		}
	})
}

// FuzzEval: evaluating any accepted pattern on any message never panics and
// returns one of the three verdicts; a match-all pattern matches everything.
func FuzzEval(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Vectors {
		for name := range vf.Messages {
			if strings.Contains(string(v.Expect), name) {
				f.Add(v.Pattern, vf.Messages[name])
			}
		}
	}
	f.Add(`{ $.a[*] != x }`, `{"a":["x","y",{"b":null}],"n":1e400}`)
	f.Add(`[a, ..., b]`, `"unterminated [x y`)
	f.Fuzz(func(t *testing.T, text, message string) {
		p, err := Parse(text)
		if err != nil {
			return
		}
		v := p.Eval(message)
		switch v {
		case Match, NoMatch, Unknown:
		default:
			t.Fatalf("Eval returned %v", v)
		}
		if p.MatchAll() && v != Match {
			t.Fatalf("match-all pattern %q did not match %q", text, message)
		}
	})
}
