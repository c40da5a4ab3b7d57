package check

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/require"
)

func TestChain(t *testing.T) {
	setPattern := func(p string) func(*world) {
		return func(w *world) { w.firstFilter().FilterPattern = aws.String(p) }
	}
	deny := func(action, code string) func(*world) {
		return func(w *world) { w.denied[action] = code }
	}
	for _, tc := range []struct {
		name    string
		break_  func(*world)
		strict  bool
		status  Status
		reason  Reason
		message []string // substrings the message must carry
	}{
		{name: "compliant", break_: func(*world) {}, status: Pass},
		{name: "reordered, quoted and spaced pattern", status: Pass,
			break_: setPattern("{($.eventName=\"StopLogging\")||($.eventName = StartLogging)||\n ($.eventName = DeleteTrail) || ($.eventName=UpdateTrail)||($.eventName= \"CreateTrail\")}")},
		{name: "broader pattern on the event source", status: Pass,
			break_: setPattern("{ $.eventSource = cloudtrail.amazonaws.com }")},
		{name: "&& that no single event satisfies", status: Fail, reason: NoMatchingFilter,
			break_: setPattern("{ ($.eventName = CreateTrail) && ($.eventName = UpdateTrail) }")},
		{name: "a missing event", status: Fail, reason: NoMatchingFilter, message: []string{"StopLogging"},
			break_: setPattern("{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) }")},
		{name: "--strict rejects a correct but broader pattern", strict: true, status: Fail, reason: NoMatchingFilter,
			break_: setPattern("{ $.eventSource = cloudtrail.amazonaws.com }")},
		{name: "--strict rejects the CIS pattern reordered: Security Hub compares the text", strict: true, status: Fail, reason: NoMatchingFilter,
			break_: setPattern("{ ($.eventName = StopLogging) || ($.eventName = StartLogging) || ($.eventName = DeleteTrail) || ($.eventName = UpdateTrail) || ($.eventName = CreateTrail) }")},
		{name: "--strict accepts the CIS text spaced otherwise", strict: true, status: Pass,
			break_: setPattern("{($.eventName=CreateTrail)||($.eventName=UpdateTrail)||($.eventName=DeleteTrail)||($.eventName=StartLogging)||($.eventName=StopLogging)}")},
		{name: "the CIS pattern reordered passes, saying Security Hub will reject it", status: Pass, message: []string{"Security Hub will reject filter cis"},
			break_: setPattern("{ ($.eventName = StopLogging) || ($.eventName = StartLogging) || ($.eventName = DeleteTrail) || ($.eventName = UpdateTrail) || ($.eventName = CreateTrail) }")},
		{name: "a noisy pattern passes, naming the noise", status: Pass, message: []string{"also counts", "DescribeTrails"},
			break_: setPattern("{ $.eventSource = cloudtrail.amazonaws.com }")},
		{name: "the empty pattern is too broad", status: Fail, reason: FilterTooBroad, message: []string{"background activity"},
			break_: setPattern("")},
		{name: "every event name is too broad", status: Fail, reason: FilterTooBroad, message: []string{"AssumeRole"},
			break_: setPattern("{ $.eventName = * }")},
		{name: "no trail at all", status: Fail, reason: NoMultiRegionTrail,
			break_: func(w *world) { w.trails = nil }},
		{name: "single-region trail", status: Fail, reason: NoMultiRegionTrail,
			break_: func(w *world) { w.trails[0].IsMultiRegionTrail = aws.Bool(false) }},
		{name: "trail not logging", status: Fail, reason: TrailNotLogging,
			break_: func(w *world) { w.status[trailARN].IsLogging = aws.Bool(false) }},
		{name: "data events only", status: Fail, reason: ManagementEventsNotCaptured,
			break_: func(w *world) {
				w.selectors[trailARN] = &cloudtrail.GetEventSelectorsOutput{EventSelectors: []cttypes.EventSelector{{
					IncludeManagementEvents: aws.Bool(false), ReadWriteType: cttypes.ReadWriteTypeAll,
					DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3"}}},
				}}}
			}},
		{name: "WriteOnly management events", status: Fail, reason: ManagementEventsNotCaptured, message: []string{"WriteOnly"},
			break_: func(w *world) {
				w.selectors[trailARN].EventSelectors[0].ReadWriteType = cttypes.ReadWriteTypeWriteOnly
			}},
		{name: "advanced selector for management events", status: Pass,
			break_: func(w *world) {
				w.selectors[trailARN] = &cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{
					Name: aws.String("mgmt"), FieldSelectors: []cttypes.AdvancedFieldSelector{{Field: aws.String("eventCategory"), Equals: []string{"Management"}}},
				}}}
			}},
		{name: "advanced selector with readOnly", status: Fail, reason: ManagementEventsNotCaptured, message: []string{"readOnly"},
			break_: func(w *world) {
				w.selectors[trailARN] = &cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{
					Name: aws.String("mgmt"), FieldSelectors: []cttypes.AdvancedFieldSelector{
						{Field: aws.String("eventCategory"), Equals: []string{"Management"}},
						{Field: aws.String("readOnly"), Equals: []string{"false"}},
					},
				}}}
			}},
		{name: "advanced selector excluding CloudTrail's own events", status: Fail, reason: ManagementEventsNotCaptured, message: []string{"cloudtrail.amazonaws.com"},
			break_: func(w *world) {
				w.selectors[trailARN] = &cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{
					Name: aws.String("mgmt"), FieldSelectors: []cttypes.AdvancedFieldSelector{
						{Field: aws.String("eventCategory"), Equals: []string{"Management"}},
						{Field: aws.String("eventSource"), NotEquals: []string{"cloudtrail.amazonaws.com"}},
					},
				}}}
			}},
		{name: "no CloudWatch Logs delivery", status: Fail, reason: NoCloudWatchLogs,
			break_: func(w *world) { w.trails[0].CloudWatchLogsLogGroupArn = nil }},
		{name: "delivery failing", status: Fail, reason: LogsDeliveryFailing, message: []string{"AccessDenied"},
			break_: func(w *world) {
				w.status[trailARN].LatestCloudWatchLogsDeliveryError = aws.String("AccessDeniedException: role cannot write")
			}},
		{name: "no metric filter", status: Fail, reason: NoMatchingFilter,
			break_: func(w *world) { w.filters[home+" "+group] = nil }},
		{name: "matching filter on another log group than the trail's", status: Fail, reason: NoMatchingFilter,
			break_: func(w *world) {
				w.filters[home+" /other/group"] = w.filters[home+" "+group]
				w.filters[home+" "+group] = nil
			}},
		{name: "no alarm", status: Fail, reason: NoAlarm,
			break_: func(w *world) { w.alarms = nil }},
		{name: "alarm on the right metric name in another namespace", status: Fail, reason: NoAlarm,
			break_: func(w *world) { w.firstAlarm().Namespace = aws.String("Other") }},
		{name: "alarm on the metric with a dimension the filter never emits", status: Fail, reason: NoAlarm,
			break_: func(w *world) {
				w.firstAlarm().Dimensions = []cwtypes.Dimension{{Name: aws.String("TrailName"), Value: aws.String("main")}}
			}},
		{name: "alarm actions disabled", status: Fail, reason: AlarmCannotFire, message: []string{"disabled"},
			break_: func(w *world) { w.firstAlarm().ActionsEnabled = aws.Bool(false) }},
		{name: "threshold one event cannot reach", status: Fail, reason: AlarmCannotFire, message: []string{">= 5"},
			break_: func(w *world) { w.firstAlarm().Threshold = aws.Float64(5) }},
		{name: "GreaterThan threshold equal to one event", status: Fail, reason: AlarmCannotFire,
			break_: func(w *world) {
				w.firstAlarm().ComparisonOperator = cwtypes.ComparisonOperatorGreaterThanThreshold
			}},
		{name: "GreaterThan 0 passes", status: Pass,
			break_: func(w *world) {
				w.firstAlarm().ComparisonOperator = cwtypes.ComparisonOperatorGreaterThanThreshold
				w.firstAlarm().Threshold = aws.Float64(0)
			}},
		{name: "alarm in another unit than the filter emits", status: Fail, reason: AlarmCannotFire, message: []string{"unit Seconds"},
			break_: func(w *world) { w.firstAlarm().Unit = cwtypes.StandardUnitSeconds }},
		{name: "alarm unit Count matches a Count filter", status: Pass,
			break_: func(w *world) {
				w.firstAlarm().Unit = cwtypes.StandardUnitCount
				w.firstFilter().MetricTransformations[0].Unit = logstypes.StandardUnitCount
			}},
		{name: "LessThan alarm cannot fire on a change", status: Fail, reason: AlarmCannotFire,
			break_: func(w *world) {
				w.firstAlarm().ComparisonOperator = cwtypes.ComparisonOperatorLessThanThreshold
			}},
		{name: "metric value from a field is not a constant", status: Fail, reason: AlarmCannotFire, message: []string{"not a constant"},
			break_: func(w *world) { w.firstFilter().MetricTransformations[0].MetricValue = aws.String("$.count") }},
		{name: "metric value zero", status: Fail, reason: AlarmCannotFire, message: []string{"not positive"},
			break_: func(w *world) { w.firstFilter().MetricTransformations[0].MetricValue = aws.String("0") }},
		{name: "metric value 5 reaches threshold 5", status: Pass,
			break_: func(w *world) {
				w.firstFilter().MetricTransformations[0].MetricValue = aws.String("5")
				w.firstAlarm().Threshold = aws.Float64(5)
			}},
		{name: "SampleCount counts one event as 1", status: Fail, reason: AlarmCannotFire,
			break_: func(w *world) {
				w.firstFilter().MetricTransformations[0].MetricValue = aws.String("5")
				w.firstAlarm().Statistic = cwtypes.StatisticSampleCount
				w.firstAlarm().Threshold = aws.Float64(5)
			}},
		{name: "2 of 3 datapoints cannot fire on one change", status: Fail, reason: AlarmCannotFire, message: []string{"2 breaching"},
			break_: func(w *world) {
				w.firstAlarm().EvaluationPeriods = aws.Int32(3)
				w.firstAlarm().DatapointsToAlarm = aws.Int32(2)
			}},
		{name: "2 of 3 datapoints with missing data breaching", status: Fail, reason: AlarmCannotFire, message: []string{"TreatMissingData is breaching"},
			break_: func(w *world) {
				w.firstAlarm().EvaluationPeriods = aws.Int32(3)
				w.firstAlarm().DatapointsToAlarm = aws.Int32(2)
				w.firstAlarm().TreatMissingData = aws.String("breaching")
			}},
		{name: "simple metric-math alarm on the metric", status: Pass,
			break_: func(w *world) {
				a := w.firstAlarm()
				a.Metrics = []cwtypes.MetricDataQuery{{Id: aws.String("m1"), ReturnData: aws.Bool(true), MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{MetricName: aws.String(metric), Namespace: aws.String(ns)}, Period: aws.Int32(300), Stat: aws.String("Sum"),
				}}}
				a.MetricName, a.Namespace, a.Statistic = nil, nil, ""
			}},
		{name: "metric-math expression cannot be verified", status: Fail, reason: NoAlarm,
			break_: func(w *world) {
				a := w.firstAlarm()
				a.Metrics = []cwtypes.MetricDataQuery{
					{Id: aws.String("m1"), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{
						Metric: &cwtypes.Metric{MetricName: aws.String(metric), Namespace: aws.String(ns)}, Period: aws.Int32(300), Stat: aws.String("Sum"),
					}},
					{Id: aws.String("e1"), Expression: aws.String("m1 * 2"), ReturnData: aws.Bool(true)},
				}
				a.MetricName, a.Namespace, a.Statistic = nil, nil, ""
			}},
		{name: "Lambda-only alarm action", status: Fail, reason: NoAlarmTopic,
			break_: func(w *world) {
				w.firstAlarm().AlarmActions = []string{"arn:aws:lambda:us-east-1:" + acct + ":function:notify"}
			}},
		{name: "no alarm action at all", status: Fail, reason: NoAlarmTopic,
			break_: func(w *world) { w.firstAlarm().AlarmActions = nil }},
		{name: "pending-only subscription", status: Fail, reason: NoConfirmedSubscriber, message: []string{"1 pending"},
			break_: func(w *world) {
				w.subs[topicARN] = []snstypes.Subscription{{SubscriptionArn: aws.String("PendingConfirmation"), Protocol: aws.String("email")}}
			}},
		{name: "topic without subscriptions", status: Fail, reason: NoConfirmedSubscriber,
			break_: func(w *world) { delete(w.subs, topicARN) }},
		{name: "confirmed subscriber on the 3rd page", status: Pass,
			break_: func(w *world) {
				var subs []snstypes.Subscription
				for range 2 * pageSize {
					subs = append(subs, snstypes.Subscription{SubscriptionArn: aws.String("PendingConfirmation")})
				}
				w.subs[topicARN] = append(subs, w.subs[topicARN]...)
			}},
		{name: "matching filter on the 3rd page of filters", status: Pass,
			break_: func(w *world) {
				var fs []logstypes.MetricFilter
				for i := range 2 * pageSize {
					fs = append(fs, filter("noise-"+string(rune('a'+i%26)), "{ $.eventName = ConsoleLogin }"))
				}
				w.filters[home+" "+group] = append(fs, w.filters[home+" "+group]...)
			}},
		{name: "two trails, one complete", status: Pass,
			break_: func(w *world) {
				broken := "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/broken"
				w.trails = append([]cttypes.Trail{{Name: aws.String("broken"), TrailARN: aws.String(broken), HomeRegion: aws.String(home), IsMultiRegionTrail: aws.Bool(true)}}, w.trails...)
				w.status[broken] = &cloudtrail.GetTrailStatusOutput{IsLogging: aws.Bool(false)}
			}},
		{name: "furthest trail decides the reason", status: Fail, reason: NoAlarm,
			break_: func(w *world) {
				w.alarms = nil
				single := "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/single"
				w.trails = append(w.trails, cttypes.Trail{Name: aws.String("single"), TrailARN: aws.String(single), HomeRegion: aws.String(home), IsMultiRegionTrail: aws.Bool(false)})
			}},
		{name: "organization trail seen from a member account", status: Manual, message: []string{other},
			break_: func(w *world) {
				orgARN := "arn:aws:cloudtrail:us-east-1:" + other + ":trail/org"
				w.trails = []cttypes.Trail{{Name: aws.String("org"), TrailARN: aws.String(orgARN), HomeRegion: aws.String(home),
					IsMultiRegionTrail: aws.Bool(true), IsOrganizationTrail: aws.Bool(true),
					CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:" + other + ":log-group:org:*")}}
			}},
		{name: "log group in another account", status: Manual, message: []string{other},
			break_: func(w *world) {
				w.trails[0].CloudWatchLogsLogGroupArn = aws.String("arn:aws:logs:us-east-1:" + other + ":log-group:central:*")
			}},
		{name: "topic in another account", status: Manual, message: []string{other},
			break_: func(w *world) {
				w.firstAlarm().AlarmActions = []string{"arn:aws:sns:us-east-1:" + other + ":central"}
			}},
		{name: "indeterminate filter: unsettled construct", status: Manual, message: []string{"indeterminate", "foo"},
			break_: setPattern("{ $.eventSource = cloudtrail.amazonaws.com && $.foo is null }")},
		{name: "indeterminate filter without an alarm is a definite FAIL", status: Fail, reason: NoAlarm, message: []string{"indeterminate"},
			break_: func(w *world) {
				w.firstFilter().FilterPattern = aws.String("{ $.eventSource = cloudtrail.amazonaws.com && $.foo is null }")
				w.alarms = nil
			}},
		{name: "indeterminate filter: applyOnTransformedLogs", status: Manual, message: []string{"applyOnTransformedLogs"},
			break_: func(w *world) { w.firstFilter().ApplyOnTransformedLogs = true }},
		{name: "indeterminate filter: fieldSelectionCriteria", status: Manual, message: []string{"fieldSelectionCriteria"},
			break_: func(w *world) {
				w.firstFilter().FieldSelectionCriteria = aws.String(`$.eventSource IN ["s3.amazonaws.com"]`)
			}},
		{name: "indeterminate filter beside a complete one", status: Pass,
			break_: func(w *world) {
				odd := filter("odd", cis)
				odd.ApplyOnTransformedLogs = true
				w.filters[home+" "+group] = append([]logstypes.MetricFilter{odd}, w.filters[home+" "+group]...)
			}},
		{name: "AccessDenied on DescribeTrails", status: Error, message: []string{"missing permission cloudtrail:DescribeTrails"},
			break_: deny("cloudtrail:DescribeTrails", "AccessDeniedException")},
		{name: "AccessDenied on GetTrailStatus", status: Error, message: []string{"missing permission cloudtrail:GetTrailStatus"},
			break_: deny("cloudtrail:GetTrailStatus", "AccessDeniedException")},
		{name: "AccessDenied on GetEventSelectors", status: Error, message: []string{"missing permission cloudtrail:GetEventSelectors"},
			break_: deny("cloudtrail:GetEventSelectors", "AccessDeniedException")},
		{name: "AccessDenied on DescribeMetricFilters", status: Error,
			message: []string{"AccessDeniedException on logs:DescribeMetricFilters — missing permission logs:DescribeMetricFilters"},
			break_:  deny("logs:DescribeMetricFilters", "AccessDeniedException")},
		{name: "AccessDenied on DescribeAlarmsForMetric", status: Error, message: []string{"missing permission cloudwatch:DescribeAlarmsForMetric"},
			break_: deny("cloudwatch:DescribeAlarmsForMetric", "AccessDenied")},
		{name: "AuthorizationError on ListSubscriptionsByTopic", status: Error, message: []string{"missing permission sns:ListSubscriptionsByTopic"},
			break_: deny("sns:ListSubscriptionsByTopic", "AuthorizationError")},
		{name: "expired credentials", status: Error, message: []string{"ExpiredToken", "sts:GetCallerIdentity"},
			break_: deny("sts:GetCallerIdentity", "ExpiredToken")},
		{name: "AccessDenied on a later link is ERROR even when an earlier trail fails", status: Error,
			break_: func(w *world) {
				single := "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/single"
				w.trails = append(w.trails, cttypes.Trail{Name: aws.String("single"), TrailARN: aws.String(single), HomeRegion: aws.String(home), IsMultiRegionTrail: aws.Bool(false)})
				w.denied["logs:DescribeMetricFilters"] = "AccessDeniedException"
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := compliant()
			tc.break_(w)
			r, _ := w.run(t, Options{Strict: tc.strict})
			require.Equal(t, tc.status, r.Status, "message: %s", r.Message)
			require.Equal(t, tc.reason, r.Reason, "message: %s", r.Message)
			require.True(t, contains(r.Message, tc.message...), "message %q lacks %q", r.Message, tc.message)
			require.NotEmpty(t, r.Remediation)
			require.Equal(t, []string{"p"}, r.Profiles)
			if tc.status == Manual && tc.message[0] == other {
				require.Equal(t, other, r.OtherAccount)
			}
		})
	}
}

// Every FAIL reason has a case above and a remediation hint.
func TestEveryReasonHasRemediation(t *testing.T) {
	for _, r := range Reasons {
		require.NotEmpty(t, remediation[r], r)
	}
	require.Len(t, remediation, len(Reasons))
}

// A trail homed in another region is read there, and its log group, alarm
// and topic in the log group's region, never in the discovery region.
func TestTrailEvaluatedInItsHomeRegion(t *testing.T) {
	w := compliant()
	arn := "arn:aws:cloudtrail:eu-west-1:" + acct + ":trail/main"
	w.trails[0].TrailARN, w.trails[0].HomeRegion = aws.String(arn), aws.String("eu-west-1")
	w.trails[0].CloudWatchLogsLogGroupArn = aws.String("arn:aws:logs:eu-west-1:" + acct + ":log-group:" + group + ":*")
	w.status[arn], w.selectors[arn] = w.status[trailARN], w.selectors[trailARN]
	w.filters["eu-west-1 "+group] = w.filters[home+" "+group]
	euTopic := "arn:aws:sns:eu-west-1:" + acct + ":alerts"
	w.alarms["eu-west-1"] = []cwtypes.MetricAlarm{alarm("cis-alarm", euTopic)}
	w.subs[euTopic] = w.subs[topicARN]
	delete(w.alarms, home)

	r, f := w.run(t, Options{})
	require.Equal(t, Pass, r.Status, r.Message)
	require.Equal(t, []string{home, "eu-west-1"}, f.regions["cloudtrail"], "discovery in --region, status and selectors at home")
	require.Equal(t, []string{"eu-west-1"}, f.regions["logs"])
	require.Equal(t, []string{"eu-west-1"}, f.regions["cloudwatch"])
	require.Equal(t, []string{"eu-west-1"}, f.regions["sns"])
}

// A multi-region trail appears once per region in DescribeTrails (shadow
// trails): it is checked once.
func TestShadowTrailsDeduplicated(t *testing.T) {
	w := compliant()
	w.trails = append(w.trails, w.trails[0], w.trails[0])
	r, f := w.run(t, Options{})
	require.Equal(t, Pass, r.Status, r.Message)
	require.Len(t, r.Trails, 1)
	require.Equal(t, 1, f.apiCalls()["GetTrailStatus"])
}
