// Package check decides the CIS monitoring controls (control/) for AWS
// accounts, link by link (docs/design.md), and returns findings as data: one
// result per account and control. It never imports the command-line, prompt
// or colour libraries.
package check

import (
	"time"

	"github.com/trailwatch/trailwatch/control"
)

// Status is the verdict for one account.
type Status string

const (
	Pass   Status = "PASS"
	Fail   Status = "FAIL"
	Error  Status = "ERROR"
	Manual Status = "MANUAL"
)

// Reason says which link of the chain failed, for the trail that got furthest.
type Reason string

const (
	NoMultiRegionTrail          Reason = "NO_MULTI_REGION_TRAIL"
	TrailNotLogging             Reason = "TRAIL_NOT_LOGGING"
	ManagementEventsNotCaptured Reason = "MANAGEMENT_EVENTS_NOT_CAPTURED"
	NoCloudWatchLogs            Reason = "NO_CLOUDWATCH_LOGS"
	LogsDeliveryFailing         Reason = "LOGS_DELIVERY_FAILING"
	LogGroupNotFound            Reason = "LOG_GROUP_NOT_FOUND"
	NoMatchingFilter            Reason = "NO_MATCHING_FILTER"
	FilterTooBroad              Reason = "FILTER_TOO_BROAD"
	NoAlarm                     Reason = "NO_ALARM"
	AlarmCannotFire             Reason = "ALARM_CANNOT_FIRE"
	NoAlarmTopic                Reason = "NO_ALARM_TOPIC"
	TopicCannotReceive          Reason = "TOPIC_CANNOT_RECEIVE"
	NoConfirmedSubscriber       Reason = "NO_CONFIRMED_SUBSCRIBER"
)

// Verdict is check's decision on one account: its status and, for FAIL,
// the link that failed. It crosses packages as this value; only renderers
// turn it into text.
type Verdict struct {
	Status Status
	Reason Reason
}

// String is the verdict as the renderers print it: "FAIL NO_ALARM", "PASS".
func (v Verdict) String() string {
	if v.Reason == "" {
		return string(v.Status)
	}
	return string(v.Status) + " " + string(v.Reason)
}

// IsZero reports a verdict that was never reached (an account not
// re-checked).
func (v Verdict) IsZero() bool { return v == Verdict{} }

// Verdict is the result's status and reason as one value.
func (r Result) Verdict() Verdict { return Verdict{Status: r.Status, Reason: r.Reason} }

// Link is one link of the chain a verdict follows.
type Link string

const (
	LinkTrail      Link = "trail"
	LinkLogGroup   Link = "log_group"
	LinkFilter     Link = "filter"
	LinkAlarm      Link = "alarm"
	LinkTopic      Link = "topic"
	LinkSubscriber Link = "subscriber"
)

// Links lists the chain's links in the order events travel.
var Links = []Link{LinkTrail, LinkLogGroup, LinkFilter, LinkAlarm, LinkTopic, LinkSubscriber}

// reasonLinks is the link each FAIL reason says is broken.
var reasonLinks = map[Reason]Link{
	NoMultiRegionTrail:          LinkTrail,
	TrailNotLogging:             LinkTrail,
	ManagementEventsNotCaptured: LinkTrail,
	NoCloudWatchLogs:            LinkLogGroup,
	LogsDeliveryFailing:         LinkLogGroup,
	LogGroupNotFound:            LinkLogGroup,
	NoMatchingFilter:            LinkFilter,
	FilterTooBroad:              LinkFilter,
	NoAlarm:                     LinkAlarm,
	AlarmCannotFire:             LinkAlarm,
	NoAlarmTopic:                LinkTopic,
	TopicCannotReceive:          LinkTopic,
	NoConfirmedSubscriber:       LinkSubscriber,
}

// Link is the link of the chain the reason says is broken; false for a
// reason check does not give.
func (r Reason) Link() (Link, bool) {
	l, ok := reasonLinks[r]
	return l, ok
}

// Reasons lists the FAIL reasons in chain order: a later reason means the
// trail got further, which is how the reported trail is chosen.
var Reasons = []Reason{
	NoMultiRegionTrail, TrailNotLogging, ManagementEventsNotCaptured,
	NoCloudWatchLogs, LogsDeliveryFailing, LogGroupNotFound, NoMatchingFilter, FilterTooBroad,
	NoAlarm, AlarmCannotFire, NoAlarmTopic, TopicCannotReceive, NoConfirmedSubscriber,
}

// Report is the outcome of one check run; its JSON form is the stable schema
// of docs/check-json.md.
type Report struct {
	// SchemaVersion is the version of docs/check-json.md this report
	// follows: the minor number grows when fields are added.
	SchemaVersion string `json:"schema_version"`
	Tool          Tool   `json:"tool"`
	// CheckedAt is when the run started, in UTC.
	CheckedAt time.Time `json:"checked_at"`
	// Control is the control decided, for a run of one control (as in 1.1);
	// nil when several are: Controls names each.
	Control *Control `json:"control,omitempty"`
	// Controls are the controls decided, in the order results list them,
	// each with its own summary.
	Controls []ReportControl `json:"controls"`
	// Benchmark is the standard the controls were chosen by (--benchmark),
	// e.g. "cis-5.0"; empty when none was.
	Benchmark string   `json:"benchmark,omitempty"`
	Results   []Result `json:"results"`
	// Skipped are organization accounts that were listed but not audited
	// because they are not ACTIVE (suspended, closing, closed).
	Skipped []Skipped `json:"skipped,omitempty"`
	Summary Summary   `json:"summary"`
}

// SchemaVersion of the JSON report: 1.1 added schema_version, tool,
// checked_at, control, error_code, via, skipped and summary.skipped to 1.0's
// results and summary; 1.2 added controls, control_id on every result,
// FILTER_TOO_BROAD and the filters' exact, background and noise.
const SchemaVersion = "1.2"

// Tool names the program that made a report; the command layer fills it.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Control identifies what check decides in the catalogues that name it, so
// consumers (Security Hub, auditors' spreadsheets) can join on it.
type Control struct {
	Title string `json:"title"`
	// SecurityHub is the Security Hub control ID.
	SecurityHub string `json:"security_hub"`
	// CIS lists the CIS AWS Foundations Benchmark recommendation number per
	// range of benchmark versions: the number moved as sections were added.
	CIS []CISRecommendation `json:"cis"`
}

// ReportControl is one control decided in a run: its registry ID, how the
// catalogues name it, and its results counted by status.
type ReportControl struct {
	ID string `json:"id"`
	// Number is the control's ID in the run's Benchmark ("4.5",
	// "CloudWatch.5"); empty when no benchmark was chosen.
	Number string `json:"number,omitempty"`
	Control
	Summary Summary `json:"summary"`
}

// CISRecommendation is the control's number in benchmark versions From to
// To (inclusive); To is empty for every later version.
type CISRecommendation struct {
	ID   string `json:"id"`
	From string `json:"from"`
	To   string `json:"to,omitempty"`
}

// TheControl is the control trailwatch decides when none is selected.
var TheControl = reportControl(control.Default())

// ControlOf is how the report names the control r judges: its entry in
// Controls, else the run's one Control.
func (rep *Report) ControlOf(r Result) Control {
	for _, c := range rep.Controls {
		if c.ID == r.ControlID {
			return c.Control
		}
	}
	if rep.Control != nil {
		return *rep.Control
	}
	if len(rep.Controls) > 0 {
		return rep.Controls[0].Control
	}
	return TheControl
}

// Multi reports a run of more than one control.
func (rep *Report) Multi() bool { return len(rep.Controls) > 1 }

// reportControl is c as the report names it.
func reportControl(c control.Control) Control {
	out := Control{Title: c.Title, SecurityHub: c.SecurityHub}
	for _, n := range c.CIS {
		out.CIS = append(out.CIS, CISRecommendation{ID: n.ID, From: n.From, To: n.To})
	}
	return out
}

// Skipped is an account --org listed and did not audit.
type Skipped struct {
	Account string `json:"account"`
	Name    string `json:"name"`
	State   string `json:"state"`
}

// Via says whose chain decided a result.
type Via struct {
	// Kind is "organization_trail", "log_group" or "topic".
	Kind string `json:"kind"`
	// ARN is the organization trail or log group; Account owns it.
	ARN     string `json:"arn"`
	Account string `json:"account"`
}

// Summary counts results by status. Accounts counts the accounts; with
// several controls there is one result per account and control, so the
// statuses add up to accounts × controls.
type Summary struct {
	Accounts int `json:"accounts"`
	Pass     int `json:"pass"`
	Fail     int `json:"fail"`
	Error    int `json:"error"`
	Manual   int `json:"manual"`
	// Skipped counts the accounts listed in Report.Skipped.
	Skipped int `json:"skipped,omitempty"`
}

// Result is the verdict for one account, with the evidence behind it.
type Result struct {
	Account string `json:"account"`
	// ControlID is the registry ID of the control this result judges
	// (control.Control.ID): one result per account and control.
	ControlID string `json:"control_id"`
	// Profile is the first profile that reached this account;
	// Profiles names them all.
	Profile  string   `json:"profile"`
	Profiles []string `json:"profiles"`
	// Region is where trails were discovered.
	Region string `json:"region"`
	Status Status `json:"status"`
	Reason Reason `json:"reason,omitempty"`
	// ErrorCode sorts an ERROR result's cause (internal/awserr's Codes:
	// ACCESS_DENIED, SSO_TOKEN_EXPIRED, ENDPOINT_UNREACHABLE,
	// ASSUME_ROLE_FAILED, …), so a script can tell a missing permission
	// from an expired login or a role that could not be assumed.
	ErrorCode string `json:"error_code,omitempty"`
	Message   string `json:"message"`
	// RoleARN is the role assumed to reach the account (--org).
	RoleARN string `json:"role_arn,omitempty"`
	// OtherAccount is the account a MANUAL result depends on.
	OtherAccount string `json:"other_account,omitempty"`
	// Via is set when the verdict is another account's chain, resolved in
	// this run: an organization trail, or a log group, owned elsewhere.
	Via         *Via            `json:"via,omitempty"`
	Trails      []TrailEvidence `json:"trails"`
	Remediation string          `json:"remediation"`
}

// TrailEvidence is what was seen of one trail, link by link. Fields left
// empty were not reached: the chain stopped earlier.
type TrailEvidence struct {
	ARN        string `json:"arn"`
	Name       string `json:"name"`
	HomeRegion string `json:"home_region"`
	// Account owns the trail (from its ARN); not the caller for an
	// organization trail seen from a member account.
	Account           string           `json:"account"`
	MultiRegion       bool             `json:"multi_region"`
	OrganizationTrail bool             `json:"organization_trail"`
	Logging           *bool            `json:"logging,omitempty"`
	ManagementEvents  *bool            `json:"management_events,omitempty"`
	SelectorsNote     string           `json:"selectors_note,omitempty"`
	LogGroupARN       string           `json:"log_group_arn,omitempty"`
	LogGroupName      string           `json:"log_group_name,omitempty"`
	LogGroupAccount   string           `json:"log_group_account,omitempty"`
	LogGroupRegion    string           `json:"log_group_region,omitempty"`
	DeliveryError     string           `json:"delivery_error,omitempty"`
	Filters           []FilterEvidence `json:"filters,omitempty"`
	// Candidates are the alarms on the metrics plan would have a new filter
	// emit, followed when the filter is what is missing (plan and fix only).
	Candidates []MetricEvidence `json:"candidate_metrics,omitempty"`
	// Failed is the link this trail failed at, or empty when the whole
	// chain holds (or the trail was not evaluated to the end: see Note).
	Failed Reason `json:"failed,omitempty"`
	// Complete is true when every link holds for this trail.
	Complete bool `json:"complete"`
	// Note explains a MANUAL or indeterminate outcome for this trail.
	Note string `json:"note,omitempty"`
}

// FilterEvidence is one metric filter on the trail's log group.
type FilterEvidence struct {
	Name    string `json:"name"`
	Pattern string `json:"pattern"`
	// Coverage is "match", "no_match" or "unknown" for the control's events.
	Coverage string `json:"coverage"`
	// Missed names the control events the pattern does not catch.
	Missed    []string `json:"missed,omitempty"`
	StrictCIS bool     `json:"strict_cis"`
	// Exact: the text is one the control's catalogues prescribe (Security
	// Hub's, CIS's latest where Security Hub has none), whitespace aside;
	// Security Hub rejects any other.
	Exact bool `json:"exact"`
	// Background names the background activity the pattern matches: a
	// too-broad filter's alarm never stops firing (FILTER_TOO_BROAD).
	Background []string `json:"background,omitempty"`
	// Noise names calls the control may leave out that the pattern counts
	// too: they raise false alarms but a change still notifies.
	Noise         []string `json:"noise,omitempty"`
	Indeterminate []string `json:"indeterminate,omitempty"`
	// Rejected says why a filter that catches the events still does not
	// count (--strict and not the exact CIS pattern).
	Rejected string `json:"rejected,omitempty"`
	// Metrics holds one entry per metric transformation with its alarms.
	// They are followed for a filter that misses events too, so plan can
	// tell when the filter is all that is missing.
	Metrics []MetricEvidence `json:"metrics,omitempty"`
	// Verification is AWS's own verdict on the pattern (check
	// --verify-patterns); nil when not asked for.
	Verification *Verification `json:"verification,omitempty"`
}

// Verification compares trailwatch's verdict on each synthetic CloudTrail
// record with logs:TestMetricFilter's.
type Verification struct {
	Records int `json:"records"`
	// Agree counts the records where both engines gave the same answer.
	Agree int `json:"agree"`
	// Settled counts the records trailwatch could not decide and AWS did.
	Settled       int            `json:"settled"`
	Disagreements []Disagreement `json:"disagreements,omitempty"`
}

// Disagreement is one record the two engines judged differently.
type Disagreement struct {
	Event  string `json:"event"`
	Caller string `json:"caller"`
	Failed bool   `json:"failed_call"`
	// Local and AWS are "match" or "no_match".
	Local string `json:"trailwatch"`
	AWS   string `json:"aws"`
}

// MetricEvidence is one metric a filter emits and the alarms watching it.
type MetricEvidence struct {
	Name       string            `json:"name"`
	Namespace  string            `json:"namespace"`
	Value      string            `json:"value"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	// Unit is the filter's metric unit; empty means None.
	Unit string `json:"unit,omitempty"`
	// DefaultValue is what the filter emits for events that do not match;
	// nil means nothing is emitted then.
	DefaultValue *float64        `json:"default_value,omitempty"`
	Alarms       []AlarmEvidence `json:"alarms,omitempty"`
}

// AlarmEvidence is one alarm on a filter's metric.
type AlarmEvidence struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// CanFire is true when one change breaches the alarm with actions on;
	// otherwise Why says what stops it.
	CanFire bool            `json:"can_fire"`
	Why     string          `json:"why,omitempty"`
	Topics  []TopicEvidence `json:"topics,omitempty"`
	// OtherActions are alarm actions that are not SNS topics (Lambda, …).
	OtherActions []string `json:"other_actions,omitempty"`
}

// TopicEvidence is one SNS topic an alarm notifies.
type TopicEvidence struct {
	ARN       string `json:"arn"`
	Account   string `json:"account"`
	Confirmed int    `json:"confirmed_subscriptions"`
	Pending   int    `json:"pending_subscriptions"`
	// Missing is true when the topic no longer exists.
	Missing bool `json:"missing,omitempty"`
	// KMSKey is the topic's KmsMasterKeyId as SNS returned it ("" when the
	// topic is not encrypted); KeyManager is AWS or CUSTOMER when the key
	// could be read.
	KMSKey     string `json:"kms_key,omitempty"`
	KeyManager string `json:"key_manager,omitempty"`
	// CanReceive says whether CloudWatch may publish this alarm's
	// notifications to the topic (its key and access policy); nil when it
	// was not decided (another account's topic, a deleted one, or a policy
	// trailwatch cannot evaluate: see Why).
	CanReceive *bool  `json:"can_receive,omitempty"`
	Why        string `json:"why,omitempty"`
	// PolicyFixable is true when adding one statement to the topic's access
	// policy would let CloudWatch publish (no Deny stands in the way).
	PolicyFixable bool `json:"policy_fixable,omitempty"`
}

// DimensionsText is the metric's dimensions as " {Name=Value, …}" in name
// order, "" when it has none.
func (m MetricEvidence) DimensionsText() string { return dimsText(m.Dimensions) }
