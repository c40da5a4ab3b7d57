package check_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/awsenv"
	"github.com/trailwatch/trailwatch/sandbox"
)

// enforceSSLPolicy is a topic policy as CDK's Topic{enforceSSL: true}
// writes it, after the SNS security best practice "Enforce encryption of
// data in transit": the account's own statement plus a Deny on SNS:Publish
// for every principal when aws:SecureTransport is false.
func enforceSSLPolicy(topicARN, account, principal, op, value string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
		`{"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:Publish","SNS:Subscribe"],"Resource":"%[1]s","Condition":{"StringEquals":{"AWS:SourceOwner":"%[2]s"}}},`+
		`{"Sid":"AllowPublishThroughSSLOnly","Effect":"Deny","Principal":%[3]s,"Action":"sns:Publish","Resource":"%[1]s","Condition":{"%[4]s":{"aws:SecureTransport":"%[5]s"}}}]}`,
		topicARN, account, principal, op, value)
}

// A compliant account whose topic carries the SecureTransport Deny PASSes
// through the real SDK and the sandbox; the same Deny on "true" is MANUAL,
// naming the statement.
func TestSecureTransportDenyPasses(t *testing.T) {
	for _, tc := range []struct {
		name, principal, op, value string
		want                       check.Status
	}{
		{"CDK enforceSSL, any principal", `"*"`, "Bool", "false", check.Pass},
		{"AWS star principal, BoolIfExists", `{"AWS":"*"}`, "BoolIfExists", "false", check.Pass},
		{"Deny on secure transport", `"*"`, "Bool", "true", check.Manual},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := sandbox.New(sandbox.Options{Scenario: "compliant"})
			require.NoError(t, err)
			running, err := srv.Start("127.0.0.1:0")
			require.NoError(t, err)
			t.Cleanup(func() { running.Close() })
			cfg, err := awsenv.Load(context.Background(), "", sandbox.DefaultRegion, awsenv.Overrides{
				EndpointURL: running.URL, Isolated: true,
				Credentials: credentials.NewStaticCredentialsProvider(sandbox.DefaultAccessKey, "sandbox", ""),
			})
			require.NoError(t, err)
			clients := awsenv.NewClients(cfg)

			ctx := context.Background()
			topics, err := clients.SNSClient(sandbox.DefaultRegion).ListTopics(ctx, &sns.ListTopicsInput{})
			require.NoError(t, err)
			require.Len(t, topics.Topics, 1)
			arn := aws.ToString(topics.Topics[0].TopicArn)
			policy := enforceSSLPolicy(arn, sandbox.DefaultAccount, tc.principal, tc.op, tc.value)
			_, err = clients.SNSClient(sandbox.DefaultRegion).SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
				TopicArn: aws.String(arn), AttributeName: aws.String("Policy"), AttributeValue: aws.String(policy)})
			require.NoError(t, err)

			rep := check.Run(ctx, []check.Target{{Profile: "sandbox", Region: cfg.Region, Clients: clients}}, check.Options{
				Parallel: 1, Tool: check.Tool{Name: "trailwatch", Version: "test"}, Now: time.Now})
			require.Len(t, rep.Results, 1)
			r := rep.Results[0]
			require.Equal(t, tc.want, r.Status, r.Message)
			if tc.want == check.Manual {
				require.Contains(t, r.Message, "AllowPublishThroughSSLOnly")
			}
		})
	}
}
