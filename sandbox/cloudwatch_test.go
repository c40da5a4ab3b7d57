package sandbox

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/stretchr/testify/require"
)

// cwProtocols are the three wire protocols CloudWatch speaks: the Go SDK's
// default rpc-v2-cbor, JSON 1.0 and Query (what the AWS CLI uses).
var cwProtocols = []struct {
	name string
	set  func(o *cloudwatch.Options)
}{
	{"cbor", func(*cloudwatch.Options) {}},
	{"json1.0", func(o *cloudwatch.Options) { o.Protocol = awsjson.New10(schemas.GraniteServiceVersion20100801) }},
	{"query", func(o *cloudwatch.Options) { o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801) }},
}

// forEachProtocol runs f against a fresh sandbox once per protocol.
func forEachProtocol(t *testing.T, f func(t *testing.T, e *svcEnv, cw *cloudwatch.Client)) {
	for _, p := range cwProtocols {
		t.Run(p.name, func(t *testing.T) {
			e := startServices(t)
			f(t, e, cloudwatch.NewFromConfig(e.config(DefaultAccessKey, "us-east-1"), p.set))
		})
	}
}

const topicArn = "arn:aws:sns:us-east-1:111111111111:alerts"

func cisAlarm(name string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name), MetricName: aws.String("CloudTrailConfigChanges"), Namespace: aws.String("CISBenchmark"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, AlarmActions: []string{topicArn},
	}
}

func TestCloudWatchAlarmRoundTrip(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, _ *svcEnv, cw *cloudwatch.Client) {
		ctx := context.Background()
		in := cisAlarm("trail-changes")
		in.AlarmDescription = aws.String("CloudTrail configuration changed")
		in.OKActions = []string{topicArn}
		in.Dimensions = []cwtypes.Dimension{{Name: aws.String("TrailName"), Value: aws.String("main")}}
		in.Unit = cwtypes.StandardUnitCount
		in.TreatMissingData = aws.String("notBreaching")
		in.DatapointsToAlarm = aws.Int32(1)
		in.Tags = []cwtypes.Tag{{Key: aws.String("managed-by"), Value: aws.String("trailwatch")}}
		_, err := cw.PutMetricAlarm(ctx, in)
		require.NoError(t, err)

		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"trail-changes"}})
		require.NoError(t, err)
		require.Len(t, out.MetricAlarms, 1)
		a := out.MetricAlarms[0]
		arn := "arn:aws:cloudwatch:us-east-1:111111111111:alarm:trail-changes"
		require.Equal(t, arn, aws.ToString(a.AlarmArn))
		require.Equal(t, "CloudTrail configuration changed", aws.ToString(a.AlarmDescription))
		require.True(t, aws.ToBool(a.ActionsEnabled), "actions are enabled by default")
		require.Equal(t, []string{topicArn}, a.AlarmActions)
		require.Equal(t, []string{topicArn}, a.OKActions)
		require.Empty(t, a.InsufficientDataActions)
		require.Equal(t, cwtypes.StateValueInsufficientData, a.StateValue)
		require.WithinDuration(t, testNow, aws.ToTime(a.AlarmConfigurationUpdatedTimestamp), 0)
		require.Equal(t, "CloudTrailConfigChanges", aws.ToString(a.MetricName))
		require.Equal(t, "CISBenchmark", aws.ToString(a.Namespace))
		require.Equal(t, cwtypes.StatisticSum, a.Statistic)
		require.Equal(t, int32(300), aws.ToInt32(a.Period))
		require.Equal(t, int32(1), aws.ToInt32(a.EvaluationPeriods))
		require.Equal(t, int32(1), aws.ToInt32(a.DatapointsToAlarm))
		require.Equal(t, 1.0, aws.ToFloat64(a.Threshold))
		require.Equal(t, cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, a.ComparisonOperator)
		require.Equal(t, "notBreaching", aws.ToString(a.TreatMissingData))
		require.Equal(t, cwtypes.StandardUnitCount, a.Unit)
		require.Equal(t, []cwtypes.Dimension{{Name: aws.String("TrailName"), Value: aws.String("main")}}, a.Dimensions)

		// An update replaces the configuration whole; tags stay as created.
		update := cisAlarm("trail-changes")
		update.ActionsEnabled = aws.Bool(false)
		update.Tags = []cwtypes.Tag{{Key: aws.String("ignored"), Value: aws.String("on update")}}
		_, err = cw.PutMetricAlarm(ctx, update)
		require.NoError(t, err)
		out, err = cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		require.NoError(t, err)
		a = out.MetricAlarms[0]
		require.False(t, aws.ToBool(a.ActionsEnabled))
		require.Nil(t, a.AlarmDescription)
		require.Empty(t, a.OKActions)
		require.Empty(t, a.Dimensions)
		require.Nil(t, a.DatapointsToAlarm)

		tags, err := cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
		require.NoError(t, err)
		require.Equal(t, []cwtypes.Tag{{Key: aws.String("managed-by"), Value: aws.String("trailwatch")}}, tags.Tags)
		var notFound *cwtypes.ResourceNotFoundException
		_, err = cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn + "x")})
		require.ErrorAs(t, err, &notFound)
	})
}

func TestCloudWatchMetricMathAlarm(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, _ *svcEnv, cw *cloudwatch.Client) {
		ctx := context.Background()
		_, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String("math"), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold,
			Metrics: []cwtypes.MetricDataQuery{
				{Id: aws.String("m1"), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String("CISBenchmark"), MetricName: aws.String("CloudTrailConfigChanges")},
					Period: aws.Int32(60), Stat: aws.String("Sum")}},
				{Id: aws.String("e1"), Expression: aws.String("m1 * 2"), ReturnData: aws.Bool(true)},
			},
		})
		require.NoError(t, err)
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		require.NoError(t, err)
		ms := out.MetricAlarms[0].Metrics
		require.Len(t, ms, 2)
		require.Equal(t, int32(60), aws.ToInt32(ms[0].MetricStat.Period))
		require.Equal(t, "CloudTrailConfigChanges", aws.ToString(ms[0].MetricStat.Metric.MetricName))
		require.False(t, aws.ToBool(ms[0].ReturnData))
		require.Equal(t, "m1 * 2", aws.ToString(ms[1].Expression))
		require.Nil(t, out.MetricAlarms[0].MetricName)

		// A metric-math alarm is not an alarm "for" the metric it reads.
		forMetric, err := cw.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{
			MetricName: aws.String("CloudTrailConfigChanges"), Namespace: aws.String("CISBenchmark")})
		require.NoError(t, err)
		require.Empty(t, forMetric.MetricAlarms)
	})
}

func TestCloudWatchPutMetricAlarmRejects(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, _ *svcEnv, cw *cloudwatch.Client) {
		var (
			validation  *cwtypes.ValidationException
			value       *cwtypes.InvalidParameterValueException
			combination *cwtypes.InvalidParameterCombinationException
			missing     *cwtypes.MissingRequiredParameterException
		)
		six := []string{topicArn, topicArn, topicArn, topicArn, topicArn, topicArn}
		cases := []struct {
			name string
			edit func(in *cloudwatch.PutMetricAlarmInput)
			want any
		}{
			{"six alarm actions", func(in *cloudwatch.PutMetricAlarmInput) { in.AlarmActions = six }, &validation},
			{"six OK actions", func(in *cloudwatch.PutMetricAlarmInput) { in.OKActions = six }, &validation},
			{"not an ARN", func(in *cloudwatch.PutMetricAlarmInput) { in.AlarmActions = []string{"alerts"} }, &value},
			{"name too long", func(in *cloudwatch.PutMetricAlarmInput) { in.AlarmName = aws.String(strings.Repeat("a", 256)) }, &validation},
			{"metrics and metric name", func(in *cloudwatch.PutMetricAlarmInput) {
				in.Metrics = []cwtypes.MetricDataQuery{{Id: aws.String("e1"), Expression: aws.String("1")}}
			}, &combination},
			{"statistic and extended statistic", func(in *cloudwatch.PutMetricAlarmInput) { in.ExtendedStatistic = aws.String("p99") }, &combination},
			{"no statistic", func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic = "" }, &combination},
			{"no threshold", func(in *cloudwatch.PutMetricAlarmInput) { in.Threshold = nil }, &missing},
			{"period 45", func(in *cloudwatch.PutMetricAlarmInput) { in.Period = aws.Int32(45) }, &value},
			{"longer than a day", func(in *cloudwatch.PutMetricAlarmInput) {
				in.Period, in.EvaluationPeriods = aws.Int32(3600), aws.Int32(25)
			}, &value},
			{"zero evaluation periods", func(in *cloudwatch.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(0) }, &validation},
			{"datapoints above periods", func(in *cloudwatch.PutMetricAlarmInput) { in.DatapointsToAlarm = aws.Int32(2) }, &validation},
			{"bad comparison", func(in *cloudwatch.PutMetricAlarmInput) { in.ComparisonOperator = "Above" }, &validation},
			{"bad missing-data treatment", func(in *cloudwatch.PutMetricAlarmInput) { in.TreatMissingData = aws.String("sometimes") }, &value},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := cisAlarm("rejected")
				tc.edit(in)
				_, err := cw.PutMetricAlarm(context.Background(), in)
				require.ErrorAs(t, err, tc.want)
			})
		}
		out, err := cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{})
		require.NoError(t, err)
		require.Empty(t, out.MetricAlarms)
	})
}

func TestCloudWatchDescribeAlarms(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *svcEnv, cw *cloudwatch.Client) {
		ctx := context.Background()
		for i := range 5 {
			in := cisAlarm(fmt.Sprintf("alarm-%d", i))
			if i == 4 {
				in.AlarmName = aws.String("other")
				in.AlarmActions = []string{"arn:aws:sns:us-east-1:111111111111:pager"}
			}
			_, err := cw.PutMetricAlarm(ctx, in)
			require.NoError(t, err)
		}
		e.update(func(st *state) { st.account(DefaultAccount).region("us-east-1").Alarms["alarm-2"].StateValue = "ALARM" })

		names := func(in *cloudwatch.DescribeAlarmsInput) []string {
			t.Helper()
			var got []string
			p := cloudwatch.NewDescribeAlarmsPaginator(cw, in)
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				require.NoError(t, err)
				require.Empty(t, out.CompositeAlarms)
				for _, a := range out.MetricAlarms {
					got = append(got, aws.ToString(a.AlarmName))
				}
			}
			return got
		}
		require.Equal(t, []string{"alarm-0", "alarm-1", "alarm-2", "alarm-3", "other"}, names(&cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(2)}))
		require.Equal(t, []string{"alarm-1", "other"}, names(&cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"other", "alarm-1", "missing"}}))
		require.Equal(t, []string{"alarm-0", "alarm-1", "alarm-2", "alarm-3"}, names(&cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("alarm-")}))
		require.Equal(t, []string{"alarm-2"}, names(&cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm}))
		require.Equal(t, []string{"other"}, names(&cloudwatch.DescribeAlarmsInput{ActionPrefix: aws.String("arn:aws:sns:us-east-1:111111111111:pa")}))
		require.Empty(t, names(&cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeCompositeAlarm}}))
		require.Len(t, names(&cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}}), 5)

		var (
			validation  *cwtypes.ValidationException
			combination *cwtypes.InvalidParameterCombinationException
			badToken    *cwtypes.InvalidNextToken
		)
		_, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(101)})
		require.ErrorAs(t, err, &validation)
		_, err = cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("a")})
		require.ErrorAs(t, err, &combination)
		_, err = cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{NextToken: aws.String("forged")})
		require.ErrorAs(t, err, &badToken)
	})
}

func TestCloudWatchDescribeAlarmsForMetric(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, _ *svcEnv, cw *cloudwatch.Client) {
		ctx := context.Background()
		_, err := cw.PutMetricAlarm(ctx, cisAlarm("plain"))
		require.NoError(t, err)
		trailDim := []cwtypes.Dimension{{Name: aws.String("TrailName"), Value: aws.String("main")}}
		withDim := cisAlarm("per-trail")
		withDim.Dimensions = trailDim
		_, err = cw.PutMetricAlarm(ctx, withDim)
		require.NoError(t, err)
		avg := cisAlarm("average")
		avg.Statistic, avg.Period = cwtypes.StatisticAverage, aws.Int32(60)
		_, err = cw.PutMetricAlarm(ctx, avg)
		require.NoError(t, err)

		find := func(in *cloudwatch.DescribeAlarmsForMetricInput) []string {
			t.Helper()
			in.MetricName, in.Namespace = aws.String("CloudTrailConfigChanges"), aws.String("CISBenchmark")
			out, err := cw.DescribeAlarmsForMetric(ctx, in)
			require.NoError(t, err)
			var got []string
			for _, a := range out.MetricAlarms {
				got = append(got, aws.ToString(a.AlarmName))
			}
			return got
		}
		require.Equal(t, []string{"average", "plain"}, find(&cloudwatch.DescribeAlarmsForMetricInput{}), "no dimensions asked: only dimensionless alarms")
		require.Equal(t, []string{"per-trail"}, find(&cloudwatch.DescribeAlarmsForMetricInput{Dimensions: trailDim}))
		require.Equal(t, []string{"plain"}, find(&cloudwatch.DescribeAlarmsForMetricInput{Statistic: cwtypes.StatisticSum}))
		require.Equal(t, []string{"average"}, find(&cloudwatch.DescribeAlarmsForMetricInput{Period: aws.Int32(60)}))
		require.Empty(t, find(&cloudwatch.DescribeAlarmsForMetricInput{Unit: cwtypes.StandardUnitCount}))

		out, err := cw.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{MetricName: aws.String("CloudTrailConfigChanges"), Namespace: aws.String("Other")})
		require.NoError(t, err)
		require.Empty(t, out.MetricAlarms)
	})
}

func TestCloudWatchDeleteAlarms(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, _ *svcEnv, cw *cloudwatch.Client) {
		ctx := context.Background()
		for _, n := range []string{"a", "b"} {
			_, err := cw.PutMetricAlarm(ctx, cisAlarm(n))
			require.NoError(t, err)
		}
		var validation *cwtypes.ValidationException
		_, err := cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: make([]string, 101)})
		require.ErrorAs(t, err, &validation)
		var notFound *cwtypes.ResourceNotFound
		_, err = cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"a", "missing"}})
		require.ErrorAs(t, err, &notFound)
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		require.NoError(t, err)
		require.Len(t, out.MetricAlarms, 1, "the correct names are deleted all the same")
		require.Equal(t, "b", aws.ToString(out.MetricAlarms[0].AlarmName))

		_, err = cw.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"b"}})
		require.NoError(t, err)
		out, err = cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		require.NoError(t, err)
		require.Empty(t, out.MetricAlarms)
	})
}
