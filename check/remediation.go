package check

// remediation is the one-line hint for each FAIL reason.
var remediation = map[Reason]string{
	NoMultiRegionTrail:          "create a multi-region trail (aws cloudtrail create-trail --is-multi-region-trail) or make an existing one multi-region",
	TrailNotLogging:             "start logging on the trail (aws cloudtrail start-logging --name TRAIL)",
	ManagementEventsNotCaptured: "record all management events, read and write (classic selector ReadWriteType All with IncludeManagementEvents, or an advanced selector eventCategory = Management without readOnly)",
	NoCloudWatchLogs:            "deliver the trail to a CloudWatch Logs log group (trailwatch fix --wire-logs)",
	LogsDeliveryFailing:         "fix the trail's CloudWatch Logs role or log group so delivery succeeds (check CloudWatchLogsRoleArn's trust and permissions)",
	NoMatchingFilter:            "add a metric filter with the CIS pattern on the trail's log group (trailwatch fix)",
	NoAlarm:                     "create an alarm on the filter's metric, namespace and dimensions (trailwatch fix)",
	AlarmCannotFire:             "make the alarm fire on one change: actions enabled, metric value 1, Sum >= 1 over 1 datapoint (trailwatch fix)",
	NoAlarmTopic:                "add an SNS topic to the alarm's ALARM actions (trailwatch fix --notify PROTOCOL:ENDPOINT)",
	NoConfirmedSubscriber:       "subscribe someone to the alarm's topic and confirm the subscription (trailwatch fix --notify PROTOCOL:ENDPOINT)",
}

const (
	remediationAssumeRole = "let the seat assume the role: deploy docs/iam/member-roles.template.json as a StackSet, or make the role trust the seat account (and pass --external-id if its trust policy requires one)"
	remediationManual     = "confirm by hand that the filter catches all five events (see message), or add a filter with the CIS pattern (trailwatch fix)"
)
