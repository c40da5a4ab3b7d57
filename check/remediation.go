package check

// remediation is the one-line hint for each FAIL reason.
var remediation = map[Reason]string{
	NoMultiRegionTrail:          "create a multi-region trail (aws cloudtrail create-trail --is-multi-region-trail) or make an existing one multi-region",
	TrailNotLogging:             "start logging on the trail (aws cloudtrail start-logging --name TRAIL)",
	ManagementEventsNotCaptured: "record all management events, read and write (classic selector ReadWriteType All with IncludeManagementEvents, or an advanced selector eventCategory = Management without readOnly)",
	NoCloudWatchLogs:            "deliver the trail to a CloudWatch Logs log group (trailwatch fix --wire-logs)",
	LogsDeliveryFailing:         "fix the trail's CloudWatch Logs role or log group so delivery succeeds (check CloudWatchLogsRoleArn's trust and permissions)",
	LogGroupNotFound:            "recreate the log group the trail names, under the same name (trailwatch fix), or point the trail at another group",
	NoMatchingFilter:            "add a metric filter with the CIS pattern on the trail's log group (trailwatch fix)",
	FilterTooBroad:              "narrow the filter to the control's events: it counts calls every account makes all the time, so its alarm never rests (trailwatch fix adds a filter with the recommended pattern beside it)",
	NoAlarm:                     "create an alarm on the filter's metric, namespace and dimensions (trailwatch fix)",
	AlarmCannotFire:             "make the alarm fire on each change: actions enabled, metric value 1, Sum >= 1 over 1 datapoint, no Unit or the filter's, TreatMissingData notBreaching (trailwatch fix adds an alarm beside it)",
	NoAlarmTopic:                "add an SNS topic to the alarm's ALARM actions (trailwatch fix --notify PROTOCOL:ENDPOINT)",
	TopicCannotReceive:          "let CloudWatch publish to the topic: a statement allowing cloudwatch.amazonaws.com SNS:Publish in its access policy, and a customer managed KMS key whose policy allows it kms:Decrypt and kms:GenerateDataKey* instead of alias/aws/sns (trailwatch fix adds the statement, or an alarm with a new topic beside yours: --notify, optionally --kms-key-id)",
	NoConfirmedSubscriber:       "subscribe someone to the alarm's topic and confirm the subscription (trailwatch fix --notify PROTOCOL:ENDPOINT)",
}

const (
	remediationManual = "confirm by hand that the filter catches all five events (see message), or add a filter with the CIS pattern (trailwatch fix)"
)
