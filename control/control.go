// Package control holds the CIS monitoring controls trailwatch decides, as
// values: what each must catch (realistic CloudTrail records), the pattern it
// recommends, the names it gives what plan creates, and what it asks of the
// trail. check, plan, fix, report and the sandbox read a Control; none of
// them names a control's events or texts. It imports only the standard
// library, so every package can depend on it.
package control

import "strings"

// Control is one metric-filter control: trail → log group → metric filter →
// alarm → topic → subscriber, with the filter judged on Records.
type Control struct {
	// ID is trailwatch's own name for the control, e.g. "cloudtrail-changes".
	ID    string
	Title string
	// SecurityHub is the Security Hub control ID, e.g. "CloudWatch.5"; empty
	// when Security Hub has none.
	SecurityHub string
	// CIS is the control's number in each numbering of the CIS AWS
	// Foundations Benchmark.
	CIS []CISNumber
	// Events are the API calls the control must catch, in the order reports
	// list them.
	Events []string
	// Records are realistic CloudTrail records: every caller of every event
	// the control must catch, refused attempts of them, and calls it may
	// leave out (see Kind). Built once; treat as read-only.
	Records []Record
	// Pattern is the recommended filter pattern, written by plan byte for byte.
	Pattern string
	// SecurityHubPattern is the text Security Hub requires where it differs
	// from Pattern; empty when they are the same.
	SecurityHubPattern string
	// NameStem is the stem of the names of the filter, alarm and topic plan
	// creates (after the name prefix).
	NameStem string
	// Namespace and MetricName are the metric a new filter emits.
	Namespace  string
	MetricName string
	// AlarmDescription is the description of the alarm plan creates.
	AlarmDescription string
	// Trail is what the control asks of the trail beyond logging management
	// events.
	Trail TrailNeeds
	// Drill is the harmless change `trailwatch drill` makes to prove the
	// chain, or why there is none; nil for a control without one decided.
	Drill *Trigger
}

// CISNumber is the control's recommendation number in benchmark versions From
// to To (inclusive); To is empty for every later version.
type CISNumber struct {
	ID   string
	From string
	To   string
}

// TrailNeeds is what a control asks of the trail that feeds its log group.
type TrailNeeds struct {
	// EventSources must not be excluded by the trail's event selectors.
	EventSources []string
	// GlobalServiceEvents: the trail must include global service events
	// (IAM, STS and console sign-in are logged in us-east-1 only).
	GlobalServiceEvents bool
}

// ExactText is the text Security Hub accepts for the control's filter.
func (c Control) ExactText() string {
	if c.SecurityHubPattern != "" {
		return c.SecurityHubPattern
	}
	return c.Pattern
}

// EventList renders the events as prose: "A, B and C".
func (c Control) EventList() string {
	return JoinAnd(c.Events)
}

// JoinAnd joins names as prose: "A", "A and B", "A, B and C".
func JoinAnd(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
