package plan

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"
)

// View keeps exactly what the SDK sends: two requests that differ on the
// wire never look alike.
func TestViewKeepsWhatIsSent(t *testing.T) {
	for name, tc := range map[string]struct {
		in   any
		want map[string]any
	}{
		"nil pointers and slices are not sent": {&cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("a")}, map[string]any{"AlarmName": "a"}},
		"a pointer to a zero value is sent": {&cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(""), ActionsEnabled: aws.Bool(false), Threshold: aws.Float64(0)},
			map[string]any{"AlarmName": "", "ActionsEnabled": false, "Threshold": float64(0)}},
		"an empty list clears, so it is sent": {&cloudwatch.PutMetricAlarmInput{AlarmActions: []string{}}, map[string]any{"AlarmActions": []any{}}},
		"a value-typed zero is not sent, a set one is": {&sns.SubscribeInput{ReturnSubscriptionArn: false, Protocol: aws.String("email")},
			map[string]any{"Protocol": "email"}},
		"enums as their wire value, nested members pruned": {&cloudwatch.PutMetricAlarmInput{Statistic: cwtypes.StatisticSum,
			Dimensions: []cwtypes.Dimension{{Name: aws.String("TrailName")}}},
			map[string]any{"Statistic": "Sum", "Dimensions": []any{map[string]any{"Name": "TrailName"}}}},
		"clearing a trail's log group is visible": {&cloudtrail.UpdateTrailInput{Name: aws.String("t"), CloudWatchLogsLogGroupArn: aws.String("")},
			map[string]any{"Name": "t", "CloudWatchLogsLogGroupArn": ""}},
	} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, View(tc.in))
		})
	}
}

// TargetOf names what the request writes, so a target edited apart from
// its request is caught.
func TestTargetOf(t *testing.T) {
	const acct = "111111111111"
	for name, tc := range map[string]struct {
		c    Change
		in   any
		want string
	}{
		"topic":        {Change{Region: "eu-west-1", Target: "arn:aws:sns:eu-west-1:111111111111:x"}, &sns.CreateTopicInput{Name: aws.String("t")}, "arn:aws:sns:eu-west-1:111111111111:t"},
		"china topic":  {Change{Region: "cn-north-1", Target: "arn:aws-cn:sns:cn-north-1:111111111111:t"}, &sns.CreateTopicInput{Name: aws.String("t")}, "arn:aws-cn:sns:cn-north-1:111111111111:t"},
		"subscription": {Change{}, &sns.SubscribeInput{TopicArn: aws.String("arn:t"), Protocol: aws.String("email"), Endpoint: aws.String("a@b.c")}, "arn:t ← email:a@b.c"},
		"role with a path kept": {Change{Target: "arn:aws:iam::111111111111:role/ops/r"}, &iam.PutRolePolicyInput{RoleName: aws.String("r")},
			"arn:aws:iam::111111111111:role/ops/r"},
		"role renamed in the request": {Change{Target: "arn:aws:iam::111111111111:role/ops/r"}, &iam.PutRolePolicyInput{RoleName: aws.String("other")},
			"arn:aws:iam::111111111111:role/other"},
		"alarm": {Change{}, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("a")}, "a"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := TargetOf(acct, tc.c, tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
