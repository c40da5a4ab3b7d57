package check

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailwatch/trailwatch/internal/awsapi"
	"github.com/trailwatch/trailwatch/internal/awserr"
)

// cloudwatchService is the service principal that publishes an alarm's
// notifications.
const cloudwatchService = "cloudwatch.amazonaws.com"

// topicAttributes reads a topic's attributes (its key and access policy);
// found is false when the topic no longer exists.
func (a *auditor) topicAttributes(ctx context.Context, c awsapi.SNSAPI, arn string) (attrs map[string]string, found bool, err error) {
	cctx, cancel := a.call(ctx)
	out, err := c.GetTopicAttributes(cctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	cancel()
	if err != nil {
		err = awserr.Classify("sns:GetTopicAttributes", err)
		if errors.Is(err, awserr.ErrNotFound) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return out.Attributes, true, nil
}

// alarmContext is what CloudWatch's request to publish (and SNS's to KMS
// on its behalf) carries: the alarm as source, its account as source
// account and source owner.
func alarmContext(alarmARN, account string) map[string]string {
	return map[string]string{"aws:sourcearn": alarmARN, "aws:sourceaccount": account, "aws:sourceowner": account}
}

// topicPolicyAdmits decides whether a topic's access policy lets CloudWatch
// publish this alarm's notifications. SNS always returns a policy; an
// empty one (never seen from AWS) is undecidable.
func topicPolicyAdmits(policy, topicARN, alarmARN, account string) policyVerdict {
	if policy == "" {
		return policyVerdict{allowed: unknown, why: "SNS returned no access policy for the topic"}
	}
	return evaluatePolicy(policy, policyRequest{service: cloudwatchService, action: "sns:Publish", resource: topicARN,
		context: alarmContext(alarmARN, account)})
}

// TopicPolicyAdmits is topicPolicyAdmits for plan, which checks a policy it
// is about to write: ok is nil when the policy cannot be evaluated.
func TopicPolicyAdmits(policy, topicARN, alarmARN, account string) (ok *bool, why string) {
	return topicPolicyAdmits(policy, topicARN, alarmARN, account).answer()
}
