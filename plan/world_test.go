package plan

import (
	"context"
	"fmt"
	"github.com/trailwatch/trailwatch/check"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/mock"

	"github.com/trailwatch/trailwatch/mocks"
)

// world is the AWS state the plan reads, served through the generated mocks
// so every call is counted and nothing but the declared reads can happen.
type world struct {
	filters   map[string]logstypes.MetricFilter // filterKey(group, name)
	groups    map[string]bool
	ownGroups map[string]bool  // log group name → tagged managed-by=trailwatch
	retention map[string]int32 // log group name → retentionInDays, absent: never expires
	alarms    map[string]cwtypes.MetricAlarm
	ownAlarms map[string]bool // alarm ARN → tagged managed-by=trailwatch
	topics    map[string]map[string]string
	ownTopics map[string]bool
	subs      map[string][]snstypes.Subscription
	roles     map[string]iamtypes.Role
	keys      map[string]*kmstypes.KeyMetadata // by every KeyId a test uses
	keyPolicy map[string]string                // by key ARN
	calls     map[string]int
	regions   map[string]bool // regions asked for
}

func newWorld() *world {
	return &world{filters: map[string]logstypes.MetricFilter{}, groups: map[string]bool{}, ownGroups: map[string]bool{},
		retention: map[string]int32{}, alarms: map[string]cwtypes.MetricAlarm{},
		ownAlarms: map[string]bool{}, topics: map[string]map[string]string{}, ownTopics: map[string]bool{},
		subs: map[string][]snstypes.Subscription{}, roles: map[string]iamtypes.Role{},
		keys: map[string]*kmstypes.KeyMetadata{}, keyPolicy: map[string]string{}, calls: map[string]int{}, regions: map[string]bool{}}
}

// addRole adds a role trusted by CloudTrail for trailARN, as IAM returns it:
// the trust policy URL-encoded, tagged managed-by=trailwatch when ours.
func (w *world) addRole(name string, ours bool, trailARN string) {
	r := iamtypes.Role{RoleName: aws.String(name), Path: aws.String("/"), Arn: aws.String("arn:aws:iam::" + testAccount + ":role/" + name),
		AssumeRolePolicyDocument: aws.String(strings.ReplaceAll(url.QueryEscape(trustPolicy(trailARN)), "+", "%20")),
		Tags:                     []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("sec")}}}
	if ours {
		r.Tags = append(r.Tags, iamtypes.Tag{Key: aws.String(ManagedByKey), Value: aws.String(ManagedByValue)})
	}
	w.roles[name] = r
}

// addGroup adds a log group, tagged managed-by=trailwatch when ours.
func (w *world) addGroup(name string, ours bool) {
	w.groups[name], w.ownGroups[name] = true, ours
}

func (w *world) addTopic(arn string, ours bool) {
	w.topics[arn] = map[string]string{"TopicArn": arn, "Owner": testAccount, "Policy": "{}"}
	w.ownTopics[arn] = ours
}

func (w *world) addAlarm(a cwtypes.MetricAlarm, ours bool) {
	a.AlarmArn = aws.String("arn:aws:cloudwatch:" + testRegion + ":" + testAccount + ":alarm:" + aws.ToString(a.AlarmName))
	w.alarms[aws.ToString(a.AlarmName)] = a
	w.ownAlarms[*a.AlarmArn] = ours
}

func (w *world) total() int {
	n := 0
	for _, c := range w.calls {
		n += c
	}
	return n
}

type apiErr struct{ code string }

func (e apiErr) Error() string                 { return e.code }
func (e apiErr) ErrorCode() string             { return e.code }
func (e apiErr) ErrorMessage() string          { return e.code }
func (e apiErr) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

func (w *world) readers(t *testing.T) Readers {
	logs := mocks.NewLogsReader(t)
	logs.EXPECT().DescribeMetricFilters(mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, in *cloudwatchlogs.DescribeMetricFiltersInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error) {
			w.calls["DescribeMetricFilters"]++
			if aws.ToString(in.LogGroupName) != testGroup && !w.groups[aws.ToString(in.LogGroupName)] {
				return nil, apiErr{"ResourceNotFoundException"}
			}
			out := &cloudwatchlogs.DescribeMetricFiltersOutput{}
			for k, f := range w.filters {
				if strings.HasPrefix(k, aws.ToString(in.LogGroupName)+"|"+aws.ToString(in.FilterNamePrefix)) {
					out.MetricFilters = append(out.MetricFilters, f)
				}
			}
			return out, nil
		}).Maybe()
	logs.EXPECT().DescribeLogGroups(mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
			w.calls["DescribeLogGroups"]++
			out := &cloudwatchlogs.DescribeLogGroupsOutput{}
			for g := range w.groups {
				if strings.HasPrefix(g, aws.ToString(in.LogGroupNamePrefix)) {
					arn := "arn:aws:logs:" + testRegion + ":" + testAccount + ":log-group:" + g
					lg := logstypes.LogGroup{LogGroupName: aws.String(g), LogGroupArn: aws.String(arn), Arn: aws.String(arn + ":*")}
					if d, ok := w.retention[g]; ok {
						lg.RetentionInDays = aws.Int32(d)
					}
					out.LogGroups = append(out.LogGroups, lg)
				}
			}
			return out, nil
		}).Maybe()
	logs.EXPECT().ListTagsForResource(mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, in *cloudwatchlogs.ListTagsForResourceInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.ListTagsForResourceOutput, error) {
			w.calls["logs:ListTagsForResource"]++
			name, ok := strings.CutPrefix(aws.ToString(in.ResourceArn), "arn:aws:logs:"+testRegion+":"+testAccount+":log-group:")
			if !ok || strings.HasSuffix(name, ":*") {
				return nil, apiErr{"InvalidParameterException"}
			}
			if !w.groups[name] {
				return nil, apiErr{"ResourceNotFoundException"}
			}
			out := &cloudwatchlogs.ListTagsForResourceOutput{Tags: map[string]string{"team": "sec"}}
			if w.ownGroups[name] {
				out.Tags[ManagedByKey] = ManagedByValue
			}
			return out, nil
		}).Maybe()
	alarms := mocks.NewAlarmReader(t)
	alarms.EXPECT().DescribeAlarms(mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
			w.calls["DescribeAlarms"]++
			out := &cloudwatch.DescribeAlarmsOutput{}
			for _, n := range in.AlarmNames {
				if a, ok := w.alarms[n]; ok {
					out.MetricAlarms = append(out.MetricAlarms, a)
				}
			}
			return out, nil
		}).Maybe()
	alarms.EXPECT().ListTagsForResource(mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, in *cloudwatch.ListTagsForResourceInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.ListTagsForResourceOutput, error) {
			w.calls["cloudwatch:ListTagsForResource"]++
			out := &cloudwatch.ListTagsForResourceOutput{Tags: []cwtypes.Tag{{Key: aws.String("team"), Value: aws.String("sec")}}}
			if w.ownAlarms[aws.ToString(in.ResourceARN)] {
				out.Tags = append(out.Tags, cwtypes.Tag{Key: aws.String(ManagedByKey), Value: aws.String(ManagedByValue)})
			}
			return out, nil
		}).Maybe()
	topics := mocks.NewTopicReader(t)
	topics.EXPECT().GetTopicAttributes(mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, in *sns.GetTopicAttributesInput, _ ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error) {
			w.calls["GetTopicAttributes"]++
			attrs, ok := w.topics[aws.ToString(in.TopicArn)]
			if !ok {
				return nil, apiErr{"NotFound"}
			}
			return &sns.GetTopicAttributesOutput{Attributes: attrs}, nil
		}).Maybe()
	topics.EXPECT().ListTagsForResource(mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, in *sns.ListTagsForResourceInput, _ ...func(*sns.Options)) (*sns.ListTagsForResourceOutput, error) {
			w.calls["sns:ListTagsForResource"]++
			out := &sns.ListTagsForResourceOutput{}
			if w.ownTopics[aws.ToString(in.ResourceArn)] {
				out.Tags = []snstypes.Tag{{Key: aws.String(ManagedByKey), Value: aws.String(ManagedByValue)}}
			}
			return out, nil
		}).Maybe()
	topics.EXPECT().ListSubscriptionsByTopic(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, in *sns.ListSubscriptionsByTopicInput, _ ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error) {
			w.calls["ListSubscriptionsByTopic"]++
			return &sns.ListSubscriptionsByTopicOutput{Subscriptions: w.subs[aws.ToString(in.TopicArn)]}, nil
		}).Maybe()
	roles := mocks.NewRoleReader(t)
	roles.EXPECT().GetRole(mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
			w.calls["GetRole"]++
			r, ok := w.roles[aws.ToString(in.RoleName)]
			if !ok {
				return nil, apiErr{"NoSuchEntity"}
			}
			return &iam.GetRoleOutput{Role: &r}, nil
		}).Maybe()
	keys := mocks.NewKeyReader(t)
	keys.EXPECT().DescribeKey(mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
			w.calls["DescribeKey"]++
			k, ok := w.keys[aws.ToString(in.KeyId)]
			if !ok {
				return nil, apiErr{"NotFoundException"}
			}
			return &kms.DescribeKeyOutput{KeyMetadata: k}, nil
		}).Maybe()
	keys.EXPECT().GetKeyPolicy(mock.Anything, mock.Anything).RunAndReturn(
		func(_ context.Context, in *kms.GetKeyPolicyInput, _ ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
			w.calls["GetKeyPolicy"]++
			p, ok := w.keyPolicy[aws.ToString(in.KeyId)]
			if !ok {
				return nil, apiErr{"NotFoundException"}
			}
			return &kms.GetKeyPolicyOutput{Policy: aws.String(p)}, nil
		}).Maybe()
	region := func(r string) { w.regions[r] = true }
	return Readers{
		Logs:   func(r string) LogsReader { region(r); return logs },
		Alarms: func(r string) AlarmReader { region(r); return alarms },
		Topics: func(r string) TopicReader { region(r); return topics },
		Roles:  roles,
		Keys:   func(r string) KeyReader { region(r); return keys },
	}
}

const (
	testAccount = "111111111111"
	testRegion  = "us-east-1"
	testTrail   = "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"
	testGroup   = "/cloudtrail/main"
	userTopic   = "arn:aws:sns:us-east-1:111111111111:security-alerts"
)

// finding builds check's verdict for the test account, the chain held up to
// the given reason, the way check reports it.
func finding(reason check.Reason) Finding {
	f := Finding{Account: testAccount, Profiles: []string{"prod"}, Status: "FAIL", Reason: reason,
		Trail: &Trail{Name: "main", ARN: testTrail, HomeRegion: testRegion, OwnerAccount: testAccount,
			LogGroupARN: "arn:aws:logs:us-east-1:111111111111:log-group:" + testGroup + ":*", LogGroupName: testGroup,
			LogGroupRegion: testRegion, LogGroupAccount: testAccount}}
	switch reason {
	case "PASS":
		f.Status, f.Reason = "PASS", ""
	case check.NoMultiRegionTrail:
		f.Trail = nil
	case check.NoCloudWatchLogs:
		f.Trail.LogGroupARN, f.Trail.LogGroupName, f.Trail.LogGroupRegion, f.Trail.LogGroupAccount = "", "", "", ""
	case check.NoAlarm, check.AlarmCannotFire, check.NoAlarmTopic, check.TopicCannotReceive, check.NoConfirmedSubscriber:
		f.Trail.Filter = &Filter{Namespace: "Security", MetricName: "TrailChanges", Reusable: true}
	}
	switch reason {
	case check.AlarmCannotFire:
		f.Trail.Alarm = &Alarm{Name: "trail-changes"}
	case check.NoAlarmTopic:
		f.Trail.Alarm = &Alarm{Name: "trail-changes", CanFire: true}
	case check.TopicCannotReceive:
		// The alarm's topic lacks only CloudWatch's statement.
		f.Trail.Alarm = &Alarm{Name: "trail-changes", ARN: "arn:aws:cloudwatch:us-east-1:111111111111:alarm:trail-changes", CanFire: true}
		f.Trail.PolicyTopic = userTopic
	case check.NoConfirmedSubscriber:
		f.Trail.Alarm = &Alarm{Name: "trail-changes", CanFire: true}
		f.Trail.TopicARN = userTopic
	}
	return f
}

// userAlarm is the alarm check found on the user's metric.
func userAlarm(actions ...string) cwtypes.MetricAlarm {
	return cwtypes.MetricAlarm{AlarmName: aws.String("trail-changes"), AlarmDescription: aws.String("ops pager"),
		ActionsEnabled: aws.Bool(true), AlarmActions: actions, OKActions: []string{"arn:aws:sns:us-east-1:111111111111:ok"},
		InsufficientDataActions: []string{"arn:aws:sns:us-east-1:111111111111:insufficient"},
		Namespace:               aws.String("Security"), MetricName: aws.String("TrailChanges"), Statistic: cwtypes.StatisticSum,
		Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(1), Threshold: aws.Float64(0),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, TreatMissingData: aws.String("ignore"),
		Unit: cwtypes.StandardUnitCount, Dimensions: []cwtypes.Dimension{}, EvaluateLowSampleCountPercentile: aws.String("ignore"),
		StateValue: cwtypes.StateValueOk}
}

func mustNotify(t *testing.T, specs ...string) []Endpoint {
	t.Helper()
	var out []Endpoint
	for _, s := range specs {
		e, err := ParseNotify(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func changeIDs(a AccountPlan) string {
	var ids []string
	for _, c := range a.Changes {
		ids = append(ids, fmt.Sprintf("%s:%s:%s", c.Action, c.Operation, c.ID))
	}
	return strings.Join(ids, " ")
}
