package sandbox

import (
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

// apiCode is the AWS error code the SDK surfaced, or "" for no API error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSTSGetCallerIdentity(t *testing.T) {
	_, endpoint := startSandbox(t, "")
	out, err := sts.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey)).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	require.Equal(t, DefaultAccount, aws.ToString(out.Account))
	require.Equal(t, "arn:aws:iam::111111111111:user/sandbox", aws.ToString(out.Arn))
}

func TestUnknownAccessKeyIsRejectedPerProtocol(t *testing.T) {
	_, endpoint := startSandbox(t, "")
	cfg := sdkConfig(endpoint, "AKIAUNKNOWN000000000")
	_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	require.Equal(t, "InvalidClientTokenId", apiCode(err), "Query services: %v", err)
	_, err = organizations.NewFromConfig(cfg).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	require.Equal(t, "UnrecognizedClientException", apiCode(err), "JSON services: %v", err)
}

func TestAssumeRoleReachesTheMemberAccount(t *testing.T) {
	_, endpoint := startSandbox(t, "organization")
	ctx := ctx(t)
	client := sts.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey))
	roleARN := "arn:aws:iam::" + MemberAccount + ":role/" + OrgAccessRole
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("audit")})
	require.NoError(t, err)
	require.Equal(t, "arn:aws:sts::222222222222:assumed-role/OrganizationAccountAccessRole/audit", aws.ToString(out.AssumedRoleUser.Arn))
	require.Equal(t, testNow.Add(3600e9), aws.ToTime(out.Credentials.Expiration))

	member := sdkConfig(endpoint, "")
	member.Credentials = credentials.NewStaticCredentialsProvider(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	who, err := sts.NewFromConfig(member).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	require.Equal(t, MemberAccount, aws.ToString(who.Account))
	require.Equal(t, aws.ToString(out.AssumedRoleUser.Arn), aws.ToString(who.Arn))

	for name, in := range map[string]*sts.AssumeRoleInput{
		"role that does not exist": {RoleArn: aws.String("arn:aws:iam::222222222222:role/Nope"), RoleSessionName: aws.String("audit")},
		"account not in sandbox":   {RoleArn: aws.String("arn:aws:iam::999999999999:role/" + OrgAccessRole), RoleSessionName: aws.String("audit")},
	} {
		_, err := client.AssumeRole(ctx, in)
		require.Equal(t, "AccessDenied", apiCode(err), "%s: %v", name, err)
	}
	_, err = client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("audit"), DurationSeconds: aws.Int32(60)})
	require.Equal(t, "ValidationError", apiCode(err), "%v", err)
}

func TestOrganizationsDescribeOrganization(t *testing.T) {
	_, endpoint := startSandbox(t, "organization")
	out, err := organizations.NewFromConfig(sdkConfig(endpoint, AccessKeyFor(MemberAccount))).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	require.NoError(t, err)
	require.Equal(t, DefaultAccount, aws.ToString(out.Organization.MasterAccountId))
	require.Equal(t, "o-sandbox0001", aws.ToString(out.Organization.Id))

	_, endpoint = startSandbox(t, "")
	_, err = organizations.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey)).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	var notInUse *orgtypes.AWSOrganizationsNotInUseException
	require.ErrorAs(t, err, &notInUse)
}

const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func TestIAMRoleLifecycle(t *testing.T) {
	_, endpoint := startSandbox(t, "")
	ctx := ctx(t)
	client := iam.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey))

	created, err := client.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("trailwatch-logs"), AssumeRolePolicyDocument: aws.String(trustPolicy),
		Tags: []iamtypes.Tag{{Key: aws.String("created-by"), Value: aws.String("trailwatch")}},
	})
	require.NoError(t, err)
	require.Equal(t, "arn:aws:iam::111111111111:role/trailwatch-logs", aws.ToString(created.Role.Arn))

	got, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("trailwatch-logs")})
	require.NoError(t, err)
	// IAM returns policy documents URL-encoded.
	doc, err := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	require.NoError(t, err)
	require.Equal(t, trustPolicy, doc)
	require.Equal(t, []iamtypes.Tag{{Key: aws.String("created-by"), Value: aws.String("trailwatch")}}, got.Role.Tags)
	require.Equal(t, testNow, aws.ToTime(got.Role.CreateDate))

	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:g:*"}]}`
	_, err = client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("trailwatch-logs"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(policy)})
	require.NoError(t, err)
	gotPolicy, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("trailwatch-logs"), PolicyName: aws.String("logs")})
	require.NoError(t, err)
	doc, err = url.QueryUnescape(aws.ToString(gotPolicy.PolicyDocument))
	require.NoError(t, err)
	require.Equal(t, policy, doc)

	var conflict *iamtypes.DeleteConflictException
	_, err = client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("trailwatch-logs")})
	require.ErrorAs(t, err, &conflict, "a role with inline policies cannot be deleted")
	_, err = client.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("trailwatch-logs"), PolicyName: aws.String("logs")})
	require.NoError(t, err)
	_, err = client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("trailwatch-logs")})
	require.NoError(t, err)
	var noSuch *iamtypes.NoSuchEntityException
	_, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("trailwatch-logs")})
	require.ErrorAs(t, err, &noSuch)
}

func TestIAMErrors(t *testing.T) {
	_, endpoint := startSandbox(t, "")
	ctx := ctx(t)
	client := iam.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey))
	_, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	require.NoError(t, err)

	var exists *iamtypes.EntityAlreadyExistsException
	_, err = client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("R"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	require.ErrorAs(t, err, &exists, "role names are case-insensitive")

	var malformed *iamtypes.MalformedPolicyDocumentException
	_, err = client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("s"), AssumeRolePolicyDocument: aws.String("{not json")})
	require.ErrorAs(t, err, &malformed)
	_, err = client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p"), PolicyDocument: aws.String("[]")})
	require.ErrorAs(t, err, &malformed)

	_, err = client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad name"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	require.Equal(t, "ValidationError", apiCode(err), "%v", err)

	var noSuch *iamtypes.NoSuchEntityException
	_, err = client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("missing"), PolicyName: aws.String("p"), PolicyDocument: aws.String(trustPolicy)})
	require.ErrorAs(t, err, &noSuch)
	_, err = client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("missing")})
	require.ErrorAs(t, err, &noSuch)
	_, err = client.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("missing")})
	require.ErrorAs(t, err, &noSuch)
}

func TestSNSTopics(t *testing.T) {
	_, endpoint := startSandbox(t, "")
	ctx := ctx(t)
	client := sns.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey))

	in := &sns.CreateTopicInput{Name: aws.String("alerts"), Attributes: map[string]string{"DisplayName": "Alerts"},
		Tags: []snstypes.Tag{{Key: aws.String("created-by"), Value: aws.String("trailwatch")}}}
	first, err := client.CreateTopic(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "arn:aws:sns:us-east-1:111111111111:alerts", aws.ToString(first.TopicArn))
	again, err := client.CreateTopic(ctx, in)
	require.NoError(t, err, "CreateTopic is idempotent for the same attributes")
	require.Equal(t, first.TopicArn, again.TopicArn)

	var invalid *snstypes.InvalidParameterException
	_, err = client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts"), Attributes: map[string]string{"DisplayName": "Other"}})
	require.ErrorAs(t, err, &invalid)
	require.Contains(t, err.Error(), "Topic already exists with different attributes")
	_, err = client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("no spaces")})
	require.ErrorAs(t, err, &invalid)

	attrs, err := client.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: first.TopicArn})
	require.NoError(t, err)
	require.Equal(t, "Alerts", attrs.Attributes["DisplayName"])
	require.Equal(t, DefaultAccount, attrs.Attributes["Owner"])
	require.Contains(t, attrs.Attributes["Policy"], `"Resource":"arn:aws:sns:us-east-1:111111111111:alerts"`)

	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"SNS:Publish","Resource":"*"}]}`
	_, err = client.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: first.TopicArn, AttributeName: aws.String("Policy"), AttributeValue: aws.String(policy)})
	require.NoError(t, err)
	attrs, err = client.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: first.TopicArn})
	require.NoError(t, err)
	require.Equal(t, policy, attrs.Attributes["Policy"])
	_, err = client.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: first.TopicArn, AttributeName: aws.String("Colour"), AttributeValue: aws.String("red")})
	require.ErrorAs(t, err, &invalid)

	var notFound *snstypes.NotFoundException
	missing := aws.String("arn:aws:sns:us-east-1:111111111111:missing")
	_, err = client.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: missing})
	require.ErrorAs(t, err, &notFound)
	_, err = client.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: missing, AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("x")})
	require.ErrorAs(t, err, &notFound)

	_, err = client.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: first.TopicArn})
	require.NoError(t, err)
	_, err = client.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: first.TopicArn})
	require.ErrorAs(t, err, &notFound)
}

func TestSNSListTopicsPaginates(t *testing.T) {
	s, endpoint := startSandbox(t, "")
	client := sns.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey))
	for i := range 150 {
		_, err := client.CreateTopic(ctx(t), &sns.CreateTopicInput{Name: aws.String(fmt.Sprintf("t%03d", i))})
		require.NoError(t, err)
	}
	var arns []string
	fetched := 0
	pages := sns.NewListTopicsPaginator(client, &sns.ListTopicsInput{})
	for pages.HasMorePages() {
		fetched++
		p, err := pages.NextPage(ctx(t))
		require.NoError(t, err)
		require.LessOrEqual(t, len(p.Topics), 100)
		for _, topic := range p.Topics {
			arns = append(arns, aws.ToString(topic.TopicArn))
		}
	}
	require.Len(t, arns, 150)
	require.Equal(t, "arn:aws:sns:us-east-1:111111111111:t149", arns[149])
	// Pages, not requests: under load the SDK's retryer may repeat one.
	require.Equal(t, 2, fetched)
	require.GreaterOrEqual(t, s.Counts()["sns:ListTopics"], 2)

	_, err := client.ListTopics(ctx(t), &sns.ListTopicsInput{NextToken: aws.String("garbage")})
	var invalid *snstypes.InvalidParameterException
	require.ErrorAs(t, err, &invalid)
}

func TestSNSSubscriptions(t *testing.T) {
	s, endpoint := startSandbox(t, "")
	ctx := ctx(t)
	client := sns.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey))
	topic, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")})
	require.NoError(t, err)

	email, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("sec@example.com")})
	require.NoError(t, err)
	require.Equal(t, "pending confirmation", aws.ToString(email.SubscriptionArn))
	withARN, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("https"), Endpoint: aws.String("https://hooks.example.com/x"), ReturnSubscriptionArn: true})
	require.NoError(t, err)
	require.Regexp(t, `^arn:aws:sns:us-east-1:111111111111:alerts:`, aws.ToString(withARN.SubscriptionArn), "ReturnSubscriptionArn reveals a pending subscription's ARN")
	queue, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String("arn:aws:sqs:us-east-1:111111111111:q")})
	require.NoError(t, err)
	require.Regexp(t, `^arn:aws:sns:`, aws.ToString(queue.SubscriptionArn), "sqs subscriptions are confirmed at once")

	list := func() map[string]string {
		out, err := client.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
		require.NoError(t, err)
		byEndpoint := map[string]string{}
		for _, sub := range out.Subscriptions {
			byEndpoint[aws.ToString(sub.Endpoint)] = aws.ToString(sub.SubscriptionArn)
		}
		return byEndpoint
	}
	subs := list()
	require.Equal(t, "PendingConfirmation", subs["sec@example.com"])
	require.Equal(t, "PendingConfirmation", subs["https://hooks.example.com/x"])
	require.Equal(t, aws.ToString(queue.SubscriptionArn), subs["arn:aws:sqs:us-east-1:111111111111:q"])

	// The recipient of the email confirms with the token it was sent.
	token := pendingToken(t, s, "sec@example.com")
	var invalid *snstypes.InvalidParameterException
	_, err = client.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String("wrong")})
	require.ErrorAs(t, err, &invalid)
	confirmed, err := client.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: topic.TopicArn, Token: aws.String(token)})
	require.NoError(t, err)
	require.Equal(t, aws.ToString(confirmed.SubscriptionArn), list()["sec@example.com"])

	require.Equal(t, []string{aws.ToString(withARN.SubscriptionArn)}, s.ConfirmPendingSubscriptions())
	require.Equal(t, aws.ToString(withARN.SubscriptionArn), list()["https://hooks.example.com/x"])

	_, err = client.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: queue.SubscriptionArn})
	require.NoError(t, err)
	require.NotContains(t, list(), "arn:aws:sqs:us-east-1:111111111111:q")
	var notFound *snstypes.NotFoundException
	_, err = client.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: queue.SubscriptionArn})
	require.ErrorAs(t, err, &notFound)
}

func TestSNSSubscribeValidation(t *testing.T) {
	_, endpoint := startSandbox(t, "")
	ctx := ctx(t)
	client := sns.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey))
	topic, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alerts")})
	require.NoError(t, err)
	for _, tc := range []struct{ protocol, endpoint string }{
		{"email", "not-an-address"},
		{"email-json", "a@b"},
		{"https", "http://plain.example.com"},
		{"http", "ftp://x"},
		{"sqs", "arn:aws:sns:us-east-1:111111111111:not-a-queue"},
		{"lambda", "my-function"},
		{"sms", "call me"},
		{"carrier-pigeon", "roof"},
	} {
		_, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String(tc.protocol), Endpoint: aws.String(tc.endpoint)})
		var invalid *snstypes.InvalidParameterException
		require.ErrorAs(t, err, &invalid, "%s:%s", tc.protocol, tc.endpoint)
	}
	for _, tc := range []struct{ protocol, endpoint string }{
		{"lambda", "arn:aws:lambda:us-east-1:111111111111:function:notify"},
		{"sms", "+15555550100"},
		{"email-json", "ops@example.org"},
	} {
		_, err := client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String(tc.protocol), Endpoint: aws.String(tc.endpoint)})
		require.NoError(t, err, "%s:%s", tc.protocol, tc.endpoint)
	}
	var notFound *snstypes.NotFoundException
	_, err = client.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String("arn:aws:sns:us-east-1:111111111111:missing"), Protocol: aws.String("email"), Endpoint: aws.String("a@example.com")})
	require.ErrorAs(t, err, &notFound)
}

// Temporary credentials stop working when they expire, as in AWS.
func TestAssumedRoleCredentialsExpire(t *testing.T) {
	now := testNow
	s, err := New(Options{Scenario: "organization", Now: func() time.Time { return now }})
	require.NoError(t, err)
	r, err := s.Start("127.0.0.1:0")
	require.NoError(t, err)
	defer r.Close()
	out, err := sts.NewFromConfig(sdkConfig(r.URL, DefaultAccessKey)).AssumeRole(ctx(t), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + MemberAccount + ":role/" + OrgAccessRole), RoleSessionName: aws.String("audit"), DurationSeconds: aws.Int32(900)})
	require.NoError(t, err)
	member := sdkConfig(r.URL, "")
	member.Credentials = credentials.NewStaticCredentialsProvider(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	_, err = sts.NewFromConfig(member).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	s.mu.Lock()
	now = testNow.Add(15 * time.Minute)
	s.mu.Unlock()
	_, err = sts.NewFromConfig(member).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	require.Equal(t, "ExpiredToken", apiCode(err), "%v", err)
	_, err = organizations.NewFromConfig(member).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	require.Equal(t, "ExpiredTokenException", apiCode(err), "%v", err)
}
