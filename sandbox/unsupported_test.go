package sandbox

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

// An operation AWS has but the sandbox does not emulate is refused with the
// code AWS gives an unknown operation, naming it (and, for Query services,
// the API version the caller sent).
func TestUnsupportedOperationsNameThemselves(t *testing.T) {
	_, url := serveSandbox(t, "")
	cfg := sdkConfig(url, DefaultAccessKey)

	_, err := sns.NewFromConfig(cfg).GetSMSAttributes(ctx(t), &sns.GetSMSAttributesInput{})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, "InvalidAction", ae.ErrorCode())
	require.Equal(t, "The sandbox does not emulate GetSMSAttributes (service sns, version 2010-03-31); docs/sandbox.md lists the operations it serves", ae.ErrorMessage())

	// CloudWatch's SDK speaks CBOR, where AWS's code for it is another.
	_, err = cloudwatch.NewFromConfig(cfg).SetAlarmState(ctx(t), &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String("a"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("test")})
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, "UnknownOperationException", ae.ErrorCode())
	require.Contains(t, ae.ErrorMessage(), "does not emulate SetAlarmState (service monitoring)")

	_, err = cloudwatchlogs.NewFromConfig(cfg).DeleteRetentionPolicy(ctx(t), &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("g")})
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, "UnknownOperationException", ae.ErrorCode())
	require.Contains(t, ae.ErrorMessage(), "does not emulate DeleteRetentionPolicy (service logs)")
}
