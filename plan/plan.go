// Package plan turns check's findings into an ordered, typed change set
// (docs/plan.md), records a fingerprint of everything it read so a saved plan can
// be refused when the account moved on (docs/design.md), and renders the result for
// people and machines. It never calls a write API and never imports the
// command-line, prompt or colour libraries: the command layer passes Options.
package plan

import (
	"encoding/json"
	"time"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
)

// FormatVersion is bumped whenever a plan file changes incompatibly, so fix
// refuses files it would misread.
const FormatVersion = 1

// Action is what a change does to its target, Terraform-style.
type Action string

const (
	Create Action = "create"
	Update Action = "update"
)

// ManagedByKey and ManagedByValue tag every taggable resource the tool creates;
// the tag is how a later plan knows it may reuse or update the resource.
const (
	ManagedByKey   = "managed-by"
	ManagedByValue = "trailwatch"
)

// CISPattern is the default control's recommended pattern, written byte for
// byte so auditors comparing text (and Security Hub's strict reading) accept it.
var CISPattern = control.Default().Pattern

// Plan is the whole change set of one run: what `plan --out` writes and
// `fix --plan` applies.
type Plan struct {
	FormatVersion int           `json:"format_version"`
	Tool          Tool          `json:"tool"`
	CreatedAt     time.Time     `json:"created_at"`
	Options       Recorded      `json:"options"`
	Accounts      []AccountPlan `json:"accounts"`
}

// Tool names the program that wrote a plan.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Recorded is the part of Options that shaped the plan, kept in the file so
// a reader can tell why names and endpoints are what they are.
type Recorded struct {
	Notify        []string `json:"notify,omitempty"`
	TopicARN      string   `json:"topic_arn,omitempty"`
	WireLogs      bool     `json:"wire_logs"`
	RetentionDays int32    `json:"retention_days,omitempty"`
	Namespace     string   `json:"namespace"`
	MetricName    string   `json:"metric_name"`
	NamePrefix    string   `json:"name_prefix"`
	Strict        bool     `json:"strict"`
	KMSKeyID      string   `json:"kms_key_id,omitempty"`
	// Controls are the controls planned for when more than one is, or when
	// the one is not the default; a plan of the default control leaves it
	// out, as plans did before there were others.
	Controls []string `json:"controls,omitempty"`
}

// AccountPlan is the change set of one account. An account with no changes
// is compliant (Status PASS) or Blocked, with the reason in plain words.
type AccountPlan struct {
	Account  string   `json:"account"`
	Profiles []string `json:"profiles,omitempty"`
	// Region is where the changes go: the log group's region, which is the
	// trail's home region when logs are wired by this plan.
	Region string `json:"region,omitempty"`
	Trail  string `json:"trail,omitempty"`
	// Status and Reason repeat check's verdict the plan was computed from.
	Status check.Status `json:"status"`
	Reason check.Reason `json:"reason,omitempty"`
	// ErrorCode is check's error_code when Status is ERROR, or the cause of
	// a read that failed while planning.
	ErrorCode string `json:"error_code,omitempty"`
	Blocked   string `json:"blocked,omitempty"`
	// NeedsNotify is set when the account is blocked only for want of an
	// endpoint to notify: fix asks for one at a terminal.
	NeedsNotify bool `json:"needs_notify,omitempty"`
	// Controls is each control's verdict and, when it gets no changes
	// although it fails, why; set only when several controls are planned
	// (docs/plan.md, "Several controls").
	Controls []ControlPlan `json:"controls,omitempty"`
	// TopicCandidates are the account's topics, in the alarm's region, with
	// a confirmed subscriber CloudWatch can publish to: what --topic-arn
	// could name instead of a new topic. Looked up only for an account
	// with NeedsNotify; never chosen by plan.
	TopicCandidates []string      `json:"topic_candidates,omitempty"`
	Changes         []Change      `json:"changes"`
	Fingerprints    []Fingerprint `json:"fingerprints"`
}

// Verdict is check's verdict the plan was computed from.
func (a AccountPlan) Verdict() check.Verdict {
	return check.Verdict{Status: a.Status, Reason: a.Reason}
}

// Change is one write, in the order it must happen.
type Change struct {
	ID        string `json:"id"`
	Action    Action `json:"action"`
	Operation string `json:"operation"` // service:Operation, e.g. sns:CreateTopic
	Region    string `json:"region"`    // "global" for IAM
	Target    string `json:"target"`
	// Request is the API request exactly as it will be sent, with the API's
	// own member names (camelCase for CloudWatch Logs, PascalCase elsewhere).
	// Values only known at apply time (a new topic's ARN) are written as the
	// ARN they will have: topic and role ARNs are derived from their names.
	Request   json.RawMessage `json:"request"`
	Before    map[string]any  `json:"before,omitempty"`
	After     map[string]any  `json:"after"`
	DependsOn []string        `json:"depends_on,omitempty"`
	Fixes     check.Reason    `json:"fixes"`
	// Controls are the controls the change serves, by registry ID, when
	// several are planned: a topic or the log wiring serves every control
	// that needed it, a filter or an alarm one.
	Controls []string `json:"controls,omitempty"`
}

// ControlPlan is one control's part of an account's plan.
type ControlPlan struct {
	Control string       `json:"control"`
	Status  check.Status `json:"status"`
	Reason  check.Reason `json:"reason,omitempty"`
	// Blocked says why a failing control gets no changes.
	Blocked     string `json:"blocked,omitempty"`
	NeedsNotify bool   `json:"needs_notify,omitempty"`
}

// Fingerprint is what one read saw while planning; Verify repeats the read and
// compares. Hash is "absent" when the resource did not exist.
type Fingerprint struct {
	Kind   string `json:"kind"`
	Region string `json:"region"`
	// Key identifies the resource for its Kind (see readers.go).
	Key  string `json:"key"`
	Hash string `json:"hash"`
}

// Absent is the hash of a resource that was looked for and not found.
const Absent = "absent"

// Counts returns how many changes create and update across the plan, and in
// how many accounts.
func (p Plan) Counts() (create, update, accounts int) {
	for _, a := range p.Accounts {
		if len(a.Changes) > 0 {
			accounts++
		}
		for _, c := range a.Changes {
			switch c.Action {
			case Create:
				create++
			case Update:
				update++
			}
		}
	}
	return create, update, accounts
}
