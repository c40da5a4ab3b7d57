package fix

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailwatch/trailwatch/plan"
)

// sending is one change on its way: ctx bounds the call, interrupt is the
// run's own context (see applier.write).
type sending struct {
	ctx, interrupt context.Context
	c              plan.Change
}

// writeFunc sends one decoded request and returns the step's detail.
type writeFunc func(a *applier, s sending, in any) (string, error)

// writers is how fix sends each operation of plan's table (plan.Operations)
// and undoes what it creates; a test holds the two key for key.
var writers = map[string]writeFunc{
	"sns:CreateTopic":           typed((*applier).createTopic),
	"sns:Subscribe":             typed((*applier).subscribe),
	"sns:SetTopicAttributes":    typed((*applier).setTopicAttributes),
	"logs:CreateLogGroup":       typed((*applier).createLogGroup),
	"logs:PutRetentionPolicy":   typed((*applier).putRetentionPolicy),
	"logs:PutMetricFilter":      typed((*applier).putMetricFilter),
	"iam:CreateRole":            typed((*applier).createRole),
	"iam:PutRolePolicy":         typed((*applier).putRolePolicy),
	"cloudtrail:UpdateTrail":    typed((*applier).sendTrailUpdate),
	"cloudwatch:PutMetricAlarm": typed((*applier).putMetricAlarm),
}

// typed adapts a writer of one SDK input to writeFunc.
func typed[In any](f func(*applier, sending, *In) (string, error)) writeFunc {
	return func(a *applier, s sending, in any) (string, error) {
		v, ok := in.(*In)
		if !ok {
			return "", fmt.Errorf("change %s: fix cannot apply %s", s.c.ID, s.c.Operation)
		}
		return f(a, s, v)
	}
}

func (a *applier) createTopic(s sending, in *sns.CreateTopicInput) (string, error) {
	w, c := a.job.Writers, s.c
	out, err := w.Topics(c.Region).CreateTopic(s.ctx, in)
	if err != nil {
		return "", err
	}
	arn := aws.ToString(out.TopicArn)
	if arn != c.Target {
		// Later changes name the planned ARN; a different one means the
		// plan's assumptions about this account are wrong.
		return arn, fmt.Errorf("CreateTopic returned %s, the plan expected %s", arn, c.Target)
	}
	a.remember(c, "sns:DeleteTopic", &sns.DeleteTopicInput{TopicArn: aws.String(arn)}, func(ctx context.Context) error {
		_, err := w.Topics(c.Region).DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)})
		return err
	})
	return arn, nil
}

func (a *applier) subscribe(s sending, in *sns.SubscribeInput) (string, error) {
	w, c := a.job.Writers, s.c
	existed, err := a.subscribed(s.interrupt, c.Region, in)
	if s.interrupt.Err() != nil {
		return "", errNotSent
	}
	if err != nil {
		return "", err
	}
	out, err := w.Topics(c.Region).Subscribe(s.ctx, in)
	if err != nil {
		return "", err
	}
	detail := ""
	sub := aws.ToString(out.SubscriptionArn)
	hasARN := strings.HasPrefix(sub, "arn:")
	// With ReturnSubscriptionArn SNS returns an ARN even for a pending
	// subscription; email and web endpoints always start pending (plan
	// only subscribes endpoints not yet confirmed).
	if !hasARN || needsConfirmation(aws.ToString(in.Protocol)) {
		p := Pending{Topic: aws.ToString(in.TopicArn), Protocol: aws.ToString(in.Protocol), Endpoint: aws.ToString(in.Endpoint)}
		if hasARN {
			p.Subscription = sub
		}
		a.res.Pending = append(a.res.Pending, p)
		detail = "pending confirmation"
	}
	if !hasARN || existed {
		// Nothing to unsubscribe by, or SNS answered with a subscription
		// that was there before this run (a pending one is re-sent its
		// confirmation): not this run's to remove. Deleting a topic this
		// run created removes the subscription with it.
		return detail, nil
	}
	a.remember(c, "sns:Unsubscribe", &sns.UnsubscribeInput{SubscriptionArn: aws.String(sub)}, func(ctx context.Context) error {
		_, err := w.Topics(c.Region).Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(sub)})
		return err
	})
	if detail == "" {
		detail = sub
	}
	return detail, nil
}

// setTopicAttributes writes the user's policy with CloudWatch's statement
// added: an update, which --rollback leaves in place (it only deletes what
// this run created), as it does a rewritten role policy.
func (a *applier) setTopicAttributes(s sending, in *sns.SetTopicAttributesInput) (string, error) {
	_, err := a.job.Writers.Topics(s.c.Region).SetTopicAttributes(s.ctx, in)
	return "", err
}

func (a *applier) createLogGroup(s sending, in *cloudwatchlogs.CreateLogGroupInput) (string, error) {
	w, c := a.job.Writers, s.c
	if _, err := w.Logs(c.Region).CreateLogGroup(s.ctx, in); err != nil {
		return "", err
	}
	del := &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: in.LogGroupName}
	a.remember(c, "logs:DeleteLogGroup", del, func(ctx context.Context) error {
		_, err := w.Logs(c.Region).DeleteLogGroup(ctx, del)
		return err
	})
	return "", nil
}

func (a *applier) putRetentionPolicy(s sending, in *cloudwatchlogs.PutRetentionPolicyInput) (string, error) {
	_, err := a.job.Writers.Logs(s.c.Region).PutRetentionPolicy(s.ctx, in)
	return "", err
}

func (a *applier) putMetricFilter(s sending, in *cloudwatchlogs.PutMetricFilterInput) (string, error) {
	w, c := a.job.Writers, s.c
	if _, err := w.Logs(c.Region).PutMetricFilter(s.ctx, in); err != nil {
		return "", err
	}
	del := &cloudwatchlogs.DeleteMetricFilterInput{LogGroupName: in.LogGroupName, FilterName: in.FilterName}
	a.remember(c, "logs:DeleteMetricFilter", del, func(ctx context.Context) error {
		_, err := w.Logs(c.Region).DeleteMetricFilter(ctx, del)
		return err
	})
	return "", nil
}

func (a *applier) createRole(s sending, in *iam.CreateRoleInput) (string, error) {
	w := a.job.Writers
	out, err := w.Roles.CreateRole(s.ctx, in)
	if err != nil {
		return "", err
	}
	a.roleOK = true
	del := &iam.DeleteRoleInput{RoleName: in.RoleName}
	a.remember(s.c, "iam:DeleteRole", del, func(ctx context.Context) error {
		_, err := w.Roles.DeleteRole(ctx, del)
		return err
	})
	return aws.ToString(out.Role.Arn), nil
}

func (a *applier) putRolePolicy(s sending, in *iam.PutRolePolicyInput) (string, error) {
	w := a.job.Writers
	if _, err := w.Roles.PutRolePolicy(s.ctx, in); err != nil {
		return "", err
	}
	// IAM propagates a new inline policy as it does a new role.
	a.roleOK = true
	if s.c.Action != plan.Create {
		// The policy of a role an earlier run created, rewritten: it may
		// well have been there before this run, so it is not this run's to
		// delete.
		return "", nil
	}
	del := &iam.DeleteRolePolicyInput{RoleName: in.RoleName, PolicyName: in.PolicyName}
	a.remember(s.c, "iam:DeleteRolePolicy", del, func(ctx context.Context) error {
		_, err := w.Roles.DeleteRolePolicy(ctx, del)
		return err
	})
	return "", nil
}

func (a *applier) sendTrailUpdate(s sending, in *cloudtrail.UpdateTrailInput) (string, error) {
	return "", a.updateTrail(s.interrupt, s.c, in)
}

func (a *applier) putMetricAlarm(s sending, in *cloudwatch.PutMetricAlarmInput) (string, error) {
	w, c := a.job.Writers, s.c
	if _, err := w.Alarms(c.Region).PutMetricAlarm(s.ctx, in); err != nil {
		return "", err
	}
	if c.Action == plan.Create {
		del := &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{aws.ToString(in.AlarmName)}}
		a.remember(c, "cloudwatch:DeleteAlarms", del, func(ctx context.Context) error {
			_, err := w.Alarms(c.Region).DeleteAlarms(ctx, del)
			return err
		})
	}
	return "", nil
}
