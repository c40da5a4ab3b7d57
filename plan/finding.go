package plan

// Finding is the part of check's verdict on one account that planning needs.
// The command layer fills it from check's result, which keeps plan's tests
// free of AWS and of check's internals.
type Finding struct {
	Account  string
	Profiles []string
	// Status is PASS, FAIL, ERROR or MANUAL; Reason a FAIL reason code.
	Status  string
	Reason  string
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

// The FAIL reasons check reports (docs/check.md).
const (
	NoMultiRegionTrail          = "NO_MULTI_REGION_TRAIL"
	TrailNotLogging             = "TRAIL_NOT_LOGGING"
	ManagementEventsNotCaptured = "MANAGEMENT_EVENTS_NOT_CAPTURED"
	NoCloudWatchLogs            = "NO_CLOUDWATCH_LOGS"
	LogsDeliveryFailing         = "LOGS_DELIVERY_FAILING"
	LogGroupNotFound            = "LOG_GROUP_NOT_FOUND"
	NoMatchingFilter            = "NO_MATCHING_FILTER"
	NoAlarm                     = "NO_ALARM"
	AlarmCannotFire             = "ALARM_CANNOT_FIRE"
	NoAlarmTopic                = "NO_ALARM_TOPIC"
	TopicCannotReceive          = "TOPIC_CANNOT_RECEIVE"
	NoConfirmedSubscriber       = "NO_CONFIRMED_SUBSCRIBER"
)
