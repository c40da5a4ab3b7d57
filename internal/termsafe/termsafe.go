// Package termsafe makes untrusted text inert on a terminal.
//
// Every name, ARN, pattern, message and log line that trailwatch prints comes
// from AWS or from a file, and an attacker who can name a metric filter can put
// escape sequences in it: ESC [2J clears the auditor's screen, ESC ]0;…BEL
// retitles the window, and U+202E reverses what follows. Text output passes such
// strings through Escape; JSON output stays exact (encoding/json escapes the
// C0 controls itself).
package termsafe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every byte or rune that a terminal could act on
// written out visibly: C0 controls (tab and newline too, since a one-line
// field must stay one line), DEL, C1 controls, the Unicode
// bidirectional overrides and isolates, line and paragraph separators, and
// invalid UTF-8. A backslash is doubled only where it would otherwise make an
// escaped form ambiguous, so ordinary patterns such as `\"` read as written.
func Escape(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\' && ambiguousBackslash(s[i+1:]):
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Lines escapes each line of s but keeps its line breaks: for multi-line text
// that trailwatch itself laid out around untrusted values, such as a pattern
// that spans lines in a filter's definition.
func Lines(s string) string {
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = Escape(strings.TrimSuffix(p, "\r"))
	}
	return strings.Join(parts, "\n")
}

// Clean reports whether Escape would return s unchanged.
func Clean(s string) bool { return clean(s) }

func clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || (c == '\\' && ambiguousBackslash(s[i+1:])) {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

// ambiguousBackslash reports whether a backslash followed by rest would read
// like one of Escape's own forms (\n, \r, \t, \xNN, \uNNNN, \\).
func ambiguousBackslash(rest string) bool {
	if rest == "" {
		return false
	}
	switch rest[0] {
	case 'n', 'r', 't', 'x', 'u', '\\':
		return true
	}
	return false
}

func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls, CSI (U+009B) among them
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true // bidirectional embeddings, overrides, isolates and marks
	case r == 0x2028 || r == 0x2029:
		return true // line and paragraph separators
	case r == 0xfeff:
		return true // zero-width no-break space (BOM)
	}
	return false
}
