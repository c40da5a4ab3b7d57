package check

import (
	"fmt"
	"strings"

	"github.com/trailwatch/trailwatch/internal/shell"
)

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

// Reach is how a command reaches an account: the profile it was found with
// ("" for the default credentials) and the region. A hint's commands carry
// both, so they run as printed against the account they are about.
type Reach struct {
	Profile string
	Region  string
}

// Flags is " --region R --profile P", each only when known, shell-quoted.
func (w Reach) Flags() string {
	s := ""
	if w.Region != "" {
		s += " --region " + shell.Quote(w.Region)
	}
	if w.Profile != "" {
		s += " --profile " + shell.Quote(w.Profile)
	}
	return s
}

// in is w in another region (a trail's home region, where CloudTrail
// takes its calls).
func (w Reach) in(region string) Reach {
	if region != "" {
		w.Region = region
	}
	return w
}

// StartLoggingCommand starts a trail's logging; CloudTrail takes the call in
// the trail's home region.
func StartLoggingCommand(trail, homeRegion string, w Reach) string {
	return "aws cloudtrail start-logging --name " + shell.Quote(trail) + w.in(homeRegion).Flags()
}

// CreateTrailCommand creates a multi-region trail and starts it, with the
// arguments create-trail requires; NAME and BUCKET are the reader's to
// choose. A new trail does not log until start-logging, and CloudTrail
// writes only to a bucket whose policy lets it (the CloudTrail User Guide's
// "Amazon S3 bucket policy for CloudTrail").
func CreateTrailCommand(w Reach) string {
	return "aws cloudtrail create-trail --name NAME --s3-bucket-name BUCKET --is-multi-region-trail" + w.Flags() +
		", then aws cloudtrail start-logging --name NAME" + w.Flags() +
		" (BUCKET must already exist, with the bucket policy CloudTrail requires: see \"Amazon S3 bucket policy for CloudTrail\" in the CloudTrail User Guide)"
}

// withCommands makes the commands in a FAIL result's hint run as printed:
// the trail's real name and home region, and the profile and region the
// account was found with. An account reached through a role (--org) has no
// profile of its own, so its hint says whose credentials to use; a verdict
// decided in another account keeps resolve's hint, which points there.
func withCommands(r Result) string {
	if r.Status != Fail || r.Via != nil {
		return r.Remediation
	}
	w := Reach{Profile: r.Profile, Region: r.Region}
	suffix := ""
	if r.RoleARN != "" {
		w.Profile = ""
		suffix = fmt.Sprintf(" (with credentials for account %s, e.g. through role %s)", r.Account, r.RoleARN)
	}
	switch r.Reason {
	case TrailNotLogging:
		for _, ev := range r.Trails {
			if ev.Failed == TrailNotLogging && ev.Name != "" {
				return "start logging on the trail: " + StartLoggingCommand(ev.Name, ev.HomeRegion, w) + suffix
			}
		}
	case NoMultiRegionTrail:
		hint := "create a multi-region trail and start it: " + CreateTrailCommand(w)
		if len(r.Trails) == 1 && r.Trails[0].Name != "" && r.Trails[0].Account == r.Account {
			ev := r.Trails[0]
			hint += "; or make trail " + ev.Name + " multi-region: aws cloudtrail update-trail --name " + shell.Quote(ev.Name) + " --is-multi-region-trail" + w.in(ev.HomeRegion).Flags()
		}
		return hint + suffix
	}
	if r.RoleARN != "" {
		return r.Remediation
	}
	// trailwatch's own commands: the same profile and region reach the
	// same account; without a profile, the same environment does.
	if w.Profile == "" {
		return r.Remediation
	}
	return strings.ReplaceAll(r.Remediation, "(trailwatch fix", "(trailwatch fix"+w.Flags())
}
