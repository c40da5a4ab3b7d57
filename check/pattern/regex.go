package pattern

import (
	"regexp"
	"strings"
)

// regexSymbols are the characters AWS documents for %regex% besides ASCII
// letters and digits. ':' is listed by one revision of the guide and a space
// appears in the guide's own example, so both are accepted.
const regexSymbols = "_#=@/;,-:^$?[]{}|\\*+. "

// compileRegex checks body against AWS's documented regex subset and compiles
// it with RE2. pos is the byte offset of body in the pattern, for errors.
func compileRegex(body string, pos int) (*regexp.Regexp, *SyntaxError) {
	if body == "" {
		return nil, errAt(pos, "empty regular expression between '%%' signs")
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '(' || c == ')':
			return nil, errAt(pos+i, "'%c' is not supported in a regular expression: AWS regex has no groups (use \\x28 / \\x29 for a literal parenthesis)", c)
		case c >= 0x80:
			return nil, errAt(pos+i, "multi-byte characters are not supported in a regular expression (use \\xhh)")
		case isAlnum(c) || strings.IndexByte(regexSymbols, c) >= 0:
		default:
			return nil, errAt(pos+i, "character '%c' is not supported in a regular expression (use \\x%02x)", c, c)
		}
		if c == '\\' {
			if i+1 >= len(body) {
				return nil, errAt(pos+i, "regular expression ends with a lone '\\'")
			}
			n := body[i+1]
			switch {
			case strings.IndexByte("dDsSwW", n) >= 0:
			case n == 'x':
				if i+3 >= len(body) || !isHex(body[i+2]) || !isHex(body[i+3]) {
					return nil, errAt(pos+i, `expected two hex digits after "\x"`)
				}
			case isAlnum(n):
				return nil, errAt(pos+i, "escape \\%c is not supported (supported: \\d \\D \\s \\S \\w \\W \\xhh and escaped symbols)", n)
			}
			i++
		}
	}
	re, err := regexp.Compile(omittedLowerBound.ReplaceAllString(body, "${1}{0,"))
	if err != nil {
		return nil, errAt(pos, "invalid regular expression %q: %v", body, err)
	}
	return re, nil
}

// omittedLowerBound finds "{,n}", which AWS allows and RE2 rejects; the
// preceding character must not be an escaping backslash.
var omittedLowerBound = regexp.MustCompile(`(^|[^\\])\{,`)

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
