package sandbox

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	lgtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/require"
)

func TestLogsLogGroups(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	lg := e.logs(DefaultAccessKey, "us-east-1")
	for _, n := range []string{"app/a", "app/b", "app/c", "app/d", "other"} {
		_, err := lg.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(n), Tags: map[string]string{"team": "sec"}})
		require.NoError(t, err)
	}
	var exists *lgtypes.ResourceAlreadyExistsException
	_, err := lg.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("other")})
	require.ErrorAs(t, err, &exists)
	var invalid *lgtypes.InvalidParameterException
	_, err = lg.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("bad name")})
	require.ErrorAs(t, err, &invalid)
	_, err = lg.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(strings.Repeat("x", 513))})
	require.ErrorAs(t, err, &invalid)

	// Pages of two, prefix-filtered, in name order.
	var names []string
	pages := 0
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(lg, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("app/"), Limit: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		require.LessOrEqual(t, len(out.LogGroups), 2)
		for _, g := range out.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
		}
		pages++
	}
	require.Equal(t, []string{"app/a", "app/b", "app/c", "app/d"}, names)
	require.Equal(t, 2, pages)

	out, err := lg.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("other")})
	require.NoError(t, err)
	require.Len(t, out.LogGroups, 1)
	g := out.LogGroups[0]
	require.Equal(t, "arn:aws:logs:us-east-1:111111111111:log-group:other:*", aws.ToString(g.Arn))
	require.Equal(t, "arn:aws:logs:us-east-1:111111111111:log-group:other", aws.ToString(g.LogGroupArn))
	require.Equal(t, testNow.UnixMilli(), aws.ToInt64(g.CreationTime))
	require.Nil(t, g.RetentionInDays, "new groups never expire")

	_, err = lg.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(51)})
	require.ErrorAs(t, err, &invalid)
	_, err = lg.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{NextToken: aws.String("forged")})
	require.ErrorAs(t, err, &invalid)

	other, err := e.logs(DefaultAccessKey, "eu-west-1").DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	require.NoError(t, err)
	require.Empty(t, other.LogGroups, "log groups are regional")

	_, err = lg.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("other"), RetentionInDays: aws.Int32(365)})
	require.NoError(t, err)
	out, err = lg.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("other")})
	require.NoError(t, err)
	require.Equal(t, int32(365), aws.ToInt32(out.LogGroups[0].RetentionInDays))
	_, err = lg.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("other"), RetentionInDays: aws.Int32(366)})
	require.ErrorAs(t, err, &invalid)
	var notFound *lgtypes.ResourceNotFoundException
	_, err = lg.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("nope"), RetentionInDays: aws.Int32(30)})
	require.ErrorAs(t, err, &notFound)
}

func TestLogsDeleteLogGroup(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	createLogGroup(t, e, trailLogGroup)
	createLogGroup(t, e, "kept")
	lg := e.logs(DefaultAccessKey, "us-east-1")
	_, err := lg.PutMetricFilter(ctx, putFilter("trail-changes", cisPattern))
	require.NoError(t, err)

	_, err = lg.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(trailLogGroup)})
	require.NoError(t, err)
	out, err := lg.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	require.NoError(t, err)
	require.Len(t, out.LogGroups, 1)
	require.Equal(t, "kept", aws.ToString(out.LogGroups[0].LogGroupName))
	filters, err := lg.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{
		MetricName: aws.String("CloudTrailConfigChanges"), MetricNamespace: aws.String("CISBenchmark")})
	require.NoError(t, err)
	require.Empty(t, filters.MetricFilters, "the group's metric filters go with it")

	// A group created again under the name starts empty.
	createLogGroup(t, e, trailLogGroup)
	filters, err = lg.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(trailLogGroup)})
	require.NoError(t, err)
	require.Empty(t, filters.MetricFilters)
}

func TestLogsDeleteLogGroupRejects(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	createLogGroup(t, e, trailLogGroup)
	lg := e.logs(DefaultAccessKey, "us-east-1")

	var notFound *lgtypes.ResourceNotFoundException
	_, err := lg.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("nope")})
	require.ErrorAs(t, err, &notFound)
	require.Equal(t, "The specified log group does not exist.", notFound.ErrorMessage(), "the message of every Logs call on a missing group")
	_, err = e.logs(DefaultAccessKey, "eu-west-1").DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(trailLogGroup)})
	require.ErrorAs(t, err, &notFound, "log groups are regional")
	_, err = e.logs(memberKey, "us-east-1").DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(trailLogGroup)})
	require.ErrorAs(t, err, &notFound, "and belong to one account")
	var invalid *lgtypes.InvalidParameterException
	_, err = lg.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("bad name")})
	require.ErrorAs(t, err, &invalid)

	out, err := lg.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	require.NoError(t, err)
	require.Len(t, out.LogGroups, 1, "rejected deletes delete nothing")
}

// ListTagsForResource returns the tags a log group was created with, by its
// bare ARN (plan reads them to know a group trailwatch created).
func TestLogsListTagsForResource(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	lg := e.logs(DefaultAccessKey, "us-east-1")
	_, err := lg.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("tagged"),
		Tags: map[string]string{"managed-by": "trailwatch", "team": "sec"}})
	require.NoError(t, err)
	createLogGroup(t, e, "plain")

	arn := "arn:aws:logs:us-east-1:111111111111:log-group:tagged"
	out, err := lg.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"managed-by": "trailwatch", "team": "sec"}, out.Tags)
	described, err := lg.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("tagged")})
	require.NoError(t, err)
	require.Equal(t, arn, aws.ToString(described.LogGroups[0].LogGroupArn), "the ARN DescribeLogGroups returns as logGroupArn")

	out, err = lg.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:111111111111:log-group:plain")})
	require.NoError(t, err)
	require.Empty(t, out.Tags)

	var notFound *lgtypes.ResourceNotFoundException
	for name, in := range map[string]struct {
		client *cloudwatchlogs.Client
		arn    string
	}{
		"missing group":   {lg, "arn:aws:logs:us-east-1:111111111111:log-group:nope"},
		"another region":  {e.logs(DefaultAccessKey, "eu-west-1"), arn},
		"another account": {e.logs(memberKey, "us-east-1"), arn},
		"a destination":   {lg, "arn:aws:logs:us-east-1:111111111111:destination:tagged"},
	} {
		_, err = in.client.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(in.arn)})
		require.ErrorAs(t, err, &notFound, name)
	}
	var invalid *lgtypes.InvalidParameterException
	for _, bad := range []string{arn + ":*", "arn:aws:sns:us-east-1:111111111111:tagged", "tagged"} {
		_, err = lg.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(bad)})
		require.ErrorAs(t, err, &invalid, bad)
	}
}

func putFilter(name, pattern string) *cloudwatchlogs.PutMetricFilterInput {
	return &cloudwatchlogs.PutMetricFilterInput{
		LogGroupName: aws.String(trailLogGroup), FilterName: aws.String(name), FilterPattern: aws.String(pattern),
		MetricTransformations: []lgtypes.MetricTransformation{{
			MetricName: aws.String("CloudTrailConfigChanges"), MetricNamespace: aws.String("CISBenchmark"), MetricValue: aws.String("1")}},
	}
}

func TestLogsMetricFilters(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	createLogGroup(t, e, trailLogGroup)
	lg := e.logs(DefaultAccessKey, "us-east-1")

	_, err := lg.PutMetricFilter(ctx, putFilter("trail-changes", cisPattern))
	require.NoError(t, err)
	other := putFilter("other", `{ $.eventSource = "kms.amazonaws.com" }`)
	other.MetricTransformations[0].MetricName = aws.String("KMS")
	other.MetricTransformations[0].Dimensions = map[string]string{"Source": "$.eventSource"}
	other.ApplyOnTransformedLogs = true
	other.FieldSelectionCriteria = aws.String(`@aws.region = "us-east-1"`)
	_, err = lg.PutMetricFilter(ctx, other)
	require.NoError(t, err)

	out, err := lg.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(trailLogGroup)})
	require.NoError(t, err)
	require.Len(t, out.MetricFilters, 2)
	require.Equal(t, "other", aws.ToString(out.MetricFilters[0].FilterName), "filters come in name order")
	require.True(t, out.MetricFilters[0].ApplyOnTransformedLogs)
	require.Equal(t, `@aws.region = "us-east-1"`, aws.ToString(out.MetricFilters[0].FieldSelectionCriteria))
	require.Equal(t, map[string]string{"Source": "$.eventSource"}, out.MetricFilters[0].MetricTransformations[0].Dimensions)
	f := out.MetricFilters[1]
	require.Equal(t, cisPattern, aws.ToString(f.FilterPattern))
	require.Equal(t, trailLogGroup, aws.ToString(f.LogGroupName))
	require.Equal(t, "1", aws.ToString(f.MetricTransformations[0].MetricValue))
	require.False(t, f.ApplyOnTransformedLogs)

	// A put replaces the filter whole.
	replaced := putFilter("trail-changes", `{ $.eventSource = cloudtrail.amazonaws.com }`)
	replaced.MetricTransformations[0].MetricValue = aws.String("$.count")
	_, err = lg.PutMetricFilter(ctx, replaced)
	require.NoError(t, err)

	byMetric, err := lg.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{
		MetricName: aws.String("CloudTrailConfigChanges"), MetricNamespace: aws.String("CISBenchmark")})
	require.NoError(t, err)
	require.Len(t, byMetric.MetricFilters, 1)
	require.Equal(t, `{ $.eventSource = cloudtrail.amazonaws.com }`, aws.ToString(byMetric.MetricFilters[0].FilterPattern))
	require.Equal(t, "$.count", aws.ToString(byMetric.MetricFilters[0].MetricTransformations[0].MetricValue))

	byPrefix, err := lg.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(trailLogGroup), FilterNamePrefix: aws.String("trail-")})
	require.NoError(t, err)
	require.Len(t, byPrefix.MetricFilters, 1)

	var names []string
	p := cloudwatchlogs.NewDescribeMetricFiltersPaginator(lg, &cloudwatchlogs.DescribeMetricFiltersInput{Limit: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		require.Len(t, page.MetricFilters, 1)
		names = append(names, aws.ToString(page.MetricFilters[0].FilterName))
	}
	require.Equal(t, []string{"other", "trail-changes"}, names)

	var notFound *lgtypes.ResourceNotFoundException
	_, err = lg.DeleteMetricFilter(ctx, &cloudwatchlogs.DeleteMetricFilterInput{LogGroupName: aws.String(trailLogGroup), FilterName: aws.String("other")})
	require.NoError(t, err)
	_, err = lg.DeleteMetricFilter(ctx, &cloudwatchlogs.DeleteMetricFilterInput{LogGroupName: aws.String(trailLogGroup), FilterName: aws.String("other")})
	require.ErrorAs(t, err, &notFound)
	_, err = lg.DeleteMetricFilter(ctx, &cloudwatchlogs.DeleteMetricFilterInput{LogGroupName: aws.String("nope"), FilterName: aws.String("x")})
	require.ErrorAs(t, err, &notFound)
}

func TestLogsMetricFilterRejects(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	createLogGroup(t, e, trailLogGroup)
	lg := e.logs(DefaultAccessKey, "us-east-1")

	long := strings.Repeat("a", 1025)
	var invalid *lgtypes.InvalidParameterException
	_, err := lg.PutMetricFilter(ctx, putFilter("long", long))
	require.ErrorAs(t, err, &invalid)
	require.Equal(t, "1 validation error detected: Value '"+long+"' at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to 1024", invalid.ErrorMessage())

	cases := []struct {
		name    string
		edit    func(in *cloudwatchlogs.PutMetricFilterInput)
		message string
	}{
		{"malformed pattern", func(in *cloudwatchlogs.PutMetricFilterInput) {
			in.FilterPattern = aws.String(`{ $.eventName = CreateTrail`)
		}, "Invalid metric filter pattern"},
		{"dimensions on a term pattern", func(in *cloudwatchlogs.PutMetricFilterInput) {
			in.FilterPattern = aws.String("StopLogging")
			in.MetricTransformations[0].Dimensions = map[string]string{"E": "$.eventName"}
		}, "The specified filter pattern does not support dimensions"},
		{"four dimensions", func(in *cloudwatchlogs.PutMetricFilterInput) {
			in.MetricTransformations[0].Dimensions = map[string]string{"A": "$.a", "B": "$.b", "C": "$.c", "D": "$.d"}
		}, ""},
		{"two transformations", func(in *cloudwatchlogs.PutMetricFilterInput) {
			in.MetricTransformations = append(in.MetricTransformations, in.MetricTransformations[0])
		}, ""},
		{"metric name with a colon", func(in *cloudwatchlogs.PutMetricFilterInput) {
			in.MetricTransformations[0].MetricName = aws.String("a:b")
		}, ""},
		{"namespace with a star", func(in *cloudwatchlogs.PutMetricFilterInput) {
			in.MetricTransformations[0].MetricNamespace = aws.String("a*")
		}, ""},
		{"filter name with a colon", func(in *cloudwatchlogs.PutMetricFilterInput) { in.FilterName = aws.String("a:b") }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := putFilter("f", cisPattern)
			tc.edit(in)
			_, err := lg.PutMetricFilter(ctx, in)
			var invalid *lgtypes.InvalidParameterException
			require.ErrorAs(t, err, &invalid)
			if tc.message != "" {
				require.Equal(t, tc.message, invalid.ErrorMessage())
			}
		})
	}

	var notFound *lgtypes.ResourceNotFoundException
	missing := putFilter("f", cisPattern)
	missing.LogGroupName = aws.String("nope")
	_, err = lg.PutMetricFilter(ctx, missing)
	require.ErrorAs(t, err, &notFound)

	_, err = lg.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{FilterNamePrefix: aws.String("f")})
	require.ErrorAs(t, err, &invalid, "filterNamePrefix needs logGroupName")
	_, err = lg.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{MetricName: aws.String("m")})
	require.ErrorAs(t, err, &invalid, "metricName needs metricNamespace")
	_, err = lg.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String("nope")})
	require.ErrorAs(t, err, &notFound)

	// 100 filters per log group; replacing one at the limit still works.
	for i := range 100 {
		_, err := lg.PutMetricFilter(ctx, putFilter(fmt.Sprintf("f%03d", i), cisPattern))
		require.NoError(t, err)
	}
	var limit *lgtypes.LimitExceededException
	_, err = lg.PutMetricFilter(ctx, putFilter("one-too-many", cisPattern))
	require.ErrorAs(t, err, &limit)
	_, err = lg.PutMetricFilter(ctx, putFilter("f000", "StopLogging"))
	require.NoError(t, err)
}

func TestLogsTestMetricFilter(t *testing.T) {
	ctx := context.Background()
	e := startServices(t)
	lg := e.logs(DefaultAccessKey, "us-east-1")
	msgs := []string{
		`{"eventVersion":"1.08","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}`,
		`{"eventVersion":"1.08","eventSource":"kms.amazonaws.com","eventName":"Decrypt"}`,
		`{"eventVersion":"1.08","eventSource":"cloudtrail.amazonaws.com","eventName":"CreateTrail"}`,
	}
	out, err := lg.TestMetricFilter(ctx, &cloudwatchlogs.TestMetricFilterInput{FilterPattern: aws.String(cisPattern), LogEventMessages: msgs})
	require.NoError(t, err)
	require.Len(t, out.Matches, 2)
	require.Equal(t, int64(1), out.Matches[0].EventNumber, "event numbers are 1-based")
	require.Equal(t, msgs[0], aws.ToString(out.Matches[0].EventMessage))
	require.Equal(t, int64(3), out.Matches[1].EventNumber)
	require.Empty(t, out.Matches[1].ExtractedValues)

	// "==" is one of the constructs whose AWS behaviour is unsettled
	// (docs/filter-patterns.md, unsettled constructs): the engine says Unknown, the sandbox no match.
	out, err = lg.TestMetricFilter(ctx, &cloudwatchlogs.TestMetricFilterInput{FilterPattern: aws.String(`{ $.eventName == StopLogging }`), LogEventMessages: msgs})
	require.NoError(t, err)
	require.Empty(t, out.Matches)

	var invalid *lgtypes.InvalidParameterException
	_, err = lg.TestMetricFilter(ctx, &cloudwatchlogs.TestMetricFilterInput{FilterPattern: aws.String(`{ $.x = `), LogEventMessages: msgs})
	require.ErrorAs(t, err, &invalid)
	_, err = lg.TestMetricFilter(ctx, &cloudwatchlogs.TestMetricFilterInput{FilterPattern: aws.String("x"), LogEventMessages: make([]string, 51)})
	require.ErrorAs(t, err, &invalid)
	_, err = lg.TestMetricFilter(ctx, &cloudwatchlogs.TestMetricFilterInput{FilterPattern: aws.String("x"), LogEventMessages: []string{}})
	require.ErrorAs(t, err, &invalid)
}
