package plan_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

// The account: a topic with a confirmed subscriber and no alarm on
// it (the no-alarm scenario), beside topics no one would be told through.
// Through the real SDK, only the first is a candidate, and reading makes
// no write call.
func TestFindTopicCandidatesOnSandbox(t *testing.T) {
	srv, err := sandbox.New(sandbox.Options{Scenario: "no-alarm"})
	require.NoError(t, err)
	running, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { running.Close() })
	cfg, err := awsenv.Load(context.Background(), "", sandbox.DefaultRegion, awsenv.Overrides{
		EndpointURL: running.URL, Isolated: true,
		Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "sandbox", ""),
	})
	require.NoError(t, err)
	c := awsenv.NewClients(cfg)
	ctx := context.Background()
	client := c.SNSClient(sandbox.DefaultRegion)

	listed, err := client.ListTopics(ctx, &sns.ListTopicsInput{})
	require.NoError(t, err)
	require.Len(t, listed.Topics, 1, "the scenario's alert topic")
	alerts := aws.ToString(listed.Topics[0].TopicArn)

	_, err = client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("nobody-listens")})
	require.NoError(t, err)
	denied, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("denies-cloudwatch")})
	require.NoError(t, err)
	_, err = client.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: denied.TopicArn, AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*"}]}`)})
	require.NoError(t, err)
	_, err = client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: denied.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("z@example.com")})
	require.NoError(t, err)
	require.Len(t, srv.ConfirmPendingSubscriptions(), 1)
	pending, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("pending-only")})
	require.NoError(t, err)
	_, err = client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: pending.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("x@example.com")})
	require.NoError(t, err)

	before := srv.Counts()
	got, err := plan.FindTopicCandidates(ctx, client, c.KMSClient(sandbox.DefaultRegion), sandbox.DefaultAccount,
		"arn:aws:cloudwatch:us-east-1:"+sandbox.DefaultAccount+":alarm:trailwatch-cloudtrail-changes")
	require.NoError(t, err)
	require.Equal(t, []plan.TopicCandidate{{ARN: alerts}}, got.Topics)
	require.Equal(t, 4, got.Read)
	require.False(t, got.More)
	require.Empty(t, got.Undecided)
	require.Empty(t, got.Unreadable)
	after := srv.Counts()
	require.Greater(t, after["sns:ListTopics"], before["sns:ListTopics"])
	for op, n := range after {
		if n > before[op] {
			require.Contains(t, []string{"sns:ListTopics", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"}, op, "only reads")
		}
	}
}
