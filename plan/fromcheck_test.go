package plan

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
)

func evidence(failed check.Reason, filters ...check.FilterEvidence) check.TrailEvidence {
	return check.TrailEvidence{ARN: testTrail, Name: "main", HomeRegion: testRegion, Account: testAccount, MultiRegion: true,
		LogGroupARN: "arn:aws:logs:us-east-1:111111111111:log-group:" + testGroup, LogGroupName: testGroup,
		LogGroupRegion: testRegion, LogGroupAccount: testAccount, Failed: failed, Filters: filters}
}

func covering(metrics ...check.MetricEvidence) check.FilterEvidence {
	return check.FilterEvidence{Name: "user-filter", Coverage: "match", Metrics: metrics}
}

func TestFromCheckPicksTheTrailThatFailedAtTheReason(t *testing.T) {
	single := evidence(check.NoMultiRegionTrail)
	single.ARN, single.MultiRegion = "arn:aws:cloudtrail:us-east-1:111111111111:trail/regional", false
	r := check.Result{Account: testAccount, Status: check.Fail, Reason: check.NoMatchingFilter,
		Trails: []check.TrailEvidence{single, evidence(check.NoMatchingFilter)}}
	f := FromCheck(r, false)
	require.Equal(t, testTrail, f.Trail.ARN)
	require.Nil(t, f.Trail.Filter)
}

func TestFromCheckReuse(t *testing.T) {
	metric := check.MetricEvidence{Name: "TrailChanges", Namespace: "Security", Value: "1"}
	withDims := metric
	withDims.Dimensions = map[string]string{"Trail": "$.requestParameters.name"}
	silent := check.AlarmEvidence{Name: "quiet", CanFire: true}
	unconfirmed := check.AlarmEvidence{Name: "pager", CanFire: true, Topics: []check.TopicEvidence{{ARN: userTopic, Account: testAccount}}}

	cases := map[string]struct {
		reason     check.Reason
		filter     check.FilterEvidence
		strict     bool
		wantFilter bool
		wantAlarm  string
		wantTopic  string
	}{
		"covering filter's metric reused for a new alarm": {check.NoAlarm, covering(metric), false, true, "", ""},
		"metric with dimensions is not reused":            {check.NoAlarm, covering(withDims), false, false, "", ""},
		"metric value from the event is not reused": {check.NoAlarm,
			covering(check.MetricEvidence{Name: "X", Namespace: "Y", Value: "$.count"}), false, false, "", ""},
		"non-strict filter under --strict is not reused": {check.NoAlarm, covering(metric), true, false, "", ""},
		"alarm lacking its topic is updated": {check.NoAlarmTopic,
			covering(check.MetricEvidence{Name: "TrailChanges", Namespace: "Security", Value: "1", Alarms: []check.AlarmEvidence{silent}}), false, true, "quiet", ""},
		"unconfirmed topic gets the subscriptions": {check.NoConfirmedSubscriber,
			covering(check.MetricEvidence{Name: "TrailChanges", Namespace: "Security", Value: "1", Alarms: []check.AlarmEvidence{unconfirmed}}), false, true, "pager", userTopic},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := check.Result{Account: testAccount, Status: check.Fail, Reason: tc.reason, Trails: []check.TrailEvidence{evidence(tc.reason, tc.filter)}}
			tr := FromCheck(r, tc.strict).Trail
			require.Equal(t, tc.wantFilter, tr.Filter != nil)
			if tc.wantAlarm == "" {
				require.Nil(t, tr.Alarm)
			} else {
				require.Equal(t, tc.wantAlarm, tr.Alarm.Name)
			}
			require.Equal(t, tc.wantTopic, tr.TopicARN)
		})
	}
}
