package plan

import (
	"encoding/json"
	"fmt"
	"github.com/trailwatch/trailwatch/check"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/trailwatch/trailwatch/internal/awserr"
)

// wireLogs plans --wire-logs for a trail with no log group: the group (and
// retention), a role CloudTrail may assume only for this trail, its policy
// limited to the group, then the trail update in the trail's home region.
// A group or role an earlier run created (a failed fix, say) is reused, so
// a re-run converges instead of taking the next names: a group tagged
// managed-by=trailwatch, a role tagged so whose trust policy is the one
// written for this trail. It returns the group's name.
func (b *builder) wireLogs(t *Trail) (string, error) {
	group, ownGroup, err := freeName(b.o.NamePrefix+"cloudtrail", b.logGroupTaken)
	if err != nil || group == "" {
		b.blockIf(group == "", "log group names "+b.o.NamePrefix+"cloudtrail … -9 are all taken by log groups trailwatch did not create; use --name-prefix")
		return "", err
	}
	role, ownRole, err := freeName(b.o.NamePrefix+"cloudtrail-logs", func(name string) (bool, bool, error) {
		return b.roleTaken(name, t.ARN)
	})
	if err != nil || role == "" {
		b.blockIf(role == "", "IAM role names "+b.o.NamePrefix+"cloudtrail-logs … -9 are all taken by roles trailwatch did not create for this trail; use --name-prefix")
		return "", err
	}
	groupARN := "arn:" + b.partition + ":logs:" + b.region + ":" + b.ap.Account + ":log-group:" + group
	roleARN := "arn:" + b.partition + ":iam::" + b.ap.Account + ":role/" + role
	if ownRole {
		v, _ := b.look(kindRole, role, "global")
		if arn := aws.ToString(v.(iamtypes.Role).Arn); arn != "" {
			roleARN = arn // as IAM names it, path included
		}
	}

	// CloudWatch Logs speaks JSON with camelCase members, so its requests
	// are written with the API's names rather than the SDK's.
	var groupID string
	var retention *int32 // our group's retention, nil: never expires
	if ownGroup {
		v, _ := b.look(kindLogGroup, group, b.region)
		retention = v.(logstypes.LogGroup).RetentionInDays
	} else {
		groupID = "log-group"
		if err := b.add(Change{ID: groupID, Action: Create, Operation: "logs:CreateLogGroup", Target: groupARN, Fixes: check.NoCloudWatchLogs},
			map[string]any{"logGroupName": group, "tags": map[string]string{ManagedByKey: ManagedByValue}}); err != nil {
			return "", err
		}
	}
	if b.o.RetentionDays > 0 && (!ownGroup || aws.ToInt32(retention) != b.o.RetentionDays) {
		c := Change{ID: "log-retention", Action: Create, Operation: "logs:PutRetentionPolicy", Target: groupARN,
			DependsOn: deps(groupID), Fixes: check.NoCloudWatchLogs}
		if ownGroup {
			var before any
			if retention != nil {
				before = *retention
			}
			c.Action, c.Before = Update, map[string]any{"RetentionInDays": before}
		}
		if err := b.add(c, map[string]any{"logGroupName": group, "retentionInDays": b.o.RetentionDays}); err != nil {
			return "", err
		}
	}
	var roleID string
	if !ownRole {
		roleID = "log-role"
		if err := b.add(Change{ID: roleID, Action: Create, Operation: "iam:CreateRole", Region: "global", Target: roleARN, Fixes: check.NoCloudWatchLogs},
			iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trustPolicy(t.ARN)),
				Description: aws.String("CloudTrail delivery of " + t.Name + " to " + group + " (trailwatch)"),
				Tags:        []iamtypes.Tag{{Key: aws.String(ManagedByKey), Value: aws.String(ManagedByValue)}}}); err != nil {
			return "", err
		}
	}
	// The inline policy is (re)written on our own role too: rewriting our
	// policy is not clobbering, and it names the group this plan wires. It
	// is an update there, which --rollback leaves in place.
	perms := policy(map[string]any{"Effect": "Allow", "Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		"Resource": groupARN + ":log-stream:*"})
	policyAction := Create
	if ownRole {
		policyAction = Update
	}
	if err := b.add(Change{ID: "log-role-policy", Action: policyAction, Operation: "iam:PutRolePolicy", Region: "global", Target: roleARN,
		DependsOn: deps(roleID), Fixes: check.NoCloudWatchLogs},
		iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(rolePolicyName), PolicyDocument: aws.String(perms)}); err != nil {
		return "", err
	}
	err = b.add(Change{ID: "trail", Action: Update, Operation: "cloudtrail:UpdateTrail", Region: t.HomeRegion, Target: t.ARN,
		Before:    map[string]any{"CloudWatchLogsLogGroupArn": nil, "CloudWatchLogsRoleArn": nil},
		DependsOn: deps(groupID, "log-role-policy"), Fixes: check.NoCloudWatchLogs},
		cloudtrail.UpdateTrailInput{Name: aws.String(t.ARN), CloudWatchLogsLogGroupArn: aws.String(groupARN + ":*"), CloudWatchLogsRoleArn: aws.String(roleARN)})
	return group, err
}

// rolePolicyName is the delivery role's inline policy.
const rolePolicyName = "cloudtrail-to-cloudwatch-logs"

// trustPolicy lets CloudTrail assume the delivery role on behalf of one
// trail only.
func trustPolicy(trailARN string) string {
	return policy(map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "cloudtrail.amazonaws.com"},
		"Action": "sts:AssumeRole", "Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trailARN}}})
}

// logGroupTaken reports whether a log group name is in use and whether the
// tool created it (its managed-by tag), in which case it is reused.
func (b *builder) logGroupTaken(name string) (bool, bool, error) {
	v, err := b.look(kindLogGroup, name, b.region)
	if v == nil || err != nil {
		return false, false, err
	}
	g := v.(logstypes.LogGroup)
	// ListTagsForResource takes the bare ARN, not the ":*" form of Arn.
	arn := aws.ToString(g.LogGroupArn)
	if arn == "" {
		arn = strings.TrimSuffix(aws.ToString(g.Arn), ":*")
	}
	if arn == "" {
		arn = "arn:" + b.partition + ":logs:" + b.region + ":" + b.ap.Account + ":log-group:" + name
	}
	out, err := b.r.Logs(b.region).ListTagsForResource(b.ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return false, false, fmt.Errorf("read tags of log group %s: %w", name, awserr.Classify("logs:ListTagsForResource", err))
	}
	return true, out.Tags[ManagedByKey] == ManagedByValue, nil
}

// roleTaken reports whether a role name is in use and whether it is the
// tool's delivery role for this trail: tagged managed-by=trailwatch and
// trusting CloudTrail for exactly this trail, as wireLogs creates it. Our
// role for another trail is taken: re-pointing it would break that trail.
func (b *builder) roleTaken(name, trailARN string) (bool, bool, error) {
	v, err := b.look(kindRole, name, "global")
	if v == nil || err != nil {
		return false, false, err
	}
	r := v.(iamtypes.Role)
	tagged := managed(r.Tags, func(t iamtypes.Tag) (*string, *string) { return t.Key, t.Value })
	return true, tagged && trustsOnly(aws.ToString(r.AssumeRolePolicyDocument), trailARN), nil
}

// trustsOnly reports whether a trust policy is the one trustPolicy writes:
// a single statement allowing cloudtrail.amazonaws.com to sts:AssumeRole
// when aws:SourceArn equals trailARN, and nothing else. IAM returns policy
// documents URL-encoded (RFC 3986).
func trustsOnly(doc, trailARN string) bool {
	if d, err := url.QueryUnescape(doc); err == nil {
		doc = d
	}
	var p struct {
		Statement []struct {
			Sid       string
			Effect    string
			Principal map[string]any
			Action    any
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil || len(p.Statement) != 1 {
		return false
	}
	s := p.Statement[0]
	return s.Effect == "Allow" && len(s.Principal) == 1 && only(s.Principal["Service"]) == "cloudtrail.amazonaws.com" &&
		only(s.Action) == "sts:AssumeRole" && len(s.Condition) == 1 && len(s.Condition["StringEquals"]) == 1 &&
		only(s.Condition["StringEquals"]["aws:SourceArn"]) == trailARN
}

// only returns the one string a policy element holds, written either as a
// string or as a list of one; "" otherwise.
func only(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		if len(t) == 1 {
			s, _ := t[0].(string)
			return s
		}
	}
	return ""
}

func (b *builder) blockIf(cond bool, why string) {
	if cond {
		b.ap.Blocked = why
	}
}

func policy(statement map[string]any) string {
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{statement}})
	return string(doc)
}

// transformation is what a planned filter emits: the metric, and for a
// metric an existing alarm watches, that alarm's unit and the default value
// the filter before it emitted.
type transformation struct {
	namespace, metric, unit string
	defaultValue            *float64
}

func (tr transformation) sdk() logstypes.MetricTransformation {
	return logstypes.MetricTransformation{MetricName: aws.String(tr.metric), MetricNamespace: aws.String(tr.namespace), MetricValue: aws.String("1"),
		Unit: logstypes.StandardUnit(tr.unit), DefaultValue: tr.defaultValue}
}

// request is the transformation as CloudWatch Logs' JSON names it.
func (tr transformation) request() map[string]any {
	m := map[string]any{"metricName": tr.metric, "metricNamespace": tr.namespace, "metricValue": "1"}
	if tr.unit != "" {
		m["unit"] = tr.unit
	}
	if tr.defaultValue != nil {
		m["defaultValue"] = *tr.defaultValue
	}
	return m
}

// filter plans a new metric filter with the control's pattern. A same-named filter
// is reused only when it is exactly what would be written (the name prefix and
// content are the ownership marker, since filters cannot be tagged);
// otherwise the next free name is taken. A user's filter is never edited.
func (b *builder) filter(reason check.Reason, group string, tr transformation) (string, error) {
	want := tr.sdk()
	name, reuse, err := freeName(b.o.NamePrefix+b.o.Control.NameStem, func(name string) (bool, bool, error) {
		v, err := b.look(kindMetricFilter, filterKey(group, name), b.region)
		if v == nil || err != nil {
			return false, false, err
		}
		f := v.(logstypes.MetricFilter)
		ours := aws.ToString(f.FilterPattern) == b.o.Control.Pattern && len(f.MetricTransformations) == 1 &&
			sameTransformation(f.MetricTransformations[0], want) && !f.ApplyOnTransformedLogs && f.FieldSelectionCriteria == nil
		return true, ours, nil
	})
	if err != nil || name == "" || reuse {
		b.blockIf(name == "", "metric filter names "+b.o.NamePrefix+b.o.Control.NameStem+" … -9 on "+group+" are all taken; use --name-prefix")
		return "", err
	}
	var dependsOn []string
	if b.ap.hasChange("log-group") {
		dependsOn = []string{"log-group"}
	}
	return "filter", b.add(Change{ID: "filter", Action: Create, Operation: "logs:PutMetricFilter", Target: group + " / " + name,
		DependsOn: dependsOn, Fixes: reason},
		map[string]any{"logGroupName": group, "filterName": name, "filterPattern": b.o.Control.Pattern,
			"metricTransformations": []map[string]any{tr.request()}})
}

func sameTransformation(a, b logstypes.MetricTransformation) bool {
	return aws.ToString(a.MetricName) == aws.ToString(b.MetricName) && aws.ToString(a.MetricNamespace) == aws.ToString(b.MetricNamespace) &&
		aws.ToString(a.MetricValue) == aws.ToString(b.MetricValue) && len(a.Dimensions) == 0 && a.Unit == b.Unit &&
		(a.DefaultValue == nil) == (b.DefaultValue == nil) && (a.DefaultValue == nil || *a.DefaultValue == *b.DefaultValue)
}

func (a AccountPlan) hasChange(id string) bool {
	for _, c := range a.Changes {
		if c.ID == id {
			return true
		}
	}
	return false
}

// compact drops the null and empty members the SDK's structs marshal, so a
// request shows only what is sent. false and 0 stay: they are sent.
func compact(raw json.RawMessage) json.RawMessage {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	out, err := json.Marshal(prune(v))
	if err != nil {
		return raw
	}
	return out
}

func prune(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			x = prune(x)
			if empty(x) {
				delete(t, k)
				continue
			}
			t[k] = x
		}
	case []any:
		for i := range t {
			t[i] = prune(t[i])
		}
	}
	return v
}

func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}
