package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/internal/awserr"
)

// The reads plan makes beyond check's, declared here with the SDK's own
// signatures so SDK clients and generated mocks both fit. Only Describe, Get
// and List methods belong here: plan must never be able to write
// (TestReadersCannotWrite enforces it).

// LogsReader finds metric filters and log groups by name, and a log group's
// tags (ownership).
type LogsReader interface {
	DescribeMetricFilters(ctx context.Context, params *cloudwatchlogs.DescribeMetricFiltersInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error)
	DescribeLogGroups(ctx context.Context, params *cloudwatchlogs.DescribeLogGroupsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	ListTagsForResource(ctx context.Context, params *cloudwatchlogs.ListTagsForResourceInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.ListTagsForResourceOutput, error)
}

// AlarmReader reads alarms by name and their tags (ownership).
type AlarmReader interface {
	DescribeAlarms(ctx context.Context, params *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	ListTagsForResource(ctx context.Context, params *cloudwatch.ListTagsForResourceInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.ListTagsForResourceOutput, error)
}

// TopicReader reads a topic by ARN, its tags (ownership) and subscriptions.
type TopicReader interface {
	GetTopicAttributes(ctx context.Context, params *sns.GetTopicAttributesInput, optFns ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error)
	ListTagsForResource(ctx context.Context, params *sns.ListTagsForResourceInput, optFns ...func(*sns.Options)) (*sns.ListTagsForResourceOutput, error)
	ListSubscriptionsByTopic(ctx context.Context, params *sns.ListSubscriptionsByTopicInput, optFns ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
}

// RoleReader reads an IAM role by name, with its tags (ownership) and trust
// policy.
type RoleReader interface {
	GetRole(ctx context.Context, params *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
}

// Readers hands out the readers of one account; regional services take the
// region because a plan reads where the log group lives, not where the
// caller's profile points.
type Readers struct {
	Logs   func(region string) LogsReader
	Alarms func(region string) AlarmReader
	Topics func(region string) TopicReader
	Roles  RoleReader
	// Keys reads the key --kms-key-id names; nil when none was given.
	Keys func(region string) KeyReader
}

// Fingerprint kinds, with the Key each uses.
const (
	kindMetricFilter = "logs:MetricFilter" // Key: filterKey(log group, filter name)
	kindLogGroup     = "logs:LogGroup"     // Key: log group name
	kindAlarm        = "cloudwatch:Alarm"  // Key: alarm name
	kindTopic        = "sns:Topic"         // Key: topic ARN
	kindRole         = "iam:Role"          // Key: role name
)

// filterKey joins a log group and filter name; log group names cannot
// contain "|", so the first one separates them.
func filterKey(group, filter string) string { return group + "|" + filter }

// read fetches one resource for a fingerprint kind and returns its canonical
// form, or nil when it does not exist. Build and Verify share it so a
// re-read hashes exactly what planning hashed.
func read(ctx context.Context, r Readers, kind, region, key string) (any, error) {
	switch kind {
	case kindMetricFilter:
		group, name, _ := strings.Cut(key, "|")
		return readFilter(ctx, r.Logs(region), group, name)
	case kindLogGroup:
		// Groups come sorted by name, so an exact match of the prefix is on
		// the first page.
		out, err := r.Logs(region).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(key)})
		if err != nil {
			return nil, fmt.Errorf("read log group %s: %w", key, awserr.Classify("logs:DescribeLogGroups", err))
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == key {
				// Stored bytes grow as events arrive; that is not a change
				// to the group anyone made.
				g.StoredBytes = nil
				return g, nil
			}
		}
		return nil, nil
	case kindAlarm:
		a, err := readAlarm(ctx, r.Alarms(region), key)
		if a == nil || err != nil {
			return nil, err
		}
		return alarmState(*a), nil
	case kindTopic:
		return readTopic(ctx, r.Topics(region), key)
	case kindRole:
		out, err := r.Roles.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(key)})
		if isCode(err, "NoSuchEntity") {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read IAM role %s: %w", key, awserr.Classify("iam:GetRole", err))
		}
		if out.Role == nil {
			return nil, fmt.Errorf("read IAM role %s: GetRole returned no role", key)
		}
		// When the role was last used changes whenever CloudTrail delivers
		// with it; that is not a change to the role anyone made.
		role := *out.Role
		role.RoleLastUsed = nil
		return role, nil
	}
	return nil, fmt.Errorf("read %s %s: unknown resource kind", kind, key)
}

func readFilter(ctx context.Context, l LogsReader, group, name string) (any, error) {
	out, err := l.DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(group), FilterNamePrefix: aws.String(name)})
	if isCode(err, "ResourceNotFoundException") {
		// The log group itself is missing (e.g. --wire-logs will create it):
		// no filter can hold the name.
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read metric filter %s on %s: %w", name, group, awserr.Classify("logs:DescribeMetricFilters", err))
	}
	for _, f := range out.MetricFilters {
		if aws.ToString(f.FilterName) == name {
			f.CreationTime = nil
			return f, nil
		}
	}
	return nil, nil
}

func readAlarm(ctx context.Context, a AlarmReader, name string) (*cwtypes.MetricAlarm, error) {
	out, err := a.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		return nil, fmt.Errorf("read alarm %s: %w", name, awserr.Classify("cloudwatch:DescribeAlarms", err))
	}
	for _, m := range out.MetricAlarms {
		if aws.ToString(m.AlarmName) == name {
			return &m, nil
		}
	}
	if len(out.CompositeAlarms) > 0 {
		// A composite alarm holds the name: present, with no metric, which
		// alarmTaken reads as someone else's.
		return &cwtypes.MetricAlarm{AlarmName: aws.String(name), AlarmArn: out.CompositeAlarms[0].AlarmArn}, nil
	}
	return nil, nil
}

// alarmState drops what changes without anyone touching the alarm (its state
// and timestamps), so an alarm firing between plan and fix is not "stale".
func alarmState(m cwtypes.MetricAlarm) cwtypes.MetricAlarm {
	m.StateValue, m.StateReason, m.StateReasonData = "", nil, nil
	m.StateUpdatedTimestamp, m.StateTransitionedTimestamp, m.EvaluationState = nil, nil, ""
	return m
}

// volatileTopicAttributes change as subscribers confirm; they are not
// configuration a fix could clobber.
var volatileTopicAttributes = []string{"SubscriptionsConfirmed", "SubscriptionsPending", "SubscriptionsDeleted"}

func readTopic(ctx context.Context, t TopicReader, arn string) (any, error) {
	out, err := t.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if isCode(err, "NotFound") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read SNS topic %s: %w", arn, awserr.Classify("sns:GetTopicAttributes", err))
	}
	attrs := maps.Clone(out.Attributes)
	for _, k := range volatileTopicAttributes {
		delete(attrs, k)
	}
	return attrs, nil
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// hash is the fingerprint of a canonical form: JSON of SDK types is stable
// (struct field order, sorted map keys).
func hash(v any) (string, error) {
	if v == nil {
		return Absent, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
