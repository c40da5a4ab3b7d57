package termsafe

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEscape(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain ASCII is unchanged", "trailwatch-cloudtrail-changes", "trailwatch-cloudtrail-changes"},
		{"a CIS pattern with quotes is unchanged", `{ ($.eventName = "CreateTrail") }`, `{ ($.eventName = "CreateTrail") }`},
		{"escaped quote in a pattern reads as written", `"a\"b"`, `"a\"b"`},
		{"non-ASCII letters are kept", "journal-müller-日本", "journal-müller-日本"},
		{"clear screen", "x\x1b[2Jy", `x\x1b[2Jy`},
		{"window title with BEL", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"newline, return and tab", "a\nb\rc\td", `a\nb\rc\td`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"C1 CSI", "a\u009b2Jb", `a\u009b2Jb`},
		{"right-to-left override", "evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"bidi isolate", "a\u2066b\u2069", `a\u2066b\u2069`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"invalid UTF-8", "a\xffb", `a\xffb`},
		{"a backslash that would read as an escape is doubled", `a\x1b`, `a\\x1b`},
		{"a lone trailing backslash is kept", `a\`, `a\`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Escape(c.in)
			require.Equal(t, c.want, got)
			require.Equal(t, c.in == c.want, Clean(c.in))
			for _, r := range got {
				require.False(t, r < 0x20 || r == 0x7f || unsafeRune(r), "rune %U left in %q", r, got)
			}
		})
	}
}

func TestLinesKeepsLineBreaks(t *testing.T) {
	require.Equal(t, "{ $.a = 1 ||\n  $.b = \\x1b[2J }", Lines("{ $.a = 1 ||\r\n  $.b = \x1b[2J }"))
}

// FuzzEscape: whatever goes in, nothing a terminal acts on comes out, and clean
// text passes through untouched.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "abc", "\x1b[2J", "\u202e", "a\\x41", "\xff\xfe", "日本\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		for i, r := range got {
			if r < 0x20 || r == 0x7f || unsafeRune(r) || (r == 0xfffd && !strings.Contains(s, "\ufffd")) {
				t.Fatalf("Escape(%q) = %q: rune %U at %d", s, got, r, i)
			}
		}
		if Clean(s) && got != s {
			t.Fatalf("clean %q changed to %q", s, got)
		}
	})
}
