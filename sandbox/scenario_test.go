package sandbox

import (
	"github.com/trailwatch/trailwatch/control"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"
)

// brokenLinks reads an account's chain through the SDK clients, the way a
// checker would, and names the links of the chain (docs/design.md) that do not hold. It is
// deliberately simple (substring checks on the filter pattern): it only has
// to tell the scenarios apart.
func brokenLinks(t *testing.T, cfg aws.Config, account string) []string {
	t.Helper()
	c := ctx(t)
	var broken []string
	fail := func(reason string, ok bool) {
		if !ok {
			broken = append(broken, reason)
		}
	}
	ct := cloudtrail.NewFromConfig(cfg)
	trails, err := ct.DescribeTrails(c, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Len(t, trails.TrailList, 1)
	trail := trails.TrailList[0]
	status, err := ct.GetTrailStatus(c, &cloudtrail.GetTrailStatusInput{Name: trail.TrailARN})
	require.NoError(t, err)
	selectors, err := ct.GetEventSelectors(c, &cloudtrail.GetEventSelectorsInput{TrailName: trail.TrailARN})
	require.NoError(t, err)
	management := false
	for _, s := range selectors.EventSelectors {
		management = management || (aws.ToBool(s.IncludeManagementEvents) && s.ReadWriteType == "All")
	}
	fail("NO_MULTI_REGION_TRAIL", aws.ToBool(trail.IsMultiRegionTrail))
	fail("TRAIL_NOT_LOGGING", aws.ToBool(status.IsLogging))
	fail("MANAGEMENT_EVENTS_NOT_CAPTURED", management)
	fail("NO_CLOUDWATCH_LOGS", aws.ToString(trail.CloudWatchLogsLogGroupArn) != "")
	fail("LOGS_DELIVERY_FAILING", aws.ToString(status.LatestCloudWatchLogsDeliveryError) == "")

	filters, err := cloudwatchlogs.NewFromConfig(cfg).DescribeMetricFilters(c, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String("aws-cloudtrail-logs-" + account),
		// The default control's chain: a compliant fleet account carries the family.
		FilterNamePrefix: aws.String(chainName(control.Default()))})
	require.NoError(t, err)
	require.Len(t, filters.MetricFilters, 1)
	pattern := aws.ToString(filters.MetricFilters[0].FilterPattern)
	all := true
	for _, event := range []string{"CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"} {
		all = all && strings.Contains(pattern, event)
	}
	fail("NO_MATCHING_FILTER", all)

	alarms, err := cloudwatch.NewFromConfig(cfg).DescribeAlarmsForMetric(c, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String(cisNamespace), MetricName: aws.String(cisMetric)})
	require.NoError(t, err)
	fail("NO_ALARM", len(alarms.MetricAlarms) == 1)
	topic := "arn:aws:sns:us-east-1:" + account + ":security-alerts"
	if len(alarms.MetricAlarms) == 1 {
		a := alarms.MetricAlarms[0]
		fail("ALARM_CANNOT_FIRE", aws.ToBool(a.ActionsEnabled) && aws.ToFloat64(a.Threshold) <= 1 &&
			a.ComparisonOperator == cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold && a.Statistic == cwtypes.StatisticSum)
		fail("NO_ALARM_TOPIC", len(a.AlarmActions) == 1 && a.AlarmActions[0] == topic)
	}

	subs, err := sns.NewFromConfig(cfg).ListSubscriptionsByTopic(c, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	require.NoError(t, err)
	confirmed := false
	for _, s := range subs.Subscriptions {
		confirmed = confirmed || strings.HasPrefix(aws.ToString(s.SubscriptionArn), "arn:")
	}
	fail("NO_CONFIRMED_SUBSCRIBER", confirmed)
	return broken
}

// Each FAIL-reason scenario breaks exactly its own link of an otherwise
// compliant chain, as seen through the real SDK clients.
func TestScenariosBreakExactlyTheirLink(t *testing.T) {
	s, endpoint := startSandbox(t, "compliant")
	cfg := sdkConfig(endpoint, DefaultAccessKey)
	require.Empty(t, brokenLinks(t, cfg, DefaultAccount), "compliant")
	for _, reason := range FailReasons {
		require.NoError(t, s.LoadScenario(scenarioName(reason), ScenarioParams{}))
		require.Equal(t, []string{reason}, brokenLinks(t, cfg, DefaultAccount), reason)
	}
	// The reason code itself names the scenario too.
	require.NoError(t, s.LoadScenario("NO_ALARM", ScenarioParams{}))
	require.Equal(t, []string{"NO_ALARM"}, brokenLinks(t, cfg, DefaultAccount))
}

func TestFleetScenario(t *testing.T) {
	s, endpoint := startSandbox(t, "")
	require.NoError(t, s.LoadScenario("fleet", ScenarioParams{Accounts: 12}))
	creds := s.Credentials()
	require.Len(t, creds, 12)
	// Accounts cycle through compliant and then each FAIL reason in order.
	require.Empty(t, brokenLinks(t, sdkConfig(endpoint, creds[0].AccessKey), creds[0].Account))
	require.Equal(t, []string{FailReasons[0]}, brokenLinks(t, sdkConfig(endpoint, creds[1].AccessKey), creds[1].Account))
	require.Empty(t, brokenLinks(t, sdkConfig(endpoint, creds[11].AccessKey), creds[11].Account), "the cycle restarts")
	require.Error(t, s.LoadScenario("fleet", ScenarioParams{Accounts: 1001}))
}

// The demo account has the whole chain up to a filter that names all five
// events and still misses one, and nothing after it, so check stops at the
// filter and plan has the topic, subscription, filter and alarm to add.
func TestDemoScenario(t *testing.T) {
	_, endpoint := startSandbox(t, "demo")
	cfg := sdkConfig(endpoint, DefaultAccessKey)
	c := ctx(t)
	require.Contains(t, ScenarioNames(), "demo")

	trails, err := cloudtrail.NewFromConfig(cfg).DescribeTrails(c, &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Len(t, trails.TrailList, 1)
	trail := trails.TrailList[0]
	require.True(t, aws.ToBool(trail.IsMultiRegionTrail))
	require.Equal(t, "arn:aws:logs:us-east-1:"+DefaultAccount+":log-group:aws-cloudtrail-logs-"+DefaultAccount+":*", aws.ToString(trail.CloudWatchLogsLogGroupArn))
	status, err := cloudtrail.NewFromConfig(cfg).GetTrailStatus(c, &cloudtrail.GetTrailStatusInput{Name: trail.TrailARN})
	require.NoError(t, err)
	require.True(t, aws.ToBool(status.IsLogging))
	require.Empty(t, aws.ToString(status.LatestCloudWatchLogsDeliveryError))

	filters, err := cloudwatchlogs.NewFromConfig(cfg).DescribeMetricFilters(c, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String("aws-cloudtrail-logs-" + DefaultAccount)})
	require.NoError(t, err)
	require.Len(t, filters.MetricFilters, 1)
	require.Equal(t, DemoFilterPattern, aws.ToString(filters.MetricFilters[0].FilterPattern))
	for _, event := range []string{"CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"} {
		require.Contains(t, DemoFilterPattern, event, "the pattern must look right to a text search")
	}

	alarms, err := cloudwatch.NewFromConfig(cfg).DescribeAlarms(c, &cloudwatch.DescribeAlarmsInput{})
	require.NoError(t, err)
	require.Empty(t, alarms.MetricAlarms)
	topics, err := sns.NewFromConfig(cfg).ListTopics(c, &sns.ListTopicsInput{})
	require.NoError(t, err)
	require.Empty(t, topics.Topics)
}

// Accounts sizes the fleet and org scenarios within their range and is
// refused for every other scenario, by the library as by the command line.
func TestScenarioAccountsRange(t *testing.T) {
	s, err := New(Options{})
	require.NoError(t, err)
	for _, tc := range []struct {
		scenario string
		accounts int
		want     string
	}{
		{"compliant", 5, "scenario compliant: accounts=5: it has a fixed set of accounts"},
		{"NO_ALARM", 2, "scenario NO_ALARM: accounts=2: it has a fixed set of accounts"},
		{"", 3, "scenario (default): accounts=3: it has a fixed set of accounts"},
		{"fleet", MaxFleetAccounts + 1, "scenario fleet: accounts=1001: want 1 to 1000"},
		{"fleet", -1, "scenario fleet: accounts=-1: want 1 to 1000"},
		{"org", 1, "scenario org: accounts=1: want 2 to 1000"},
		{"org-unmonitored", MaxFleetAccounts + 1, "scenario org-unmonitored: accounts=1001: want 2 to 1000"},
	} {
		require.EqualError(t, s.LoadScenario(tc.scenario, ScenarioParams{Accounts: tc.accounts}), tc.want, "%s %d", tc.scenario, tc.accounts)
	}
	require.NoError(t, s.LoadScenario("org", ScenarioParams{Accounts: 2}))
	require.Len(t, s.Credentials(), 1, "members have no keys of their own")
	require.NoError(t, s.LoadScenario("fleet", ScenarioParams{Accounts: 1}))
	require.Len(t, s.Credentials(), 1)
}
