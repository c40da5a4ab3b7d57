package plan

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// Operation is one kind of write a plan may hold, named by its IAM action
// as Change.Operation names it. The table below is the one place that says,
// per operation, what its request decodes into, what it writes, where it is
// sent and which link of the chain it restores: plan's views and guards and
// fix's writer all read it.
type Operation struct {
	// Name is the IAM action, e.g. sns:CreateTopic.
	Name string
	// Link is the link of the chain the change puts back, in the order
	// events travel; "" for an alarm, whose link depends on the members it
	// changes.
	Link string
	// ReadsTrail marks the trail update: no fingerprint guards it, fix
	// re-reads the trail itself, and it is sent to the trail's home region.
	ReadsTrail bool
	// Global marks an IAM write, sent to the global endpoint.
	Global bool

	input    func() any
	decodes  func(in any) bool
	target   func(account string, c Change, in any) (string, bool)
	resource func(c Change, in any) Resource
	region   func(in any) string
}

// operation builds a table entry for the SDK input In.
func operation[In any](name, link string, target func(account string, c Change, in *In) string, resource func(c Change, in *In) Resource) Operation {
	return Operation{
		Name: name, Link: link,
		input:   func() any { return new(In) },
		decodes: func(in any) bool { _, ok := in.(*In); return ok },
		target: func(account string, c Change, in any) (string, bool) {
			v, ok := in.(*In)
			if !ok {
				return "", false
			}
			return target(account, c, v), true
		},
		resource: func(c Change, in any) Resource {
			v, ok := in.(*In)
			if !ok || resource == nil {
				return Resource{}
			}
			return resource(c, v)
		},
		region: func(any) string { return "" },
	}
}

// operations is the table, in the order a plan's changes are drawn.
var operations = []Operation{
	operation("sns:CreateTopic", "alarm → topic",
		func(account string, c Change, in *sns.CreateTopicInput) string {
			return arnFor(c.Target, "sns", c.Region, account, aws.ToString(in.Name))
		},
		func(c Change, _ *sns.CreateTopicInput) Resource { return Resource{kindTopic, c.Region, c.Target} }),
	operation("sns:Subscribe", "topic → subscriber",
		func(_ string, _ Change, in *sns.SubscribeInput) string {
			return aws.ToString(in.TopicArn) + " ← " + aws.ToString(in.Protocol) + ":" + aws.ToString(in.Endpoint)
		},
		func(c Change, in *sns.SubscribeInput) Resource {
			return Resource{kindTopic, c.Region, aws.ToString(in.TopicArn)}
		}),
	operation("sns:SetTopicAttributes", "alarm → topic",
		func(_ string, _ Change, in *sns.SetTopicAttributesInput) string { return aws.ToString(in.TopicArn) },
		func(c Change, in *sns.SetTopicAttributesInput) Resource {
			return Resource{kindTopic, c.Region, aws.ToString(in.TopicArn)}
		}),
	operation("logs:CreateLogGroup", "trail → log group",
		func(account string, c Change, in *cloudwatchlogs.CreateLogGroupInput) string {
			return arnFor(c.Target, "logs", c.Region, account, "log-group:"+aws.ToString(in.LogGroupName))
		},
		func(c Change, in *cloudwatchlogs.CreateLogGroupInput) Resource {
			return Resource{kindLogGroup, c.Region, aws.ToString(in.LogGroupName)}
		}),
	operation("logs:PutRetentionPolicy", "trail → log group",
		func(account string, c Change, in *cloudwatchlogs.PutRetentionPolicyInput) string {
			return arnFor(c.Target, "logs", c.Region, account, "log-group:"+aws.ToString(in.LogGroupName))
		},
		func(c Change, in *cloudwatchlogs.PutRetentionPolicyInput) Resource {
			return Resource{kindLogGroup, c.Region, aws.ToString(in.LogGroupName)}
		}),
	operation("logs:PutMetricFilter", "log group → filter",
		func(_ string, _ Change, in *cloudwatchlogs.PutMetricFilterInput) string {
			return aws.ToString(in.LogGroupName) + " / " + aws.ToString(in.FilterName)
		},
		func(c Change, in *cloudwatchlogs.PutMetricFilterInput) Resource {
			return Resource{kindMetricFilter, c.Region, filterKey(aws.ToString(in.LogGroupName), aws.ToString(in.FilterName))}
		}),
	global(operation("iam:CreateRole", "trail → log group",
		func(account string, c Change, in *iam.CreateRoleInput) string {
			return roleARNFor(c.Target, account, aws.ToString(in.Path), aws.ToString(in.RoleName))
		},
		func(_ Change, in *iam.CreateRoleInput) Resource {
			return Resource{kindRole, "global", aws.ToString(in.RoleName)}
		})),
	global(operation("iam:PutRolePolicy", "trail → log group",
		func(account string, c Change, in *iam.PutRolePolicyInput) string {
			return roleARNFor(c.Target, account, "", aws.ToString(in.RoleName))
		},
		func(_ Change, in *iam.PutRolePolicyInput) Resource {
			return Resource{kindRole, "global", aws.ToString(in.RoleName)}
		})),
	trailUpdate(operation("cloudtrail:UpdateTrail", "trail → log group",
		func(_ string, _ Change, in *cloudtrail.UpdateTrailInput) string { return aws.ToString(in.Name) },
		nil)),
	operation("cloudwatch:PutMetricAlarm", "",
		func(_ string, _ Change, in *cloudwatch.PutMetricAlarmInput) string { return aws.ToString(in.AlarmName) },
		func(c Change, in *cloudwatch.PutMetricAlarmInput) Resource {
			return Resource{kindAlarm, c.Region, aws.ToString(in.AlarmName)}
		}),
}

func global(o Operation) Operation {
	o.Global = true
	o.region = func(any) string { return "global" }
	return o
}

// trailUpdate: the trail is updated in its home region, its ARN's.
func trailUpdate(o Operation) Operation {
	o.ReadsTrail = true
	o.region = func(in any) string {
		if v, ok := in.(*cloudtrail.UpdateTrailInput); ok {
			return arnRegion(aws.ToString(v.Name))
		}
		return ""
	}
	return o
}

// operationOfInput is the table's entry whose request decodes into in.
func operationOfInput(in any) (Operation, bool) {
	for _, o := range operations {
		if o.decodes(in) {
			return o, true
		}
	}
	return Operation{}, false
}

// Operations lists every operation a plan may hold.
func Operations() []Operation { return append([]Operation(nil), operations...) }

// OperationOf is the table's entry for a change's operation.
func OperationOf(name string) (Operation, bool) {
	for _, o := range operations {
		if o.Name == name {
			return o, true
		}
	}
	return Operation{}, false
}
