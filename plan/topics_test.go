package plan

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

const (
	candAccount = "111111111111"
	candAlarm   = "arn:aws:cloudwatch:us-east-1:" + candAccount + ":alarm:trailwatch-cloudtrail-changes"
)

func candTopic(name string) string { return "arn:aws:sns:us-east-1:" + candAccount + ":" + name }

// snsDefaultPolicy is the policy SNS gives a new topic: CloudWatch may
// publish for alarms of the owner account.
func snsDefaultPolicy(arn string) string {
	return `{"Version":"2008-10-17","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:Publish","SNS:Subscribe"],"Resource":"` + arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + candAccount + `"}}}]}`
}

// fakeTopic is one topic of fakeSNS: its attributes, its subscriptions'
// ARNs ("PendingConfirmation" for a pending one) and an error to answer
// GetTopicAttributes with.
type fakeTopic struct {
	attrs map[string]string
	subs  []string
	err   error
}

// fakeSNS answers ListTopics in pages of pageSize, in order.
type fakeSNS struct {
	order    []string
	topics   map[string]fakeTopic
	pageSize int
	listErr  error
	calls    map[string]int
}

func (f *fakeSNS) add(arn string, t fakeTopic) {
	if t.attrs == nil {
		t.attrs = map[string]string{"TopicArn": arn, "Policy": snsDefaultPolicy(arn)}
	}
	f.order = append(f.order, arn)
	f.topics[arn] = t
}

func (f *fakeSNS) ListTopics(_ context.Context, in *sns.ListTopicsInput, _ ...func(*sns.Options)) (*sns.ListTopicsOutput, error) {
	f.calls["ListTopics"]++
	if f.listErr != nil {
		return nil, f.listErr
	}
	start, _ := strconv.Atoi(aws.ToString(in.NextToken))
	end := min(start+f.pageSize, len(f.order))
	out := &sns.ListTopicsOutput{}
	for _, arn := range f.order[start:end] {
		out.Topics = append(out.Topics, snstypes.Topic{TopicArn: aws.String(arn)})
	}
	if end < len(f.order) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func (f *fakeSNS) GetTopicAttributes(_ context.Context, in *sns.GetTopicAttributesInput, _ ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error) {
	t, ok := f.topics[aws.ToString(in.TopicArn)]
	switch {
	case !ok:
		return nil, &smithy.GenericAPIError{Code: "NotFound", Message: "Topic does not exist"}
	case t.err != nil:
		return nil, t.err
	}
	return &sns.GetTopicAttributesOutput{Attributes: t.attrs}, nil
}

func (f *fakeSNS) ListSubscriptionsByTopic(_ context.Context, in *sns.ListSubscriptionsByTopicInput, _ ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error) {
	out := &sns.ListSubscriptionsByTopicOutput{}
	for _, s := range f.topics[aws.ToString(in.TopicArn)].subs {
		out.Subscriptions = append(out.Subscriptions, snstypes.Subscription{SubscriptionArn: aws.String(s)})
	}
	return out, nil
}

// fakeKeys knows one customer managed key that admits CloudWatch and the
// AWS managed key for SNS.
type fakeKeys struct{}

const goodKey = "arn:aws:kms:us-east-1:" + candAccount + ":key/11111111-2222-3333-4444-555555555555"

func (fakeKeys) DescribeKey(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	switch aws.ToString(in.KeyId) {
	case goodKey:
		return &kms.DescribeKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{Arn: aws.String(goodKey), KeyId: aws.String(goodKey), KeyManager: kmstypes.KeyManagerTypeCustomer, KeyState: kmstypes.KeyStateEnabled}}, nil
	case "alias/aws/sns":
		arn := "arn:aws:kms:us-east-1:" + candAccount + ":key/99999999-2222-3333-4444-555555555555"
		return &kms.DescribeKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{Arn: aws.String(arn), KeyId: aws.String(arn), KeyManager: kmstypes.KeyManagerTypeAws, KeyState: kmstypes.KeyStateEnabled}}, nil
	}
	return nil, &smithy.GenericAPIError{Code: "NotFoundException", Message: "no such key"}
}

func (fakeKeys) GetKeyPolicy(_ context.Context, in *kms.GetKeyPolicyInput, _ ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
	return &kms.GetKeyPolicyOutput{Policy: aws.String(`{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}]}`)}, nil
}

func TestFindTopicCandidates(t *testing.T) {
	confirmed := []string{candTopic("x") + ":sub-1"}
	encrypted := func(key string) func(string) fakeTopic {
		return func(arn string) fakeTopic {
			return fakeTopic{attrs: map[string]string{"Policy": snsDefaultPolicy(arn), "KmsMasterKeyId": key}, subs: confirmed}
		}
	}
	withPolicy := func(policy string) func(string) fakeTopic {
		return func(string) fakeTopic { return fakeTopic{attrs: map[string]string{"Policy": policy}, subs: confirmed} }
	}
	for _, tc := range []struct {
		name       string
		topic      func(arn string) fakeTopic
		keys       KeyReader
		candidate  bool
		undecided  bool
		unreadable bool
	}{
		{"a confirmed subscriber and SNS's default policy", func(string) fakeTopic { return fakeTopic{subs: confirmed} }, nil, true, false, false},
		{"one confirmed among pending", func(string) fakeTopic { return fakeTopic{subs: []string{"PendingConfirmation", confirmed[0]}} }, nil, true, false, false},
		{"only a pending subscription", func(string) fakeTopic { return fakeTopic{subs: []string{"PendingConfirmation"}} }, nil, false, false, false},
		{"no subscription", func(string) fakeTopic { return fakeTopic{} }, nil, false, false, false},
		{"policy lets nothing publish for CloudWatch", withPolicy(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + candAccount + `:root"},"Action":"sns:Publish","Resource":"*"}]}`), nil, false, false, false},
		{"policy denies CloudWatch", withPolicy(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"},{"Effect":"Deny","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:*","Resource":"*"}]}`), nil, false, false, false},
		{"SecureTransport Deny admits CloudWatch", withPolicy(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`), nil, true, false, false},
		{"policy trailwatch cannot evaluate", withPolicy(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`), nil, false, true, false},
		{"customer managed key admitting CloudWatch", encrypted(goodKey), fakeKeys{}, true, false, false},
		{"AWS managed key", encrypted("alias/aws/sns"), fakeKeys{}, false, false, false},
		{"encrypted, no key reader", encrypted(goodKey), nil, false, true, false},
		{"not allowed to read the topic", func(string) fakeTopic {
			return fakeTopic{err: &smithy.GenericAPIError{Code: "AuthorizationError", Message: "not authorized to perform: SNS:GetTopicAttributes"}}
		}, nil, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSNS{topics: map[string]fakeTopic{}, pageSize: 100, calls: map[string]int{}}
			arn := candTopic("alerts")
			f.add(arn, tc.topic(arn))
			got, err := FindTopicCandidates(context.Background(), f, tc.keys, candAccount, candAlarm)
			require.NoError(t, err)
			require.Equal(t, 1, got.Read)
			require.False(t, got.More)
			if tc.candidate {
				require.Equal(t, []TopicCandidate{{ARN: arn, KMSKey: f.topics[arn].attrs["KmsMasterKeyId"]}}, got.Topics)
			} else {
				require.Empty(t, got.Topics)
			}
			require.Equal(t, tc.undecided, len(got.Undecided) == 1, "undecided %v", got.Undecided)
			require.Equal(t, tc.unreadable, len(got.Unreadable) == 1, "unreadable %v", got.Unreadable)
		})
	}
}

// ListTopics is paged and read up to MaxTopicsRead topics; More says
// whether the account has others.
func TestFindTopicCandidatesBound(t *testing.T) {
	for _, tc := range []struct {
		topics, pageSize int
		more             bool
	}{
		{3, 2, false},
		{MaxTopicsRead, 100, false},
		{MaxTopicsRead, 30, false},
		{MaxTopicsRead + 1, 100, true},
		{250, 100, true},
	} {
		t.Run(fmt.Sprintf("%d topics in pages of %d", tc.topics, tc.pageSize), func(t *testing.T) {
			f := &fakeSNS{topics: map[string]fakeTopic{}, pageSize: tc.pageSize, calls: map[string]int{}}
			for i := range tc.topics {
				sub := []string{}
				if i%2 == 0 {
					sub = append(sub, "arn:sub")
				}
				f.add(candTopic(fmt.Sprintf("t%03d", i)), fakeTopic{subs: sub})
			}
			got, err := FindTopicCandidates(context.Background(), f, nil, candAccount, candAlarm)
			require.NoError(t, err)
			require.Equal(t, min(tc.topics, MaxTopicsRead), got.Read)
			require.Equal(t, tc.more, got.More)
			require.Len(t, got.Topics, (min(tc.topics, MaxTopicsRead)+1)/2)
			require.LessOrEqual(t, f.calls["ListTopics"], (MaxTopicsRead+tc.pageSize-1)/tc.pageSize+1, "no page read past the bound")
		})
	}
}

func TestFindTopicCandidatesListError(t *testing.T) {
	f := &fakeSNS{topics: map[string]fakeTopic{}, pageSize: 100, calls: map[string]int{},
		listErr: &smithy.GenericAPIError{Code: "AuthorizationError", Message: "not authorized to perform: SNS:ListTopics"}}
	_, err := FindTopicCandidates(context.Background(), f, nil, candAccount, candAlarm)
	require.ErrorContains(t, err, "sns:ListTopics")
}

func TestNotifyTopicARN(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"arn:aws:sns:us-east-1:123456789012:alerts", "arn:aws:sns:us-east-1:123456789012:alerts", true},
		{" arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts.fifo ", "arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts.fifo", true},
		{"arn:aws:sqs:us-east-1:123456789012:alerts", "", false},
		{"arn:aws:sns:us-east-1:123456789012:alerts:sub-id", "", false},
		{"you@example.com", "", false},
		{"sns", "", false},
		{"", "", false},
	} {
		got, ok := NotifyTopicARN(tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}
