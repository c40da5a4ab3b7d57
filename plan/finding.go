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
	CanFire bool
}

// The FAIL reasons check reports (docs/check.md).
const (
	NoMultiRegionTrail          = "NO_MULTI_REGION_TRAIL"
	TrailNotLogging             = "TRAIL_NOT_LOGGING"
	ManagementEventsNotCaptured = "MANAGEMENT_EVENTS_NOT_CAPTURED"
	NoCloudWatchLogs            = "NO_CLOUDWATCH_LOGS"
	LogsDeliveryFailing         = "LOGS_DELIVERY_FAILING"
	NoMatchingFilter            = "NO_MATCHING_FILTER"
	NoAlarm                     = "NO_ALARM"
	AlarmCannotFire             = "ALARM_CANNOT_FIRE"
	NoAlarmTopic                = "NO_ALARM_TOPIC"
	NoConfirmedSubscriber       = "NO_CONFIRMED_SUBSCRIBER"
)
