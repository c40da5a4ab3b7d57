package plan

import (
	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/control"
)

// Finding is the part of check's verdict on one account that planning needs.
// The command layer fills it from check's result, which keeps plan's tests
// free of AWS and of check's internals.
type Finding struct {
	// Control is the control the verdict judges; the zero value is
	// control.Default().
	Control  control.Control
	Account  string
	Profiles []string
	// Region is where check found the account's trails; a command in a
	// hint names it with the first profile.
	Region string
	// Status and Reason are check's verdict (see Verdict).
	Status  check.Status
	Reason  check.Reason
	Message string
	// OtherAccount is the account a MANUAL verdict depends on; "" when
	// check could not decide a link in this account.
	OtherAccount string
	// Remediation is check's advice, the way out of an ERROR among others.
	Remediation string
	// ErrorCode sorts an ERROR's cause (internal/awserr's codes).
	ErrorCode string
	// Trail is the trail check got furthest with; nil when there is none.
	Trail *Trail
	// Via names the other account and its organization trail or log group
	// whose chain decided the verdict: that chain is planned there, once.
	ViaAccount, ViaARN string
	// WorkingTopics are the topics this control's working alarms notify
	// (they can fire, and the topic has a confirmed subscriber CloudWatch
	// may publish to): the family's alarms share one of them.
	WorkingTopics []string
}

// Trail is the evidence about one trail's chain, link by link.
type Trail struct {
	Name         string
	ARN          string
	HomeRegion   string
	OwnerAccount string
	Organization bool
	// LogGroupARN is the trail's CloudWatchLogsLogGroupArn, "" when unwired.
	LogGroupARN     string
	LogGroupName    string
	LogGroupRegion  string
	LogGroupAccount string
	// Filter is a metric filter on the log group that covers all five
	// events; nil when none does.
	Filter *Filter
	// Alarm is an alarm on Filter's metric; nil when none is.
	Alarm *Alarm
	// TopicARN is an SNS topic the alarm notifies that has no confirmed
	// subscriber (NO_CONFIRMED_SUBSCRIBER).
	TopicARN string
	// ReadyTopic is a topic CloudWatch can publish to, with a confirmed
	// subscriber, that an alarm which cannot fire notifies
	// (ALARM_CANNOT_FIRE): the alarm planned beside it notifies that topic.
	ReadyTopic string
	// PolicyTopic is the alarm's topic whose access policy lacks a
	// statement for CloudWatch, when that is all that stops it
	// (TOPIC_CANNOT_RECEIVE): the statement is added.
	PolicyTopic string
	// ReadyMetric is the metric of a working alarm (it can fire and
	// notifies a topic with a confirmed subscriber) that only a filter
	// catching all five events is missing (NO_MATCHING_FILTER).
	ReadyMetric *ReadyMetric
}

// ReadyMetric is a metric a working alarm watches: a filter emitting it,
// in the same unit, completes the chain.
type ReadyMetric struct {
	Namespace  string
	MetricName string
	// Unit is the unit the existing filter emits and the alarm sees.
	Unit string
	// DefaultValue is the existing filter's; kept, because the alarm's
	// missing-data setting may rely on it.
	DefaultValue *float64
	Alarm        string
}

// Filter is a covering metric filter.
type Filter struct {
	Namespace  string
	MetricName string
	// Reusable is false when the metric cannot back a simple alarm: it has
	// dimensions or a value other than a positive constant.
	Reusable bool
}

// Alarm is an existing alarm on the filter's metric.
type Alarm struct {
	Name    string
	ARN     string
	CanFire bool
}

// Verdict is check's verdict the finding carries.
func (f Finding) Verdict() check.Verdict { return check.Verdict{Status: f.Status, Reason: f.Reason} }
