package pattern

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trailwatch/trailwatch/internal/editdist"
)

// Hint is a likely mistake in a filter pattern that parses: the pattern is
// valid, it just does not say what its author meant. Start and End are the
// byte span in the pattern text the hint is about.
type Hint struct {
	Start, End int
	Message    string
}

// Diagnose looks for the typos that leave a pattern valid but blind: an
// event name one or two edits from one the control watches (eventNames,
// the caller's list), a selector whose case differs from a CloudTrail
// record field (selectors are case-sensitive), and two different values
// for one field joined by &&, which no record can have. Only JSON patterns
// are examined; a pattern that does not parse has no hints (its syntax
// error says more).
func Diagnose(text string, eventNames []string) []Hint {
	p, err := parse(text)
	if err != nil || p.kind != KindJSON || p.expr == nil {
		return nil
	}
	d := diagnoser{names: eventNames}
	d.walk(p.expr)
	slices.SortStableFunc(d.hints, func(a, b Hint) int { return a.Start - b.Start })
	return d.hints
}

type diagnoser struct {
	names []string
	hints []Hint
}

func (d *diagnoser) add(start, end int, format string, args ...any) {
	d.hints = append(d.hints, Hint{Start: start, End: end, Message: fmt.Sprintf(format, args...)})
}

func (d *diagnoser) walk(e expr) {
	switch e := e.(type) {
	case *orExpr:
		for _, it := range e.items {
			d.walk(it)
		}
	case *andExpr:
		d.contradictions(e)
		for _, it := range e.items {
			d.walk(it)
		}
	case *cond:
		d.selectorCase(e)
		d.eventName(e)
	}
}

// selectorCase: $.eventname selects nothing in a CloudTrail record, whose
// field is eventName.
func (d *diagnoser) selectorCase(c *cond) {
	fixed, changed := make([]string, 0, len(c.path)), false
	fields := recordFields
	for _, s := range c.path {
		if s.kind != segName {
			return // an index or wildcard: not worth rewriting for a hint
		}
		name := s.name
		if f, ok := fields[strings.ToLower(name)]; ok && f != name {
			name, changed = f, true
		}
		fixed = append(fixed, name)
		// Below userIdentity and tlsDetails CloudTrail's names are fixed;
		// below requestParameters and the like each service picks its own.
		fields = nil
		if name == "userIdentity" || name == "tlsDetails" || name == "sessionContext" || name == "sessionIssuer" {
			fields = memberFields
		}
	}
	if changed {
		d.add(c.start, c.end, "selectors are case-sensitive: %s selects nothing in a CloudTrail record; did you mean $.%s?", c.selector, strings.Join(fixed, "."))
	}
}

// eventName: $.eventName = StartLoging never matches StartLogging.
func (d *diagnoser) eventName(c *cond) {
	v, ok := c.val.(stringValue)
	if !ok || (c.op != opEq && c.op != opNe) || v.glob() || !isEventNamePath(c.path) || slices.Contains(d.names, v.s) {
		return
	}
	best, bestDist := []string(nil), 3
	for _, n := range d.names {
		dist := editdist.Distance(v.s, n)
		if dist > 2 || dist*3 >= len(n) {
			continue
		}
		switch {
		case dist < bestDist:
			best, bestDist = []string{n}, dist
		case dist == bestDist && !slices.Contains(best, n):
			best = append(best, n)
		}
	}
	if len(best) > 0 {
		d.add(c.start, c.end, "%s is not an event name the control watches; did you mean %s?", v.s, strings.Join(best, " or "))
	}
}

// contradictions: within one &&, two equalities on the same field with
// different literal values can never both hold, as a record has one value
// there. A path with a wildcard or an index may select several values, so
// it is left alone.
func (d *diagnoser) contradictions(a *andExpr) {
	first := map[string]*cond{}
	for _, it := range a.items {
		c, ok := it.(*cond)
		if !ok || c.op != opEq || c.unsettled != "" || !namesOnly(c.path) {
			continue
		}
		lit, ok := literal(c.val)
		if !ok {
			continue
		}
		key := c.selector
		prev, seen := first[key]
		if !seen {
			first[key] = c
			continue
		}
		if prevLit, _ := literal(prev.val); prevLit != lit {
			field := "value at " + c.selector
			if isEventNamePath(c.path) {
				field = "eventName"
			}
			d.add(prev.start, c.end, "a record has one %s, so %s && %s never matches; did you mean ||?",
				field, textOf(prev), textOf(c))
		}
	}
}

// literal is a value compared exactly: a number, or a string without *.
func literal(v value) (string, bool) {
	switch v := v.(type) {
	case stringValue:
		if v.glob() {
			return "", false
		}
		return "s:" + v.s, true
	case numberValue:
		return fmt.Sprintf("n:%g", v.f), true
	}
	return "", false
}

func textOf(c *cond) string {
	raw := ""
	switch v := c.val.(type) {
	case stringValue:
		raw = v.raw
	case numberValue:
		raw = v.raw
	}
	return c.selector + " = " + raw
}

func namesOnly(path []segment) bool {
	for _, s := range path {
		if s.kind != segName {
			return false
		}
	}
	return len(path) > 0
}

func isEventNamePath(path []segment) bool {
	return len(path) == 1 && path[0].kind == segName && path[0].name == "eventName"
}

// recordFields are the fields of a CloudTrail record (the record contents
// reference of the CloudTrail user guide), and memberFields those of its
// userIdentity (with sessionContext and sessionIssuer) and tlsDetails, by
// lower case.
var recordFields, memberFields = foldNames(
	"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
	"userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData",
	"requestID", "eventID", "eventType", "apiVersion", "managementEvent", "readOnly", "resources",
	"recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId",
	"eventCategory", "addendum", "sessionCredentialFromConsole", "edgeDeviceDetails", "tlsDetails", "insightDetails",
), foldNames(
	"type", "principalId", "arn", "accountId", "accessKeyId", "userName", "sessionContext", "invokedBy",
	"identityProvider", "onBehalfOf", "credentialId", "sessionIssuer", "webIdFederationData", "attributes",
	"creationDate", "mfaAuthenticated", "sourceIdentity", "ec2RoleDelivery",
	"tlsVersion", "cipherSuite", "clientProvidedHostHeader",
)

func foldNames(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[strings.ToLower(n)] = n
	}
	return m
}
