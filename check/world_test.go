package check

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/mock"

	"github.com/trailwatch/trailwatch/check/pattern"
	"github.com/trailwatch/trailwatch/internal/awsapi"
	"github.com/trailwatch/trailwatch/mocks"
)

// The test world: one account whose resources the generated mocks serve
// the way AWS does — per region, by name, paginated — so the tests exercise
// the real request shapes (regions, filters, tokens) check sends.

const (
	acct     = "111111111111"
	other    = "222222222222"
	home     = "us-east-1"
	group    = "/aws/cloudtrail/main"
	ns       = "CISBenchmark"
	metric   = "CloudTrailConfigChanges"
	cis      = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"
	pageSize = 50
)

var (
	trailARN = "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/main"
	groupARN = "arn:aws:logs:us-east-1:" + acct + ":log-group:" + group + ":*"
	topicARN = "arn:aws:sns:us-east-1:" + acct + ":alerts"
)

type world struct {
	account   string
	trails    []cttypes.Trail // what DescribeTrails returns, shadow copies included
	status    map[string]*cloudtrail.GetTrailStatusOutput
	selectors map[string]*cloudtrail.GetEventSelectorsOutput
	filters   map[string][]logstypes.MetricFilter // region + " " + log group
	alarms    map[string][]cwtypes.MetricAlarm    // region
	subs      map[string][]snstypes.Subscription  // topic ARN
	// topicAttrs holds attributes a topic has beyond the default policy;
	// deleted lists topics that no longer exist (every other ARN does).
	topicAttrs map[string]map[string]string
	deleted    map[string]bool
	// keys are the KMS keys by every KeyId a test uses; keyPolicies by ARN.
	keys        map[string]*kmstypes.KeyMetadata
	keyPolicies map[string]string
	// awsMatches answers TestMetricFilter; nil evaluates with the engine.
	awsMatches func(pattern, msg string) bool
	denied     map[string]string // IAM action → error code
}

// defaultTopicPolicy is the policy SNS gives a topic: principals of the
// owner account (AWS:SourceOwner) may use it.
func defaultTopicPolicy(arn string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` + arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + arnField(arn, 4) + `"}}}]}`
}

// addSecondTrail adds a trail like the first, delivering to the same log
// group.
func (w *world) addSecondTrail() {
	second := "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/second"
	t2 := w.trails[0]
	t2.Name, t2.TrailARN = aws.String("second"), aws.String(second)
	w.trails = append(w.trails, t2)
	w.status[second], w.selectors[second] = w.status[trailARN], w.selectors[trailARN]
}

// compliant is an account that PASSes: every other case breaks one thing.
func compliant() *world {
	return &world{
		account: acct,
		trails: []cttypes.Trail{{
			Name: aws.String("main"), TrailARN: aws.String(trailARN), HomeRegion: aws.String(home),
			IsMultiRegionTrail: aws.Bool(true), CloudWatchLogsLogGroupArn: aws.String(groupARN),
		}},
		status: map[string]*cloudtrail.GetTrailStatusOutput{trailARN: {IsLogging: aws.Bool(true)}},
		selectors: map[string]*cloudtrail.GetEventSelectorsOutput{trailARN: {EventSelectors: []cttypes.EventSelector{
			{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll},
		}}},
		filters: map[string][]logstypes.MetricFilter{home + " " + group: {filter("cis", cis)}},
		alarms:  map[string][]cwtypes.MetricAlarm{home: {alarm("cis-alarm", topicARN)}},
		subs: map[string][]snstypes.Subscription{topicARN: {
			{SubscriptionArn: aws.String(topicARN + ":0001"), Protocol: aws.String("email")},
		}},
		topicAttrs: map[string]map[string]string{}, deleted: map[string]bool{},
		keys: map[string]*kmstypes.KeyMetadata{}, keyPolicies: map[string]string{},
		denied: map[string]string{},
	}
}

func filter(name, pattern string) logstypes.MetricFilter {
	return logstypes.MetricFilter{
		FilterName: aws.String(name), FilterPattern: aws.String(pattern), LogGroupName: aws.String(group),
		MetricTransformations: []logstypes.MetricTransformation{{
			MetricName: aws.String(metric), MetricNamespace: aws.String(ns), MetricValue: aws.String("1"),
		}},
	}
}

func alarm(name string, actions ...string) cwtypes.MetricAlarm {
	return cwtypes.MetricAlarm{
		AlarmName: aws.String(name), AlarmArn: aws.String("arn:aws:cloudwatch:us-east-1:" + acct + ":alarm:" + name),
		ActionsEnabled: aws.Bool(true), AlarmActions: actions, MetricName: aws.String(metric), Namespace: aws.String(ns),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		TreatMissingData: aws.String("notBreaching"),
	}
}

func (w *world) firstFilter() *logstypes.MetricFilter { return &w.filters[home+" "+group][0] }
func (w *world) firstAlarm() *cwtypes.MetricAlarm     { return &w.alarms[home][0] }

func denied(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: "User is not authorized to perform this action"}
}

// fake holds the mocks of one world and what they were asked.
type fake struct {
	clients *mocks.Clients
	mu      sync.Mutex   // check asks for clients from concurrent reads
	calls   []*mock.Mock // every service mock, for counting API calls
	regions map[string][]string
}

// apiCalls counts the AWS API calls made (not client constructions).
func (f *fake) apiCalls() map[string]int {
	n := map[string]int{}
	for _, m := range f.calls {
		for _, c := range m.Calls {
			n[c.Method]++
		}
	}
	return n
}

func total(n map[string]int) int {
	s := 0
	for _, v := range n {
		s += v
	}
	return s
}

func (w *world) fake(t *testing.T) *fake {
	f := &fake{clients: mocks.NewClients(t), regions: map[string][]string{}}
	// ask records who asked for which client, and keeps its mock.
	ask := func(service, region string, m *mock.Mock) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.regions[service] = append(f.regions[service], region)
		f.calls = append(f.calls, m)
	}
	f.clients.EXPECT().STS(mock.Anything).RunAndReturn(func(region string) awsapi.STSAPI {
		m := mocks.NewSTSAPI(t)
		ask("sts", region, &m.Mock)
		m.EXPECT().GetCallerIdentity(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
			func(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
				if code, ok := w.denied["sts:GetCallerIdentity"]; ok {
					return nil, denied(code)
				}
				return &sts.GetCallerIdentityOutput{Account: aws.String(w.account)}, nil
			}).Maybe()
		return m
	}).Maybe()
	f.clients.EXPECT().CloudTrail(mock.Anything).RunAndReturn(func(region string) awsapi.CloudTrailAPI {
		m := mocks.NewCloudTrailAPI(t)
		ask("cloudtrail", region, &m.Mock)
		m.EXPECT().DescribeTrails(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
			func(_ context.Context, in *cloudtrail.DescribeTrailsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
				if code, ok := w.denied["cloudtrail:DescribeTrails"]; ok {
					return nil, denied(code)
				}
				if !aws.ToBool(in.IncludeShadowTrails) {
					return nil, fmt.Errorf("test world: check must ask for shadow trails")
				}
				return &cloudtrail.DescribeTrailsOutput{TrailList: w.trails}, nil
			}).Maybe()
		m.EXPECT().GetTrailStatus(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
			func(_ context.Context, in *cloudtrail.GetTrailStatusInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
				if code, ok := w.denied["cloudtrail:GetTrailStatus"]; ok {
					return nil, denied(code)
				}
				if arnField(aws.ToString(in.Name), 3) != region {
					return nil, &smithy.GenericAPIError{Code: "TrailNotFoundException", Message: "asked outside the home region"}
				}
				return w.status[aws.ToString(in.Name)], nil
			}).Maybe()
		m.EXPECT().GetEventSelectors(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
			func(_ context.Context, in *cloudtrail.GetEventSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error) {
				if code, ok := w.denied["cloudtrail:GetEventSelectors"]; ok {
					return nil, denied(code)
				}
				if arnField(aws.ToString(in.TrailName), 3) != region {
					return nil, &smithy.GenericAPIError{Code: "TrailNotFoundException", Message: "asked outside the home region"}
				}
				return w.selectors[aws.ToString(in.TrailName)], nil
			}).Maybe()
		return m
	}).Maybe()
	f.clients.EXPECT().Logs(mock.Anything).RunAndReturn(func(region string) awsapi.LogsAPI {
		m := mocks.NewLogsAPI(t)
		ask("logs", region, &m.Mock)
		m.EXPECT().DescribeMetricFilters(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
			func(_ context.Context, in *cloudwatchlogs.DescribeMetricFiltersInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error) {
				if code, ok := w.denied["logs:DescribeMetricFilters"]; ok {
					return nil, denied(code)
				}
				if in.LogGroupName == nil {
					return nil, fmt.Errorf("test world: check must name the log group")
				}
				all, ok := w.filters[region+" "+*in.LogGroupName]
				if !ok {
					return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "The specified log group does not exist."}
				}
				start, _ := strconv.Atoi(aws.ToString(in.NextToken))
				end := min(start+pageSize, len(all))
				out := &cloudwatchlogs.DescribeMetricFiltersOutput{MetricFilters: all[start:end]}
				if end < len(all) {
					out.NextToken = aws.String(strconv.Itoa(end))
				}
				return out, nil
			}).Maybe()
		m.EXPECT().TestMetricFilter(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
			func(_ context.Context, in *cloudwatchlogs.TestMetricFilterInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.TestMetricFilterOutput, error) {
				if code, ok := w.denied["logs:TestMetricFilter"]; ok {
					return nil, denied(code)
				}
				if n := len(in.LogEventMessages); n < 1 || n > 50 {
					return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "logEventMessages: Member must have length between 1 and 50"}
				}
				match := w.awsMatches
				if match == nil {
					match = func(text, msg string) bool {
						p, err := pattern.Parse(text)
						return err == nil && p.Eval(msg) == pattern.Match
					}
				}
				out := &cloudwatchlogs.TestMetricFilterOutput{}
				for i, msg := range in.LogEventMessages {
					if match(aws.ToString(in.FilterPattern), msg) {
						out.Matches = append(out.Matches, logstypes.MetricFilterMatchRecord{EventNumber: int64(i + 1), EventMessage: aws.String(msg)})
					}
				}
				return out, nil
			}).Maybe()
		return m
	}).Maybe()
	f.clients.EXPECT().KMS(mock.Anything).RunAndReturn(func(region string) awsapi.KMSAPI {
		m := mocks.NewKMSAPI(t)
		ask("kms", region, &m.Mock)
		m.EXPECT().DescribeKey(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
			func(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
				if code, ok := w.denied["kms:DescribeKey"]; ok {
					return nil, denied(code)
				}
				k := w.keys[aws.ToString(in.KeyId)]
				if k == nil {
					return nil, &smithy.GenericAPIError{Code: "NotFoundException", Message: "Key does not exist"}
				}
				return &kms.DescribeKeyOutput{KeyMetadata: k}, nil
			}).Maybe()
		m.EXPECT().GetKeyPolicy(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
			func(_ context.Context, in *kms.GetKeyPolicyInput, _ ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
				if code, ok := w.denied["kms:GetKeyPolicy"]; ok {
					return nil, denied(code)
				}
				id := aws.ToString(in.KeyId)
				if k := w.keys[id]; k != nil && !strings.HasPrefix(id, "alias/") {
					id = aws.ToString(k.Arn) // a key ID names the key as its ARN does; an alias never does
				}
				p, ok := w.keyPolicies[id]
				if !ok {
					return nil, &smithy.GenericAPIError{Code: "NotFoundException", Message: "Key does not exist"}
				}
				return &kms.GetKeyPolicyOutput{Policy: aws.String(p), PolicyName: aws.String("default")}, nil
			}).Maybe()
		return m
	}).Maybe()
	f.clients.EXPECT().CloudWatch(mock.Anything).RunAndReturn(func(region string) awsapi.CloudWatchAPI {
		m := mocks.NewCloudWatchAPI(t)
		ask("cloudwatch", region, &m.Mock)
		m.EXPECT().DescribeAlarmsForMetric(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
			func(_ context.Context, in *cloudwatch.DescribeAlarmsForMetricInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsForMetricOutput, error) {
				if code, ok := w.denied["cloudwatch:DescribeAlarmsForMetric"]; ok {
					return nil, denied(code)
				}
				// Like the API, match name and namespace; dimensions are
				// left for check to verify itself.
				out := &cloudwatch.DescribeAlarmsForMetricOutput{}
				for _, a := range w.alarms[region] {
					name, space := aws.ToString(a.MetricName), aws.ToString(a.Namespace)
					if len(a.Metrics) > 0 && a.Metrics[0].MetricStat != nil {
						name, space = aws.ToString(a.Metrics[0].MetricStat.Metric.MetricName), aws.ToString(a.Metrics[0].MetricStat.Metric.Namespace)
					}
					if name == aws.ToString(in.MetricName) && space == aws.ToString(in.Namespace) {
						out.MetricAlarms = append(out.MetricAlarms, a)
					}
				}
				return out, nil
			}).Maybe()
		return m
	}).Maybe()
	f.clients.EXPECT().SNS(mock.Anything).RunAndReturn(func(region string) awsapi.SNSAPI {
		m := mocks.NewSNSAPI(t)
		ask("sns", region, &m.Mock)
		m.EXPECT().GetTopicAttributes(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
			func(_ context.Context, in *sns.GetTopicAttributesInput, _ ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error) {
				if code, ok := w.denied["sns:GetTopicAttributes"]; ok {
					return nil, denied(code)
				}
				arn := aws.ToString(in.TopicArn)
				if arnField(arn, 3) != region || w.deleted[arn] {
					return nil, &smithy.GenericAPIError{Code: "NotFound", Message: "Topic does not exist"}
				}
				attrs := map[string]string{"TopicArn": arn, "Owner": arnField(arn, 4), "Policy": defaultTopicPolicy(arn)}
				for k, v := range w.topicAttrs[arn] {
					attrs[k] = v
				}
				return &sns.GetTopicAttributesOutput{Attributes: attrs}, nil
			}).Maybe()
		m.EXPECT().ListSubscriptionsByTopic(mock.Anything, mock.Anything, mock.Anything).RunAndReturn(
			func(_ context.Context, in *sns.ListSubscriptionsByTopicInput, _ ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error) {
				if code, ok := w.denied["sns:ListSubscriptionsByTopic"]; ok {
					return nil, denied(code)
				}
				arn := aws.ToString(in.TopicArn)
				if arnField(arn, 3) != region || w.deleted[arn] {
					return nil, &smithy.GenericAPIError{Code: "NotFound", Message: "Topic does not exist"}
				}
				all := w.subs[arn]
				start, _ := strconv.Atoi(aws.ToString(in.NextToken))
				end := min(start+pageSize, len(all))
				out := &sns.ListSubscriptionsByTopicOutput{Subscriptions: all[start:end]}
				if end < len(all) {
					out.NextToken = aws.String(strconv.Itoa(end))
				}
				return out, nil
			}).Maybe()
		return m
	}).Maybe()
	return f
}

// run checks the world's account through Run, as the command does.
func (w *world) run(t *testing.T, opts Options) (Result, *fake) {
	t.Helper()
	f := w.fake(t)
	rep := Run(context.Background(), []Target{{Profile: "p", Region: home, Clients: f.clients}}, opts)
	if len(rep.Results) != 1 {
		t.Fatalf("want one result, got %d", len(rep.Results))
	}
	return rep.Results[0], f
}

func contains(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// gate lets a test prove two reads are sent side by side: the read that
// must not answer first waits for the other to open the gate, and fails
// (instead of hanging) when the two are sent one after the other.
type gate struct {
	once sync.Once
	ch   chan struct{}
}

func newGate() *gate { return &gate{ch: make(chan struct{})} }

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

func (g *gate) wait(what string) error {
	select {
	case <-g.ch:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New(what + " was not sent side by side")
	}
}
