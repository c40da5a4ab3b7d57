// Package fix applies plans (docs/fix.md, docs/design.md): it asks before each account when a
// person is there, re-reads every target before writing to it, applies in
// plan order, journals each write, and on failure stops the account, reports
// every step and — only when asked — deletes what this run created there.
// It never imports the command-line, prompt or colour libraries: the command
// layer passes a Prompter and plain Options.
package fix

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailwatch/trailwatch/plan"
)

// The write APIs fix calls, declared with the SDK's own signatures so SDK
// clients and generated mocks both fit. docs/iam/fix-policy.json lists
// exactly these (TestFixPolicyMatchesCode enforces it).

// TopicWriter creates topics and subscriptions, and removes them on rollback.
type TopicWriter interface {
	CreateTopic(ctx context.Context, params *sns.CreateTopicInput, optFns ...func(*sns.Options)) (*sns.CreateTopicOutput, error)
	Subscribe(ctx context.Context, params *sns.SubscribeInput, optFns ...func(*sns.Options)) (*sns.SubscribeOutput, error)
	Unsubscribe(ctx context.Context, params *sns.UnsubscribeInput, optFns ...func(*sns.Options)) (*sns.UnsubscribeOutput, error)
	DeleteTopic(ctx context.Context, params *sns.DeleteTopicInput, optFns ...func(*sns.Options)) (*sns.DeleteTopicOutput, error)
}

// LogsWriter creates log groups and metric filters, and removes them on rollback.
type LogsWriter interface {
	CreateLogGroup(ctx context.Context, params *cloudwatchlogs.CreateLogGroupInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	PutRetentionPolicy(ctx context.Context, params *cloudwatchlogs.PutRetentionPolicyInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
	PutMetricFilter(ctx context.Context, params *cloudwatchlogs.PutMetricFilterInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutMetricFilterOutput, error)
	DeleteMetricFilter(ctx context.Context, params *cloudwatchlogs.DeleteMetricFilterInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteMetricFilterOutput, error)
	DeleteLogGroup(ctx context.Context, params *cloudwatchlogs.DeleteLogGroupInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error)
}

// AlarmWriter creates or updates alarms, and removes created ones on rollback.
type AlarmWriter interface {
	PutMetricAlarm(ctx context.Context, params *cloudwatch.PutMetricAlarmInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
	DeleteAlarms(ctx context.Context, params *cloudwatch.DeleteAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error)
}

// RoleWriter creates the log delivery role, and removes it on rollback.
type RoleWriter interface {
	CreateRole(ctx context.Context, params *iam.CreateRoleInput, optFns ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	PutRolePolicy(ctx context.Context, params *iam.PutRolePolicyInput, optFns ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	DeleteRolePolicy(ctx context.Context, params *iam.DeleteRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	DeleteRole(ctx context.Context, params *iam.DeleteRoleInput, optFns ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
}

// TrailWriter wires a trail to CloudWatch Logs; DescribeTrails (a read check
// already uses) re-reads the trail first, because plan fingerprints no trail.
type TrailWriter interface {
	DescribeTrails(ctx context.Context, params *cloudtrail.DescribeTrailsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	UpdateTrail(ctx context.Context, params *cloudtrail.UpdateTrailInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error)
}

// Writers hands out the write clients of one account, per region where the
// service is regional.
type Writers struct {
	Topics func(region string) TopicWriter
	Logs   func(region string) LogsWriter
	Alarms func(region string) AlarmWriter
	Roles  RoleWriter
	Trails func(region string) TrailWriter
}

// Job is one account's approved plan with the clients to apply it.
type Job struct {
	Plan    plan.AccountPlan
	Profile string
	Readers plan.Readers
	Writers Writers
}

// Options tune Apply. The command layer fills them from flags.
type Options struct {
	// Journal receives every write; nil journals nothing.
	Journal *Journal
	// Rollback deletes what this run created in an account whose apply failed.
	Rollback bool
	// Parallel is how many accounts are applied at once (below 1: one).
	Parallel int
	// CallTimeout bounds each AWS call; zero means no bound beyond ctx.
	CallTimeout time.Duration
	// RoleWaits are the pauses between attempts of a trail update while a
	// role this run created is not yet usable by CloudTrail (IAM is
	// eventually consistent); nil uses DefaultRoleWaits.
	RoleWaits []time.Duration
	// Sleep waits or returns ctx's error; nil sleeps for real.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now stamps journal entries; nil is time.Now.
	Now func() time.Time
	// Progress, when set, is told each time an account finishes.
	Progress func(done, total int, r Result)
}

// DefaultRoleWaits give a new role about two minutes to become usable, the
// time IAM propagation takes at worst in practice.
var DefaultRoleWaits = []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}

// ErrCancelled is returned when the person at the terminal quits or
// interrupts a prompt.
var ErrCancelled = errors.New("cancelled")

func (o Options) sleep(ctx context.Context, d time.Duration) error {
	if o.Sleep != nil {
		return o.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}
