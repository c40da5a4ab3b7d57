package pattern

import (
	"fmt"
	"strconv"
	"strings"
)

// exprParser is the recursive-descent parser shared by JSON patterns and the
// conditions of space-delimited patterns: () > && > ||.
type exprParser struct {
	s         string
	i         int
	sd        bool // space-delimited: selectors are bare field names
	depth     int
	wildcards int
	regexes   int
	names     []string // fields referenced by space-delimited conditions
}

// Documented quotas that PutMetricFilter enforces.
const (
	maxWildcardSelectors = 3
	maxRegexes           = 2
)

func parseJSON(s string, start int) (expr, *SyntaxError) {
	p := &exprParser{s: s, i: start + 1}
	p.skipWS()
	if p.i >= len(s) || s[p.i] == '}' {
		return nil, errAt(p.i, "expected a condition such as $.eventName = CreateTrail after '{', found %s", describe(s, p.i))
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if p.i >= len(s) {
		return nil, errAt(p.i, "expected '}' to close the '{' at position %d, found the end of the pattern", start)
	}
	if s[p.i] != '}' {
		return nil, errAt(p.i, `expected "&&", "||" or '}', found %s`, describe(s, p.i))
	}
	p.i++
	p.skipWS()
	if p.i < len(s) {
		return nil, errAt(p.i, "expected the end of the pattern after the closing '}', found %s", describe(s, p.i))
	}
	return e, nil
}

func (p *exprParser) skipWS() {
	for p.i < len(p.s) && isWS(p.s[p.i]) {
		p.i++
	}
}

func (p *exprParser) parseOr() (expr, *SyntaxError) {
	p.skipWS()
	start := p.i
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	items := []expr{first}
	for {
		save := p.i
		p.skipWS()
		if !strings.HasPrefix(p.s[p.i:], "||") {
			p.i = save
			break
		}
		p.i += 2
		p.skipWS()
		next, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		items = append(items, next)
	}
	if len(items) == 1 {
		return first, nil
	}
	// The span runs to p.i, not to the last item's span, so that a closing
	// parenthesis of the last operand is part of the clause text.
	return &orExpr{items: items, start: start, end: p.i}, nil
}

func (p *exprParser) parseAnd() (expr, *SyntaxError) {
	p.skipWS()
	start := p.i
	first, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	items := []expr{first}
	for {
		save := p.i
		p.skipWS()
		if !strings.HasPrefix(p.s[p.i:], "&&") {
			p.i = save
			break
		}
		p.i += 2
		p.skipWS()
		next, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		items = append(items, next)
	}
	if len(items) == 1 {
		return first, nil
	}
	// The span runs to p.i, not to the last item's span, so that a closing
	// parenthesis of the last operand is part of the clause text.
	return &andExpr{items: items, start: start, end: p.i}, nil
}

func (p *exprParser) parseUnary() (expr, *SyntaxError) {
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		open := p.i
		if p.depth++; p.depth > maxDepth {
			return nil, errAt(open, "parentheses nested more than %d deep", maxDepth)
		}
		p.i++
		p.skipWS()
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, errAt(p.i, `expected "&&", "||" or ')' to close the '(' at position %d, found %s`, open, describe(p.s, p.i))
		}
		p.i++
		p.depth--
		return e, nil
	}
	return p.parseCond()
}

func isNameChar(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

func (p *exprParser) parseCond() (expr, *SyntaxError) {
	c := &cond{start: p.i, text: p.sd}
	if p.sd {
		j := p.i
		for j < len(p.s) && isNameChar(p.s[j]) {
			j++
		}
		if j == p.i {
			return nil, errAt(p.i, "expected a field name, found %s", describe(p.s, p.i))
		}
		c.selector = p.s[p.i:j]
		c.path = []segment{{kind: segName, name: c.selector}}
		p.names = append(p.names, c.selector)
		p.i = j
	} else if err := p.parseSelector(c); err != nil {
		return nil, err
	}
	p.skipWS()
	if err := p.parseOperator(c); err != nil {
		return nil, err
	}
	if c.op <= opGe {
		p.skipWS()
		if err := p.parseValue(c); err != nil {
			return nil, err
		}
	}
	c.end = p.i
	return c, nil
}

func (p *exprParser) parseSelector(c *cond) *SyntaxError {
	s, start := p.s, p.i
	if start >= len(s) || s[start] != '$' {
		return errAt(start, `expected a property selector starting with "$." (e.g. $.eventName), found %s`, describe(s, start))
	}
	i := start + 1
	perSelector := 0
	for i < len(s) {
		dotted := false
		if s[i] == '.' {
			dotted = true
			i++
			if i < len(s) && s[i] == '"' {
				return errAt(i, "Invalid character(s) in term '%s' (member names are written unquoted, or as .['name'])", s[start:i+1])
			}
			if i < len(s) && s[i] == '*' {
				c.path = append(c.path, segment{kind: segAnyMember})
				perSelector++
				i++
				continue
			}
			if i >= len(s) || s[i] != '[' {
				j := i
				for j < len(s) && isNameChar(s[j]) {
					j++
				}
				if j == i {
					return errAt(i, "expected a property name after '.', found %s", describe(s, i))
				}
				c.path = append(c.path, segment{kind: segName, name: s[i:j]})
				i = j
				continue
			}
		}
		if s[i] != '[' {
			break
		}
		open := i
		i++
		switch {
		case i < len(s) && s[i] == '*':
			if i+1 >= len(s) || s[i+1] != ']' {
				return errAt(i+1, "expected ']' after '[*'")
			}
			c.path = append(c.path, segment{kind: segAnyElement})
			perSelector++
			i += 2
		case i < len(s) && s[i] >= '0' && s[i] <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j >= len(s) || s[j] != ']' {
				return errAt(j, "expected ']' after the array index, found %s", describe(s, j))
			}
			n, err := strconv.Atoi(s[i:j])
			if err != nil {
				return errAt(i, "array index %s is too large", s[i:j])
			}
			c.path = append(c.path, segment{kind: segIndex, index: n})
			i = j + 1
		case i < len(s) && (s[i] == '\'' || s[i] == '"'):
			q := s[i]
			end := strings.IndexByte(s[i+1:], q)
			if end < 0 || i+1+end+1 >= len(s) || s[i+1+end+1] != ']' {
				return errAt(open, "expected a quoted key closed by %c] after '['", q)
			}
			c.path = append(c.path, segment{kind: segName, name: s[i+1 : i+1+end]})
			switch {
			case q == '"':
				c.unsettled = fmt.Sprintf("double-quoted key in %s is undocumented (the guide shows .['key'])", s[start:i+end+3])
			case !dotted:
				c.unsettled = fmt.Sprintf("bracket key without a leading dot in %s is undocumented (the guide shows .['key'])", s[start:i+end+3])
			}
			i += end + 3
		default:
			return errAt(i, "expected an array index, '*' or a quoted key after '[', found %s", describe(s, i))
		}
	}
	if len(c.path) == 0 {
		return errAt(i, "expected '.' or '[' after '$', found %s", describe(s, i))
	}
	c.selector = s[start:i]
	if perSelector > 1 {
		return errAt(start, "at most one wildcard per property selector is allowed (AWS quota), %s has %d", c.selector, perSelector)
	}
	if perSelector == 1 {
		c.wildcard = true
		if p.wildcards++; p.wildcards > maxWildcardSelectors {
			return errAt(start, "at most %d wildcard selectors per filter pattern are allowed (AWS quota)", maxWildcardSelectors)
		}
	}
	p.i = i
	return nil
}

func (p *exprParser) parseOperator(c *cond) *SyntaxError {
	s, i := p.s, p.i
	for _, o := range []struct {
		tok string
		op  op
	}{{"!=", opNe}, {"<=", opLe}, {">=", opGe}, {"==", opEq}, {"=", opEq}, {"<", opLt}, {">", opGt}} {
		if strings.HasPrefix(s[i:], o.tok) {
			c.op = o.op
			if o.tok == "==" && c.unsettled == "" {
				c.unsettled = `"==" is undocumented (aws-cdk rewrites it to "=" before sending, which suggests AWS rejects it)`
			}
			p.i = i + len(o.tok)
			return nil
		}
	}
	word, j := readWord(s, i)
	if p.sd || word == "" {
		return errAt(i, "expected a comparison operator after %q, found %s", c.selector, describe(s, i))
	}
	second, k := "", j
	if up := strings.ToUpper(word); up == "IS" || up == "NOT" {
		for k < len(s) && isWS(s[k]) {
			k++
		}
		if k == j {
			return errAt(k, "expected a space after %s", word)
		}
		second, k = readWord(s, k)
	}
	switch phrase := strings.ToUpper(word + " " + second); phrase {
	case "IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS":
		c.op = map[string]op{"IS NULL": opIsNull, "IS TRUE": opIsTrue, "IS FALSE": opIsFalse, "NOT EXISTS": opNotExists}[phrase]
		if word+" "+second != phrase && c.unsettled == "" {
			c.unsettled = fmt.Sprintf("keyword %q in %s is not upper-case: AWS documents only %s", word+" "+second, c.selector, phrase)
		}
		p.i = k
		return nil
	case "IS NOT":
		return errAt(i, `"IS NOT" is not supported by AWS (use NOT EXISTS, or != with a value)`)
	}
	switch strings.ToUpper(word) {
	case "IS":
		return errAt(j, "expected NULL, TRUE or FALSE after IS, found %s", describe(s, k-len(second)))
	case "NOT":
		return errAt(j, "expected EXISTS after NOT, found %s", describe(s, k-len(second)))
	}
	return errAt(i, "expected a comparison operator after %q, found %q", c.selector, word)
}

func readWord(s string, i int) (string, int) {
	j := i
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
		j++
	}
	return s[i:j], j
}

func (p *exprParser) parseValue(c *cond) *SyntaxError {
	s, i := p.s, p.i
	opText := opNames[c.op]
	if i >= len(s) {
		return errAt(i, "expected a value after %q, found the end of the pattern", opText)
	}
	switch s[i] {
	case '"':
		text, end, err := readQuoted(s, i)
		if err != nil {
			return err
		}
		c.val = stringValue{s: text, raw: s[i:end], quoted: true}
		p.i = end
	case '\'':
		end := strings.IndexByte(s[i+1:], '\'')
		if end < 0 {
			return errAt(i, "unterminated single-quoted value: expected a closing \"'\"")
		}
		raw := s[i : i+end+2]
		c.val = stringValue{s: s[i+1 : i+1+end], raw: raw, quoted: true}
		if c.unsettled == "" {
			c.unsettled = fmt.Sprintf("single-quoted value %s is undocumented (AWS documents double quotes)", raw)
		}
		p.i = i + end + 2
	case '%':
		end := strings.IndexByte(s[i+1:], '%')
		if end < 0 {
			return errAt(i, "unterminated regular expression: expected a closing '%%'")
		}
		re, err := compileRegex(s[i+1:i+1+end], i+1)
		if err != nil {
			return err
		}
		if p.regexes++; p.regexes > maxRegexes {
			return errAt(i, "at most %d regular expressions per JSON or space-delimited pattern are allowed (AWS quota)", maxRegexes)
		}
		c.val = regexValue{re: re, raw: s[i : i+end+2]}
		p.i = i + end + 2
	default:
		stop := "&|()}"
		if p.sd {
			stop = "&|(),]"
		}
		j := i
		for j < len(s) && !isWS(s[j]) && strings.IndexByte(stop, s[j]) < 0 {
			j++
		}
		if j == i {
			return errAt(i, "expected a value after %q, found %s", opText, describe(s, i))
		}
		raw := s[i:j]
		if isNumber(raw) {
			f, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				return errAt(i, "number %s is out of range", raw)
			}
			c.val = numberValue{f: f, raw: raw}
		} else {
			c.val = stringValue{s: raw, raw: raw}
		}
		p.i = j
	}
	if _, ok := c.val.(numberValue); !ok && c.op >= opLt {
		return errAt(i, "expected a number after %q (< <= > >= compare numbers only), found %s", opText, describe(s, i))
	}
	return nil
}
