package plan

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/awserr"
)

// When an account needs a topic and none was given (--notify, --topic-arn),
// the account may already have one that reaches a person: the team's
// alert topic. FindTopicCandidates names those, for the command layer to
// suggest as --topic-arn and to offer at the notify prompt. It only reads,
// and it never chooses: which topic an alarm notifies is the user's call.

// MaxTopicsRead bounds how many of an account's topics are read: each
// costs two or three calls, and a person picks from a short list anyway.
const MaxTopicsRead = 100

// topicReads is how many topics are read at a time.
const topicReads = 8

// TopicLister lists an account's topics in one region and reads each one.
type TopicLister interface {
	ListTopics(ctx context.Context, params *sns.ListTopicsInput, optFns ...func(*sns.Options)) (*sns.ListTopicsOutput, error)
	GetTopicAttributes(ctx context.Context, params *sns.GetTopicAttributesInput, optFns ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error)
	ListSubscriptionsByTopic(ctx context.Context, params *sns.ListSubscriptionsByTopicInput, optFns ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
}

// TopicCandidate is a topic of the account with a confirmed subscriber
// that CloudWatch can publish the alarm's notifications to.
type TopicCandidate struct {
	ARN string `json:"arn"`
	// KMSKey is the topic's KmsMasterKeyId, "" when it is not encrypted.
	KMSKey string `json:"kms_key,omitempty"`
}

// TopicCandidates is what FindTopicCandidates found.
type TopicCandidates struct {
	// Topics are the candidates, by ARN.
	Topics []TopicCandidate `json:"topics"`
	// Read is how many topics were read; More is set when the account has
	// more than MaxTopicsRead and the rest were not read.
	Read int  `json:"read"`
	More bool `json:"more,omitempty"`
	// Undecided are topics with a confirmed subscriber whose access policy
	// or key trailwatch cannot judge (check says MANUAL for them), and
	// Unreadable those it was not allowed to read: neither is offered.
	Undecided  []string `json:"undecided,omitempty"`
	Unreadable []string `json:"unreadable,omitempty"`
}

// FindTopicCandidates reads the region's topics of account (at most
// MaxTopicsRead, in ListTopics order) and returns those with a confirmed
// subscription that CloudWatch can publish alarmARN's notifications to,
// judged as check judges an alarm's topic: its KMS key (read with keys,
// which may be nil: an encrypted topic is then undecided), then its access
// policy. An error means the topics could not be listed at all.
func FindTopicCandidates(ctx context.Context, c TopicLister, keys KeyReader, account, alarmARN string) (TopicCandidates, error) {
	arns, more, err := listTopics(ctx, c)
	if err != nil {
		return TopicCandidates{}, err
	}
	out := TopicCandidates{Read: len(arns), More: more, Topics: []TopicCandidate{}}
	type verdict struct {
		candidate  *TopicCandidate
		undecided  bool
		unreadable bool
	}
	verdicts := make([]verdict, len(arns))
	sem := make(chan struct{}, topicReads)
	var wg sync.WaitGroup
	for i, arn := range arns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cand, decided, err := judgeTopic(ctx, c, keys, arn, account, alarmARN)
			verdicts[i] = verdict{candidate: cand, undecided: err == nil && !decided, unreadable: err != nil}
		}()
	}
	wg.Wait()
	for i, v := range verdicts {
		switch {
		case v.candidate != nil:
			out.Topics = append(out.Topics, *v.candidate)
		case v.undecided:
			out.Undecided = append(out.Undecided, arns[i])
		case v.unreadable:
			out.Unreadable = append(out.Unreadable, arns[i])
		}
	}
	slices.SortFunc(out.Topics, func(a, b TopicCandidate) int { return strings.Compare(a.ARN, b.ARN) })
	slices.Sort(out.Undecided)
	slices.Sort(out.Unreadable)
	return out, nil
}

// listTopics pages through ListTopics up to MaxTopicsRead topics.
func listTopics(ctx context.Context, c TopicLister) (arns []string, more bool, err error) {
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, false, awserr.Classify("sns:ListTopics", err)
		}
		for _, t := range page.Topics {
			if len(arns) == MaxTopicsRead {
				return arns, true, nil
			}
			arns = append(arns, aws.ToString(t.TopicArn))
		}
	}
	return arns, false, nil
}

// judgeTopic reads one topic. cand is nil when it is no candidate; decided
// is false when whether CloudWatch may publish cannot be told; err when
// the topic could not be read (a topic deleted meanwhile is simply none).
func judgeTopic(ctx context.Context, c TopicLister, keys KeyReader, arn, account, alarmARN string) (cand *TopicCandidate, decided bool, err error) {
	attrs, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		if err = awserr.Classify("sns:GetTopicAttributes", err); errors.Is(err, awserr.ErrNotFound) {
			return nil, true, nil
		}
		return nil, false, err
	}
	confirmed, err := hasConfirmedSubscription(ctx, c, arn)
	if err != nil || !confirmed {
		return nil, true, err
	}
	keyID := attrs.Attributes["KmsMasterKeyId"]
	if keyID != "" {
		if keys == nil {
			return nil, false, nil
		}
		k := check.ReadKey(ctx, keys, keyID, func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithCancel(ctx)
		})
		ok, _ := check.KeyAdmitsCloudWatch(k, keyID, alarmARN, account)
		if ok == nil {
			return nil, false, nil
		}
		if !*ok {
			return nil, true, nil
		}
	}
	ok, _ := check.TopicPolicyAdmits(attrs.Attributes["Policy"], arn, alarmARN, account)
	switch {
	case ok == nil:
		return nil, false, nil
	case *ok:
		return &TopicCandidate{ARN: arn, KMSKey: keyID}, true, nil
	}
	return nil, true, nil
}

// hasConfirmedSubscription pages through the topic's subscriptions until
// it meets a confirmed one.
func hasConfirmedSubscription(ctx context.Context, c TopicLister, arn string) (bool, error) {
	p := sns.NewListSubscriptionsByTopicPaginator(c, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if err = awserr.Classify("sns:ListSubscriptionsByTopic", err); errors.Is(err, awserr.ErrNotFound) {
				return false, nil
			}
			return false, err
		}
		for _, s := range page.Subscriptions {
			if strings.HasPrefix(aws.ToString(s.SubscriptionArn), "arn:") {
				return true, nil
			}
		}
	}
	return false, nil
}

// NotifyTopicARN recognises an SNS topic ARN given where an endpoint to
// notify was expected (--notify arn:aws:sns:…), so the command layer can
// answer "that is a topic: use --topic-arn ARN" instead of "cannot tell
// the protocol". It returns the ARN trimmed of spaces.
func NotifyTopicARN(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || ValidateTopicARN(s) != nil {
		return "", false
	}
	return s, true
}
