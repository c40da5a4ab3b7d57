package sandbox

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/require"
)

func TestKMSKeys(t *testing.T) {
	_, url := startSandbox(t, "topic-key-with-cloudwatch")
	c := ctx(t)
	k := kms.NewFromConfig(sdkConfig(url, DefaultAccessKey))

	// The AWS managed key for SNS exists once asked for, by alias name or ARN.
	managed, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String(awsManagedSNSAlias)})
	require.NoError(t, err)
	require.Equal(t, kmstypes.KeyManagerTypeAws, managed.KeyMetadata.KeyManager)
	again, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String("arn:aws:kms:us-east-1:" + DefaultAccount + ":alias/aws/sns")})
	require.NoError(t, err)
	require.Equal(t, aws.ToString(managed.KeyMetadata.KeyId), aws.ToString(again.KeyMetadata.KeyId), "one managed key per account and region")

	// A customer managed key, by key ID, by ARN; its policy by ID.
	created, err := k.CreateKey(c, &kms.CreateKeyInput{Description: aws.String("test")})
	require.NoError(t, err)
	require.Equal(t, kmstypes.KeyManagerTypeCustomer, created.KeyMetadata.KeyManager)
	require.Equal(t, kmstypes.KeyStateEnabled, created.KeyMetadata.KeyState)
	byARN, err := k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: created.KeyMetadata.Arn})
	require.NoError(t, err)
	require.Equal(t, aws.ToString(created.KeyMetadata.KeyId), aws.ToString(byARN.KeyMetadata.KeyId))
	pol, err := k.GetKeyPolicy(c, &kms.GetKeyPolicyInput{KeyId: created.KeyMetadata.KeyId})
	require.NoError(t, err)
	require.True(t, json.Valid([]byte(aws.ToString(pol.Policy))))
	require.Contains(t, aws.ToString(pol.Policy), `"arn:aws:iam::`+DefaultAccount+`:root"`, "the default key policy admits the account")
	require.Equal(t, "default", aws.ToString(pol.PolicyName))

	var notFound *kmstypes.NotFoundException
	_, err = k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String("alias/nobody")})
	require.ErrorAs(t, err, &notFound)
	_, err = k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String("00000000-0000-0000-0000-000000000000")})
	require.ErrorAs(t, err, &notFound)
	_, err = k.GetKeyPolicy(c, &kms.GetKeyPolicyInput{KeyId: aws.String(awsManagedSNSAlias)})
	require.ErrorAs(t, err, &notFound, "GetKeyPolicy takes a key ID or ARN, not an alias")
	_, err = k.GetKeyPolicy(c, &kms.GetKeyPolicyInput{KeyId: created.KeyMetadata.KeyId, PolicyName: aws.String("other")})
	require.ErrorAs(t, err, &notFound)

	// Another account's key is not the caller's to read.
	_, err = k.DescribeKey(c, &kms.DescribeKeyInput{KeyId: aws.String("arn:aws:kms:us-east-1:999999999999:key/" + aws.ToString(created.KeyMetadata.KeyId))})
	require.ErrorAs(t, err, &notFound)
}

func TestTestMetricFilterAnswerOverride(t *testing.T) {
	s, url := startSandbox(t, "")
	c := ctx(t)
	lg := cloudwatchlogs.NewFromConfig(sdkConfig(url, DefaultAccessKey))
	msgs := []string{`{"eventName":"StopLogging"}`, `{"eventName":"Decrypt"}`}
	count := func() int {
		out, err := lg.TestMetricFilter(c, &cloudwatchlogs.TestMetricFilterInput{FilterPattern: aws.String(cisPattern), LogEventMessages: msgs})
		require.NoError(t, err)
		return len(out.Matches)
	}
	require.Equal(t, 1, count())
	require.NoError(t, s.SetTestMetricFilterAnswer("none"))
	require.Equal(t, 0, count())
	require.NoError(t, s.SetTestMetricFilterAnswer("all"))
	require.Equal(t, 2, count())
	require.Error(t, s.SetTestMetricFilterAnswer("sometimes"))
	require.Error(t, s.LoadState([]byte(`{"accounts":{},"testMetricFilterAnswer":"maybe"}`)))
}

// KMS answers a throttle and a refusal with its own codes, which the SDK
// retries and does not retry.
func TestKMSFaults(t *testing.T) {
	s, url := startSandbox(t, "")
	k := kms.NewFromConfig(sdkConfig(url, DefaultAccessKey))
	in := &kms.DescribeKeyInput{KeyId: aws.String(awsManagedSNSAlias)}

	s.SetFaults(Faults{ThrottleRate: 1})
	_, err := k.DescribeKey(ctx(t), in)
	require.Equal(t, "ThrottlingException", apiCode(err))
	require.Greater(t, s.Counts()["kms:DescribeKey"], 1, "throttling is retried")

	s.SetFaults(Faults{AccessDenied: []DeniedOperation{{Operation: "kms:DescribeKey"}}})
	before := s.Counts()["kms:DescribeKey"]
	_, err = k.DescribeKey(ctx(t), in)
	require.Equal(t, "AccessDeniedException", apiCode(err))
	require.Equal(t, before+1, s.Counts()["kms:DescribeKey"], "access denied is not retried")
}

func TestKMSCreateKeyRefusesMalformedPolicy(t *testing.T) {
	_, url := startSandbox(t, "")
	_, err := kms.NewFromConfig(sdkConfig(url, DefaultAccessKey)).CreateKey(ctx(t), &kms.CreateKeyInput{Policy: aws.String("not a policy")})
	var malformed *kmstypes.MalformedPolicyDocumentException
	require.ErrorAs(t, err, &malformed)
	require.Empty(t, malformed.ErrorMessage(), "KMS names no reason for a policy that is not JSON")
}
