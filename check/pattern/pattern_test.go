package pattern

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const ctStop = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","userName":"alice"},"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","requestParameters":{"name":"arn:aws:cloudtrail:us-east-1:111122223333:trail/my-trail"},"responseElements":null,"readOnly":false,"recipientAccountId":"111122223333","n":404,"f":1.5,"tags":["a","b"],"list":[{"k":"x"},{"k":"y"}],"empty":{},"dot.key":"d"}`

func TestEvalGrammar(t *testing.T) {
	for _, tc := range []struct {
		name, pattern, msg string
		want               Verdict
	}{
		// Terms.
		{"term substring", "Logg", ctStop, Match},
		{"term case-sensitive", "stoplogging", ctStop, NoMatch},
		{"terms are ANDed", "StopLogging alice", ctStop, Match},
		{"terms AND one missing", "StopLogging bob", ctStop, NoMatch},
		{"quoted phrase with spaces", `"bad request"`, "a bad request here", Match},
		{"quoted phrase escapes", `"say \"hi\" \\ ok"`, `x say "hi" \ ok`, Match},
		{"quoted other backslash kept literally", `"a\nb"`, `a\nb`, Match},
		{"optional terms OR", "?nope ?alice", ctStop, Match},
		{"optional terms none", "?nope ?bob", ctStop, NoMatch},
		{"optional ignored with include", "?nope cloudtrail", ctStop, Match},
		{"optional ignored with exclude", "?alice -bob", "carol", Match},
		{"exclude", "-alice", ctStop, NoMatch},
		{"exclude absent", "-bob", ctStop, Match},
		{"regex term", "%Stop[A-Z]ogging%", ctStop, Match},
		{"regex term anchored", "%^Stop%", ctStop, NoMatch},
		{"regex omitted lower bound", "%^ab{,2}c$%", "abbc", Match},
		{"regex omitted lower bound too many", "%^ab{,2}c$%", "abbbc", NoMatch},
		{"regex hex escape", `%\x28x\x29%`, "(x)", Match},
		{"excluded regex", "-%alice|bob%", ctStop, NoMatch},
		{"blank quoted phrase matches all", `" "`, "nospace", Match},
		{"empty quoted phrase matches all", `""`, "x", Match},
		{"whitespace pattern matches all", " \t\n", "x", Match},

		// JSON.
		{"json eq bare", "{ $.eventName = StopLogging }", ctStop, Match},
		{"json eq quoted", `{ $.eventName = "StopLogging" }`, ctStop, Match},
		{"json nested", "{ $.userIdentity.type = IAMUser }", ctStop, Match},
		{"json ne present", "{ $.eventName != StartLogging }", ctStop, Match},
		{"json ne missing is false", "{ $.nope != x }", ctStop, NoMatch},
		{"json ne on null is false", "{ $.responseElements != x }", ctStop, NoMatch},
		{"json eq on object is false", "{ $.requestParameters = * }", ctStop, NoMatch},
		{"json ne on array is false", "{ $.tags != x }", ctStop, NoMatch},
		{"json ne on empty object is false", "{ $.empty != x }", ctStop, NoMatch},
		{"json star exists", "{ $.eventName = * }", ctStop, Match},
		{"json star on missing", "{ $.nope = * }", ctStop, NoMatch},
		{"json star on null", "{ $.responseElements = * }", ctStop, NoMatch},
		{"json prefix", "{ $.eventName = Stop* }", ctStop, Match},
		{"json suffix", "{ $.eventName = *Logging }", ctStop, Match},
		{"json contains", `{ $.eventName = "*opLog*" }`, ctStop, Match},
		{"json quoted percent is literal", `{ $.eventName = "%Stop%" }`, ctStop, NoMatch},
		{"json regex", "{ $.eventName = %^Stop% }", ctStop, Match},
		{"json regex ne", "{ $.eventName != %^Start% }", ctStop, Match},
		{"json index", "{ $.tags[1] = b }", ctStop, Match},
		{"json index out of range", "{ $.tags[5] = b }", ctStop, NoMatch},
		{"json index then member", "{ $.list[1].k = y }", ctStop, Match},
		{"json any element", "{ $.tags[*] = b }", ctStop, Match},
		{"json any member", "{ $.userIdentity.* = alice }", ctStop, Match},
		{"json wildcard then member", "{ $.list[*].k = y }", ctStop, Match},
		{"json bracket key", "{ $.['dot.key'] = d }", ctStop, Match},
		{"json number eq", "{ $.n = 404 }", ctStop, Match},
		{"json number exponent", "{ $.n = 4.04e2 }", ctStop, Match},
		{"json number gt", "{ $.n > 400 }", ctStop, Match},
		{"json number le", "{ $.f <= 1.5 }", ctStop, Match},
		{"json number lt false", "{ $.f < 1 }", ctStop, NoMatch},
		{"json number glob", "{ $.n = 4* }", ctStop, Match},
		{"json is null", "{ $.responseElements IS NULL }", ctStop, Match},
		{"json is null missing", "{ $.nope IS NULL }", ctStop, NoMatch},
		{"json is false", "{ $.readOnly IS FALSE }", ctStop, Match},
		{"json is true on string", `{ $.eventName IS TRUE }`, ctStop, NoMatch},
		{"json not exists", "{ $.errorCode NOT EXISTS }", ctStop, Match},
		{"json not exists on null", "{ $.responseElements NOT EXISTS }", ctStop, NoMatch},
		{"json and precedence", "{ $.eventName = x && $.eventName = y || $.eventName = StopLogging }", ctStop, Match},
		{"json parens change precedence", "{ $.eventName = x && ($.eventName = y || $.eventName = StopLogging) }", ctStop, NoMatch},
		{"json no whitespace", "{($.eventName=StopLogging)||($.eventName=x)}", ctStop, Match},
		{"json newlines", "{\n  $.eventName = StopLogging\n}", ctStop, Match},
		{"json not json message", "{ $.eventName = * }", "StopLogging", NoMatch},
		{"json on array message", "{ $.a NOT EXISTS }", "[1]", NoMatch},

		// Space-delimited.
		{"sd empty matches all", "[]", "x", Match},
		{"sd ellipsis matches all", "[...]", "x", Match},
		{"sd fields", "[a, b, c]", "1 2 3", Match},
		{"sd too few fields", "[a, b, c]", "1 2", NoMatch},
		{"sd last absorbs rest", "[a=x, rest]", "x y z", Match},
		{"sd bracket and quote grouping", `[d, r=*index*, s=200]`, `[10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 200`, Match},
		{"sd number compare", "[a, b > 10]", "x 11", Match},
		{"sd number compare false", "[a, b > 10]", "x 9", NoMatch},
		{"sd leading ellipsis", "[..., last=end]", "a b c end", Match},
		{"sd middle ellipsis", "[first=a, ..., last=end]", "a b c end", Match},
		{"sd regex", "[a=%^E%, b]", "ERROR x", Match},
		{"sd compound other field", "[a=4* && b > 100, b]", "404 200", Match},
		{"sd unnamed empty entry", "[a, , c=3]", "1 2 3", Match},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			require.NoError(t, err)
			require.Equal(t, tc.want, p.Eval(tc.msg), "pattern %q on %q", tc.pattern, tc.msg)
		})
	}
}

// Every unsettled construct of docs/filter-patterns.md yields Unknown where its
// reading decides, and a definite verdict where every reading agrees.
func TestEvalUnsettled(t *testing.T) {
	for _, tc := range []struct {
		name, pattern string
		want          Verdict
		reason        string
	}{
		{"middle wildcard decides", "{ $.eventName = Sto*ging }", Unknown, "middle wildcard"},
		{"middle wildcard both readings false", "{ $.eventName = Sta*ging }", NoMatch, ""},
		{"double equals", "{ $.eventName == StopLogging }", Unknown, `"=="`},
		{"single quotes", "{ $.eventName = 'StopLogging' }", Unknown, "single-quoted"},
		{"lower-case is null", "{ $.responseElements is null }", Unknown, "upper-case"},
		{"lower-case not exists", "{ $.errorCode not exists }", Unknown, "upper-case"},
		{"number vs numeric string", "{ $.recipientAccountId = 111122223333 }", Unknown, "numeric strings"},
		{"number vs other numeric string", "{ $.recipientAccountId = 5 }", NoMatch, ""},
		{"number vs non-numeric string", "{ $.eventName = 5 }", NoMatch, ""},
		{"number ne non-numeric string", "{ $.eventName != 5 }", Unknown, "undocumented"},
		{"bare false vs boolean", "{ $.readOnly = false }", Unknown, "IS TRUE / IS FALSE"},
		{"bare true vs boolean false", "{ $.readOnly = true }", NoMatch, ""},
		{"quoted string vs number", `{ $.n = "404" }`, Unknown, "numbers"},
		{"bare word vs number", `{ $.n = abc }`, NoMatch, ""},
		{"ne with wildcard selector mixed", "{ $.tags[*] != a }", Unknown, "wildcard selector"},
		{"ne with wildcard selector all differ", "{ $.tags[*] != z }", Match, ""},
		{"bracket key without dot", "{ $['eventName'] = StopLogging }", Unknown, "leading dot"},
		{"double-quoted bracket key", `{ $.["eventName"] = StopLogging }`, Unknown, "double-quoted key"},
		{"unknown and false is false", "{ $.eventName == x && $.nope = 1 }", NoMatch, ""},
		{"unknown or true is true", "{ $.eventName == x || $.eventName = StopLogging }", Match, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			require.NoError(t, err)
			v, why := p.Explain(ctStop)
			require.Equal(t, tc.want, v)
			require.Equal(t, v, p.Eval(ctStop))
			if tc.reason != "" {
				require.NotEmpty(t, why)
				require.Contains(t, strings.Join(why, "\n"), tc.reason)
			} else {
				require.Empty(t, why)
			}
		})
	}
}

func TestEvalTextPrefixedJSON(t *testing.T) {
	p, err := Parse("{ $.eventName = StopLogging }")
	require.NoError(t, err)
	require.Equal(t, Unknown, p.Eval("2024-05-01 INFO "+ctStop))
	require.Equal(t, NoMatch, p.Eval(`2024-05-01 INFO {"eventName":"x"}`))
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		pos     int
		msg     string
	}{
		{"eventName:StopLogging", 9, "Invalid character(s) in term ':'"},
		{"call(x)", 4, "Invalid character(s) in term '('"},
		{"a,b", 1, "Invalid character(s) in term ','"},
		{`"unterminated`, 0, "unterminated quoted string"},
		{`"a"b`, 3, "expected a space after the quoted phrase"},
		{"- x", 0, "expected a term right after '-'"},
		{"%abc", 0, "unterminated regular expression"},
		{"%a(b)%", 2, "'(' is not supported in a regular expression"},
		{"%a!%", 2, "character '!' is not supported"},
		{"%é%", 1, "multi-byte characters"},
		{`%\p{L}%`, 1, `escape \p is not supported`},
		{"%a{2,1}%", 1, "invalid regular expression"},
		{"{ eventName = CreateTrail }", 2, `expected a property selector starting with "$."`},
		{`{ $."eventName" = CreateTrail }`, 4, `Invalid character(s) in term '$."'`},
		{"{ $.eventName IS NOT NULL }", 14, `"IS NOT" is not supported`},
		{"{ $.eventName EXISTS }", 14, `expected a comparison operator after "$.eventName", found "EXISTS"`},
		{"{ $.eventName IS EMPTY }", 16, "expected NULL, TRUE or FALSE after IS"},
		{"{ $.eventName NOT THERE }", 17, "expected EXISTS after NOT"},
		{"{ $.eventName = CreateTrail", 27, "expected '}' to close the '{' at position 0"},
		{"{ $.eventName = CreateTrail } x", 30, "expected the end of the pattern"},
		{"{ $.a = b | $.c = d }", 10, `expected "&&", "||" or '}'`},
		{"{ ($.a = b }", 11, `expected "&&", "||" or ')' to close the '(' at position 2`},
		{"{ }", 2, "expected a condition"},
		{"{ $ = x }", 3, "expected '.' or '[' after '$'"},
		{"{ $.a. = x }", 6, "expected a property name after '.'"},
		{"{ $.a[x] = 1 }", 6, "expected an array index, '*' or a quoted key"},
		{"{ $.a = }", 8, `expected a value after "="`},
		{"{ $.a > abc }", 8, "compare numbers only"},
		{"{ $.*[*] = x }", 2, "at most one wildcard per property selector"},
		{"{ $.a[*] = 1 && $.b[*] = 1 && $.c[*] = 1 && $.d[*] = 1 }", 44, "at most 3 wildcard selectors"},
		{"{ $.a = %x% && $.b = %y% && $.c = %z% }", 34, "at most 2 regular expressions"},
		{"{ $.eventName = %^(Create|Delete)Trail$% }", 18, "'(' is not supported"},
		{"{ $.a = 'x }", 8, "unterminated single-quoted value"},
		{"{ " + strings.Repeat("(", maxDepth+1) + "$.a = 1" + strings.Repeat(")", maxDepth+1) + " }", 2 + maxDepth, "nested more than"},
		{"[a, b", 5, "expected ',' or ']'"},
		{"[a, ..., ..., b]", 9, `at most one "..."`},
		{"[a=1, b] x", 9, "expected the end of the pattern"},
		{"[a=1 && zz=2, b]", 0, `refers to field "zz"`},
		{"[a IS NULL]", 3, "expected ',' or ']' after a field, found \"IS\""},
		{"[=x]", 1, "expected a field name"},
		{strings.Repeat("x", MaxLength+1), MaxLength, "Member must have length less than or equal to 1024"},
	} {
		t.Run(tc.pattern[:min(len(tc.pattern), 40)], func(t *testing.T) {
			_, err := Parse(tc.pattern)
			require.Error(t, err)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			require.Contains(t, se.Msg, tc.msg)
			require.Equal(t, tc.pos, se.Pos, "message: %s", se.Msg)
			require.True(t, strings.HasPrefix(err.Error(), "at position "), err.Error())
		})
	}
}

func TestParseLimits(t *testing.T) {
	_, err := Parse(strings.Repeat("x", MaxLength))
	require.NoError(t, err, "exactly 1024 characters is allowed")
	_, err = Parse(strings.Repeat("é", MaxLength))
	require.NoError(t, err, "the limit counts characters, not bytes")
	deep := "{ " + strings.Repeat("(", maxDepth) + "$.a = 1" + strings.Repeat(")", maxDepth) + " }"
	_, err = Parse(deep)
	require.NoError(t, err)
}

func TestPatternAccessors(t *testing.T) {
	for _, tc := range []struct {
		text     string
		kind     Kind
		matchAll bool
	}{
		{"", KindTerms, true},
		{`  " "  `, KindTerms, true},
		{`?" " ?""`, KindTerms, true},
		{`-" "`, KindTerms, false},
		{"ERROR", KindTerms, false},
		{" { $.a = 1 } ", KindJSON, false},
		{"[]", KindDelimited, true},
		{"[...]", KindDelimited, true},
		{"[a]", KindDelimited, false},
	} {
		p, err := Parse(tc.text)
		require.NoError(t, err, tc.text)
		require.Equal(t, tc.text, p.Text(), "Text keeps surrounding whitespace")
		require.Equal(t, tc.kind, p.Kind(), tc.text)
		require.Equal(t, tc.matchAll, p.MatchAll(), tc.text)
	}
	require.Equal(t, "no match", NoMatch.String())
	require.Equal(t, "match", Match.String())
	require.Equal(t, "indeterminate", Unknown.String())
}

func TestThreeValuedLogic(t *testing.T) {
	vs := []Verdict{NoMatch, Match, Unknown}
	for _, a := range vs {
		for _, b := range vs {
			require.Equal(t, and3(a, b), and3(b, a))
			require.Equal(t, or3(a, b), or3(b, a))
			require.Equal(t, not3(and3(a, b)), or3(not3(a), not3(b)), "De Morgan for %v, %v", a, b)
		}
	}
	require.Equal(t, NoMatch, and3(NoMatch, Unknown))
	require.Equal(t, Match, or3(Match, Unknown))
	require.Equal(t, Unknown, and3(Match, Unknown))
	require.Equal(t, Unknown, or3(NoMatch, Unknown))
}
