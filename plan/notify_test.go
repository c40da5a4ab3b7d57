package plan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
)

// noNotify is Options without any --notify (build otherwise adds one).
var noNotify = Options{Notify: []Endpoint{}}

func confirmed(w *world, topic string) {
	w.subs[topic] = []snstypes.Subscription{{SubscriptionArn: aws.String(topic + ":1"), Protocol: aws.String("email"), Endpoint: aws.String("soc@example.com")}}
}

// Only the filter is missing: an alarm, its topic and a subscriber work on
// a metric; exactly one change, the filter on that metric in the unit the
// alarm sees, and no --notify asked for.
func TestPlanOnlyTheFilter(t *testing.T) {
	w := newWorld()
	f := finding(check.NoMatchingFilter)
	f.Trail.ReadyMetric = &ReadyMetric{Namespace: "Security", MetricName: "TrailChanges", Unit: "Count", Alarm: "trail-changes"}
	a := build(t, w, f, noNotify)
	require.Empty(t, a.Blocked)
	require.False(t, a.NeedsNotify)
	require.Equal(t, "create:logs:PutMetricFilter:filter", changeIDs(a))
	tr := request(t, a.Changes[0])["metricTransformations"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{"metricName": "TrailChanges", "metricNamespace": "Security", "metricValue": "1", "unit": "Count"}, tr)
	require.Equal(t, CISPattern, request(t, a.Changes[0])["filterPattern"])
}

// The alarm cannot fire but its topic works: a trailwatch alarm beside it
// notifies that topic; no new topic, no --notify.
func TestPlanAlarmBesideReusesWorkingTopic(t *testing.T) {
	w := newWorld()
	w.addTopic(userTopic, false)
	confirmed(w, userTopic)
	f := finding(check.AlarmCannotFire)
	f.Trail.ReadyTopic = userTopic
	a := build(t, w, f, noNotify)
	require.Empty(t, a.Blocked)
	require.Equal(t, "create:cloudwatch:PutMetricAlarm:alarm", changeIDs(a))
	req := request(t, a.Changes[0])
	require.Equal(t, []any{userTopic}, req["AlarmActions"])
	require.Equal(t, "TrailChanges", req["MetricName"])
	require.Equal(t, "notBreaching", req["TreatMissingData"])
	require.NotContains(t, req, "Unit")

	// With --notify the topic, which already has a subscriber, is left alone.
	a = build(t, w, f, Options{})
	require.Equal(t, "create:cloudwatch:PutMetricAlarm:alarm", changeIDs(a))
}

// Our own alarm with a wrong unit or missing-data setting is corrected in
// place; a user's never is (it gets an alarm beside it, above).
func TestPlanCorrectsOwnAlarm(t *testing.T) {
	w := newWorld()
	w.addTopic(userTopic, false)
	confirmed(w, userTopic)
	own := userAlarm(userTopic)
	own.AlarmName = aws.String("trailwatch-cloudtrail-changes")
	own.TreatMissingData = aws.String("breaching")
	w.addAlarm(own, true)
	f := finding(check.AlarmCannotFire)
	f.Trail.Alarm = &Alarm{Name: "trailwatch-cloudtrail-changes"}
	f.Trail.ReadyTopic = userTopic
	a := build(t, w, f, noNotify)
	require.Equal(t, "update:cloudwatch:PutMetricAlarm:alarm", changeIDs(a))
	req := request(t, a.Changes[0])
	require.Equal(t, "notBreaching", req["TreatMissingData"])
	require.NotContains(t, req, "Unit")
	require.Equal(t, "breaching", a.Changes[0].Before["TreatMissingData"])
}

const userPolicy = `{"Version":"2012-10-17","Id":"team",
  "Statement": [ {"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"SNS:Subscribe","Resource":"*"},
    {"Sid" : "Pager", "Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/pager"},"Action":"sns:Publish","Resource":"*"} ]
}`

// topicCannotReceive is a user's topic with a confirmed subscriber and the
// given access policy, and the finding that it cannot receive the working
// alarm's notifications.
func topicCannotReceive(policy string) (*world, Finding) {
	w := newWorld()
	w.addTopic(userTopic, false)
	w.topics[userTopic]["Policy"] = policy
	confirmed(w, userTopic)
	f := finding(check.TopicCannotReceive)
	f.Trail.Filter = &Filter{Namespace: "Security", MetricName: "TrailChanges", Reusable: true}
	f.Trail.Alarm = &Alarm{Name: "trail-changes", ARN: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:trail-changes", CanFire: true}
	f.Trail.PolicyTopic = userTopic
	return w, f
}

// A topic whose access policy lacks CloudWatch gets exactly its statement
// added; every other byte of the policy is kept.
func TestPlanAddsCloudWatchStatement(t *testing.T) {
	w, f := topicCannotReceive(userPolicy)
	a := build(t, w, f, Options{})
	require.Empty(t, a.Blocked)
	require.Equal(t, "update:sns:SetTopicAttributes:topic-policy", changeIDs(a), "a subscriber is there: --notify is not used")
	req := request(t, a.Changes[0])
	require.Equal(t, "Policy", req["AttributeName"])
	merged := req["AttributeValue"].(string)
	stmt := cloudWatchStatement(userTopic, "aws", testRegion, testAccount)
	i := strings.LastIndex(userPolicy, "]")
	require.Equal(t, userPolicy[:i]+","+stmt+userPolicy[i:], merged, "only the statement is inserted")
	ok, why := check.TopicPolicyAdmits(merged, userTopic, f.Trail.Alarm.ARN, testAccount)
	require.True(t, *ok, why)
	require.Equal(t, userPolicy, a.Changes[0].Before["AttributeValue"], "the diff shows the policy as read")
	require.Equal(t, merged, a.Changes[0].After["AttributeValue"])

	// Without a confirmed subscriber, --notify is subscribed too.
	w.subs = map[string][]snstypes.Subscription{}
	a = build(t, w, f, Options{})
	require.Equal(t, "update:sns:SetTopicAttributes:topic-policy create:sns:Subscribe:subscribe-1", changeIDs(a))
}

// A topic whose policy already has trailwatch's statement, yet does not let
// CloudWatch publish, is left to a person: a second statement of that Sid
// is not added beside it.
func TestPlanKeepsAnEditedCloudWatchStatement(t *testing.T) {
	for _, statement := range []string{
		`[{"Sid":"` + CloudWatchStatementSid + `","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"SNS:Publish","Resource":"` + userTopic + `"}]`,
		`{"Sid":"` + CloudWatchStatementSid + `","Effect":"Deny","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"SNS:Publish","Resource":"` + userTopic + `"}`,
	} {
		w, f := topicCannotReceive(`{"Version":"2012-10-17","Statement":` + statement + `}`)
		a := build(t, w, f, Options{})
		require.Contains(t, a.Blocked, "already has a statement "+CloudWatchStatementSid, statement)
		require.Empty(t, a.Changes, statement)
	}
}

func TestHasStatement(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"Statement":[{"Sid":"A"},{"Sid":"B"}]}`: true,
		`{"Statement":{"Sid":"B"}}`:               true,
		`{"Statement":[{"Sid":"A"}]}`:             false,
		`{"Statement":[{"Sid":"b"}]}`:             false,
		`{"Statement":"B"}`:                       false,
		`not json`:                                false,
	} {
		require.Equal(t, want, hasStatement(doc, "B"), doc)
	}
}

func TestAddStatement(t *testing.T) {
	const s = `{"Sid":"New"}`
	for _, tc := range []struct{ name, doc, want, err string }{
		{"list", `{"Statement":[{"Sid":"A"}]}`, `{"Statement":[{"Sid":"A"},{"Sid":"New"}]}`, ""},
		{"list with spacing", "{ \"Statement\" : [\n {\"Sid\":\"A\"} \n] }", "{ \"Statement\" : [\n {\"Sid\":\"A\"} \n," + s + "] }", ""},
		{"empty list", `{"Version":"2012-10-17","Statement":[ ]}`, `{"Version":"2012-10-17","Statement":[ ` + s + `]}`, ""},
		{"single statement", `{"Statement":{"Sid":"A"},"Id":"x"}`, `{"Statement":[{"Sid":"A"},` + s + `],"Id":"x"}`, ""},
		{"brackets inside strings", `{"Statement":[{"Sid":"]["}]}`, `{"Statement":[{"Sid":"]["},` + s + `]}`, ""},
		{"no statement", `{"Version":"2012-10-17"}`, "", "no Statement"},
		{"two statements", `{"Statement":[],"Statement":[]}`, "", "two Statement"},
		{"not an object", `[]`, "", "not a JSON object"},
		{"truncated", `{"Statement":[{"Sid":"A"}`, "", "not valid JSON"},
		{"data after the document", `{"Statement":{}}0`, "", "data after the document"},
		{"statement is a string", `{"Statement":"x"}`, "", "neither a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := addStatement(tc.doc, s)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.True(t, json.Valid([]byte(got)))
		})
	}
}

// A topic that cannot receive because of its key gains a new topic on the
// alarm; an alarm with no room for another action gets one beside it.
func TestPlanAroundUnusableTopicsAndFullAlarms(t *testing.T) {
	t.Run("topic encrypted with the AWS managed key", func(t *testing.T) {
		w := newWorld()
		w.addAlarm(userAlarm(userTopic), false)
		f := finding(check.TopicCannotReceive)
		f.Trail.Alarm, f.Trail.PolicyTopic = nil, "" // as FromCheck leaves a key problem
		a := build(t, w, f, Options{})
		require.Equal(t, "create:sns:CreateTopic:topic create:sns:Subscribe:subscribe-1 create:cloudwatch:PutMetricAlarm:alarm", changeIDs(a))
		require.Equal(t, "trailwatch-cloudtrail-changes", change(t, a, "alarm").Target, "beside the user's alarm, which is not rewritten")
		require.Equal(t, []any{"arn:aws:sns:us-east-1:111111111111:trailwatch-cloudtrail-changes"}, request(t, change(t, a, "alarm"))["AlarmActions"])
	})
	t.Run("our own alarm whose topic was deleted gets a new one", func(t *testing.T) {
		w := newWorld()
		own := userAlarm("arn:aws:sns:us-east-1:111111111111:gone")
		own.AlarmName = aws.String("trailwatch-cloudtrail-changes")
		w.addAlarm(own, true)
		f := finding(check.NoAlarmTopic)
		f.Trail.Alarm = nil // its only topic is gone: not an alarm to add a topic to
		a := build(t, w, f, Options{})
		require.Equal(t, "create:sns:CreateTopic:topic create:sns:Subscribe:subscribe-1 update:cloudwatch:PutMetricAlarm:alarm", changeIDs(a))
		require.Equal(t, []any{"arn:aws:sns:us-east-1:111111111111:trailwatch-cloudtrail-changes"}, request(t, change(t, a, "alarm"))["AlarmActions"])
	})
	t.Run("five alarm actions", func(t *testing.T) {
		w := newWorld()
		al := userAlarm("arn:aws:lambda:us-east-1:111111111111:function:a1", "arn:aws:lambda:us-east-1:111111111111:function:a2",
			"arn:aws:lambda:us-east-1:111111111111:function:a3", "arn:aws:lambda:us-east-1:111111111111:function:a4", "arn:aws:lambda:us-east-1:111111111111:function:a5")
		w.addAlarm(al, false)
		a := build(t, w, finding(check.NoAlarmTopic), Options{})
		require.Empty(t, a.Blocked)
		require.Equal(t, "create:sns:CreateTopic:topic create:sns:Subscribe:subscribe-1 create:cloudwatch:PutMetricAlarm:alarm", changeIDs(a))
		require.Equal(t, "trailwatch-cloudtrail-changes", change(t, a, "alarm").Target, "beside the user's, not over it")
		require.Equal(t, "TrailChanges", request(t, change(t, a, "alarm"))["MetricName"])
	})
}

// A trail that names a deleted log group gets it back under that name,
// before the filter that goes on it.
func TestPlanRecreatesDeletedLogGroup(t *testing.T) {
	w := newWorld()
	a := build(t, w, finding(check.LogGroupNotFound), Options{})
	require.Empty(t, a.Blocked)
	require.Equal(t, "create:logs:CreateLogGroup:log-group create:sns:CreateTopic:topic create:sns:Subscribe:subscribe-1 create:logs:PutMetricFilter:filter create:cloudwatch:PutMetricAlarm:alarm", changeIDs(a))
	require.Equal(t, testGroup, request(t, change(t, a, "log-group"))["logGroupName"])
	require.Equal(t, []string{"log-group"}, change(t, a, "filter").DependsOn)
	require.Contains(t, a.Fingerprints, Fingerprint{Kind: kindLogGroup, Region: testRegion, Key: testGroup, Hash: Absent})

	w.addGroup(testGroup, false)
	a = build(t, w, finding(check.LogGroupNotFound), Options{})
	require.Empty(t, a.Changes)
	require.Contains(t, a.Blocked, "exists again")
}

// --kms-key-id encrypts the new topic, once its policy is seen to let
// CloudWatch use it; the AWS managed key is refused before anything is read.
func TestPlanKMSKey(t *testing.T) {
	const id = "1234abcd-12ab-34cd-56ef-1234567890ab"
	arn := "arn:aws:kms:us-east-1:111111111111:key/" + id
	withKey := func(policy string) *world {
		w := newWorld()
		meta := &kmstypes.KeyMetadata{KeyId: aws.String(id), Arn: aws.String(arn), KeyManager: kmstypes.KeyManagerTypeCustomer, KeyState: kmstypes.KeyStateEnabled}
		w.keys[id], w.keys[arn] = meta, meta
		w.keyPolicy[arn] = policy
		return w
	}
	good := `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}]}`
	a := build(t, withKey(good), finding(check.NoAlarm), Options{KMSKeyID: id})
	require.Empty(t, a.Blocked)
	require.Equal(t, map[string]any{"KmsMasterKeyId": id}, request(t, change(t, a, "topic"))["Attributes"])
	require.Equal(t, map[string]any{"KmsMasterKeyId": id}, change(t, a, "topic").After["Attributes"])

	a = build(t, withKey(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}]}`), finding(check.NoAlarm), Options{KMSKeyID: id})
	require.Empty(t, a.Changes)
	require.Contains(t, a.Blocked, "--kms-key-id "+id+" cannot encrypt a topic CloudWatch alarms notify")

	a = build(t, newWorld(), finding(check.NoAlarm), Options{KMSKeyID: "alias/missing"})
	require.Contains(t, a.Blocked, "does not exist")

	for _, bad := range []string{"alias/aws/sns", "arn:aws:kms:us-east-1:111111111111:alias/aws/sns", "not a key", "arn:aws:sns:us-east-1:111111111111:t"} {
		_, err := Options{KMSKeyID: bad}.WithDefaults()
		require.ErrorIs(t, err, ErrInvalidInput, bad)
	}
}

// check's evidence becomes the links plan reuses.
func TestFromCheckNotificationPath(t *testing.T) {
	yes, no := true, false
	topic := func(arn string, confirmedSubs int, canReceive *bool, fixable, missing bool) check.TopicEvidence {
		return check.TopicEvidence{ARN: arn, Account: testAccount, Confirmed: confirmedSubs, CanReceive: canReceive, PolicyFixable: fixable, Missing: missing}
	}
	result := func(reason check.Reason, coverage string, alarms ...check.AlarmEvidence) check.Result {
		return check.Result{Account: testAccount, Status: check.Fail, Reason: reason, Trails: []check.TrailEvidence{{
			ARN: testTrail, Name: "main", Account: testAccount, MultiRegion: true, Failed: reason,
			LogGroupARN: "arn:aws:logs:us-east-1:111111111111:log-group:" + testGroup, LogGroupName: testGroup, LogGroupRegion: testRegion, LogGroupAccount: testAccount,
			Filters: []check.FilterEvidence{{Name: "f", Coverage: coverage, Metrics: []check.MetricEvidence{{Name: "TrailChanges", Namespace: "Security", Value: "1", Unit: "Count", Alarms: alarms}}}},
		}}}
	}
	working := check.AlarmEvidence{Name: "a", CanFire: true, Topics: []check.TopicEvidence{topic(userTopic, 1, &yes, false, false)}}

	f := FromCheck(result(check.NoMatchingFilter, "no_match", working), false)
	require.Equal(t, &ReadyMetric{Namespace: "Security", MetricName: "TrailChanges", Unit: "Count", Alarm: "a"}, f.Trail.ReadyMetric)
	f = FromCheck(result(check.NoMatchingFilter, "no_match", check.AlarmEvidence{Name: "a", CanFire: true, Topics: []check.TopicEvidence{topic(userTopic, 0, &yes, false, false)}}), false)
	require.Nil(t, f.Trail.ReadyMetric, "no confirmed subscriber: the alarm does not complete the chain")

	f = FromCheck(result(check.AlarmCannotFire, "match", check.AlarmEvidence{Name: "a", Topics: working.Topics}), false)
	require.Equal(t, userTopic, f.Trail.ReadyTopic)
	f = FromCheck(result(check.AlarmCannotFire, "match", check.AlarmEvidence{Name: "a", Topics: []check.TopicEvidence{topic(userTopic, 1, &no, true, false)}}), false)
	require.Empty(t, f.Trail.ReadyTopic, "a topic CloudWatch cannot publish to is not reused")

	f = FromCheck(result(check.TopicCannotReceive, "match", check.AlarmEvidence{Name: "a", CanFire: true, Topics: []check.TopicEvidence{topic(userTopic, 1, &no, true, false)}}), false)
	require.Equal(t, userTopic, f.Trail.PolicyTopic)
	require.Equal(t, "a", f.Trail.Alarm.Name)
	f = FromCheck(result(check.TopicCannotReceive, "match", check.AlarmEvidence{Name: "a", CanFire: true, Topics: []check.TopicEvidence{topic(userTopic, 1, &no, false, false)}}), false)
	require.Empty(t, f.Trail.PolicyTopic, "a key problem is not mended by a policy")
	require.Nil(t, f.Trail.Alarm, "the user's alarm is not rewritten: a trailwatch alarm goes beside it")
	require.NotNil(t, f.Trail.Filter)

	unwired := result(check.NoCloudWatchLogs, "match")
	unwired.Trails[0].LogGroupARN, unwired.Trails[0].Filters = "", nil
	unwired.Trails[0].Candidates = []check.MetricEvidence{{Name: DefaultMetricName, Namespace: DefaultNamespace, Value: "1", Alarms: []check.AlarmEvidence{working}}}
	f = FromCheck(unwired, false)
	require.Equal(t, &ReadyMetric{Namespace: DefaultNamespace, MetricName: DefaultMetricName, Alarm: "a"}, f.Trail.ReadyMetric, "a candidate metric's working alarm")

	f = FromCheck(result(check.NoAlarmTopic, "match", check.AlarmEvidence{Name: "a", CanFire: true, Topics: []check.TopicEvidence{topic(userTopic, 0, nil, false, true)}}), false)
	require.Nil(t, f.Trail.Alarm, "an alarm whose only topic was deleted gets a trailwatch alarm beside it")
	f = FromCheck(result(check.NoAlarmTopic, "match", check.AlarmEvidence{Name: "a", CanFire: true}), false)
	require.Equal(t, "a", f.Trail.Alarm.Name, "an alarm with no topic at all gains one")
}

// With --wire-logs, a trail without a log group whose alarm already works on
// the metric a new filter emits gets delivery and the filter, nothing else.
func TestPlanWireLogsThenOnlyTheFilter(t *testing.T) {
	w := newWorld()
	f := finding(check.NoCloudWatchLogs)
	f.Trail.ReadyMetric = &ReadyMetric{Namespace: DefaultNamespace, MetricName: DefaultMetricName, Alarm: "cis"}
	a := build(t, w, f, Options{Notify: []Endpoint{}, WireLogs: true})
	require.Empty(t, a.Blocked)
	require.Equal(t, "create:logs:CreateLogGroup:log-group create:iam:CreateRole:log-role create:iam:PutRolePolicy:log-role-policy update:cloudtrail:UpdateTrail:trail create:logs:PutMetricFilter:filter", changeIDs(a))
	require.Equal(t, "trailwatch-cloudtrail", request(t, change(t, a, "filter"))["logGroupName"])
}
