package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/trailwatch/trailwatch/check"
)

// What plan does about the notification path: recreate a deleted log
// group, add CloudWatch's statement to a topic's access policy, and create
// topics CloudWatch can publish to.

// KeyReader reads the KMS key --kms-key-id names and its key policy.
type KeyReader interface {
	DescribeKey(ctx context.Context, params *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	GetKeyPolicy(ctx context.Context, params *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
}

// CloudWatchStatementSid names the statement plan adds to a topic's access
// policy, so a reader of the policy knows where it came from.
const CloudWatchStatementSid = "TrailwatchCloudWatchAlarms"

// maxTopicPolicy is the size SNS allows an access policy (30 KiB).
const maxTopicPolicy = 30 * 1024

var kmsKeyIDShape = regexp.MustCompile(`^(alias/[A-Za-z0-9/_-]{1,250}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key/[0-9a-f-]{36}|key/mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]{1,250}))$`)

// ValidateKMSKeyID checks --kms-key-id's shape, and refuses the AWS managed
// key: a topic encrypted with it can never receive alarm notifications.
// Whether the key exists and lets CloudWatch use it is read while planning.
func ValidateKMSKeyID(s string) error {
	switch {
	case s == "":
		return nil
	case !kmsKeyIDShape.MatchString(s):
		return invalid("--kms-key-id %q: want a KMS key ID, key ARN, alias name (alias/…) or alias ARN", s)
	case s == check.AWSManagedSNSKey || strings.HasSuffix(s, ":"+check.AWSManagedSNSKey):
		return invalid("--kms-key-id %q: CloudWatch cannot use the AWS managed key for SNS, so alarms could never notify the topic; pass a customer managed key whose policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*", s)
	}
	return nil
}

// newTopicInput is the CreateTopic request of a new topic: tagged as ours,
// and encrypted with --kms-key-id once that key is seen to admit
// CloudWatch. Never the AWS managed key.
func (b *builder) newTopicInput(name string) (sns.CreateTopicInput, error) {
	in := sns.CreateTopicInput{Name: aws.String(name), Tags: []snstypes.Tag{{Key: aws.String(ManagedByKey), Value: aws.String(ManagedByValue)}}}
	if b.o.KMSKeyID == "" {
		return in, nil
	}
	if b.r.Keys == nil {
		return in, errors.New("--kms-key-id: no KMS client to read the key with")
	}
	region := b.region
	if strings.HasPrefix(b.o.KMSKeyID, "arn:") {
		region = arnRegion(b.o.KMSKeyID)
	}
	k := check.ReadKey(b.ctx, b.r.Keys(region), b.o.KMSKeyID, func(ctx context.Context) (context.Context, context.CancelFunc) {
		return context.WithCancel(ctx)
	})
	alarm := "arn:" + b.partition + ":cloudwatch:" + b.region + ":" + b.ap.Account + ":alarm:" + b.o.NamePrefix + b.o.Control.NameStem
	ok, why := check.KeyAdmitsCloudWatch(k, b.o.KMSKeyID, alarm, b.ap.Account)
	if ok == nil || !*ok {
		b.ap.Blocked = "--kms-key-id " + b.o.KMSKeyID + " cannot encrypt a topic CloudWatch alarms notify: " + why
		return in, nil
	}
	in.Attributes = map[string]string{"KmsMasterKeyId": b.o.KMSKeyID}
	return in, nil
}

// recreateLogGroup plans the log group a trail still names and that no
// longer exists, under the same name, so the trail delivers again without
// being touched; it is tagged as ours, like every group trailwatch creates.
func (b *builder) recreateLogGroup(group string) error {
	v, err := b.look(kindLogGroup, group, b.region)
	if err != nil {
		return err
	}
	if v != nil {
		b.ap.Blocked = "log group " + group + " exists again since check read it; re-run plan"
		return nil
	}
	arn := "arn:" + b.partition + ":logs:" + b.region + ":" + b.ap.Account + ":log-group:" + group
	return b.add(Change{ID: "log-group", Action: Create, Operation: "logs:CreateLogGroup", Target: arn, Fixes: check.LogGroupNotFound},
		map[string]any{"logGroupName": group, "tags": map[string]string{ManagedByKey: ManagedByValue}})
}

// allowCloudWatch plans the one change to a user's topic whose access
// policy does not let CloudWatch publish: the policy as read, every
// statement byte for byte, with CloudWatch's statement appended. A topic
// without a confirmed subscriber also gets the --notify endpoints.
func (b *builder) allowCloudWatch(f Finding, topicARN string, alarm *Alarm) error {
	v, err := b.look(kindTopic, topicARN, b.region)
	if err != nil {
		return err
	}
	if v == nil {
		b.ap.Blocked = "topic " + topicARN + " disappeared since check read it; re-run plan"
		return nil
	}
	policy := v.(map[string]string)["Policy"]
	if hasStatement(policy, CloudWatchStatementSid) {
		// SNS wants a policy's Sids unique, and a second statement under
		// that name would hide how the first came to stop working.
		b.ap.Blocked = "the access policy of topic " + topicARN + " already has a statement " + CloudWatchStatementSid +
			" and it does not let CloudWatch publish (was it edited?); correct or remove it, then re-run plan"
		return nil
	}
	merged, err := addStatement(policy, cloudWatchStatement(topicARN, b.partition, b.region, b.ap.Account))
	if err != nil {
		b.ap.Blocked = "the access policy of topic " + topicARN + " cannot be extended (" + err.Error() + "); add a statement allowing cloudwatch.amazonaws.com SNS:Publish yourself"
		return nil
	}
	if len(merged) > maxTopicPolicy {
		b.ap.Blocked = fmt.Sprintf("the access policy of topic %s would exceed SNS's %d bytes with CloudWatch's statement; add one yourself", topicARN, maxTopicPolicy)
		return nil
	}
	alarmARN := ""
	if alarm != nil {
		alarmARN = alarm.ARN
	}
	if ok, why := check.TopicPolicyAdmits(merged, topicARN, alarmARN, b.ap.Account); ok == nil || !*ok {
		b.ap.Blocked = "adding CloudWatch's statement to the access policy of topic " + topicARN + " would not let it publish (" + why + "); change the policy yourself"
		return nil
	}
	// Before is the policy as read: the diff shows it beside the merged one,
	// and fix --plan holds it to the topic.
	if err := b.add(Change{ID: "topic-policy", Action: Update, Operation: "sns:SetTopicAttributes", Target: topicARN,
		Before: map[string]any{"AttributeValue": policy}, Fixes: f.Reason},
		sns.SetTopicAttributesInput{TopicArn: aws.String(topicARN), AttributeName: aws.String("Policy"), AttributeValue: aws.String(merged)}); err != nil {
		return err
	}
	_, _, err = b.topic(f, topicARN, false)
	return err
}

// cloudWatchStatement lets this account's alarms in this region, and
// nothing else through CloudWatch, publish to the topic: the statement AWS's
// knowledge center gives for alarms that cannot publish, limited by
// aws:SourceArn (the alarm's ARN, which names the account).
func cloudWatchStatement(topicARN, partition, region, account string) string {
	s, _ := json.Marshal(map[string]any{
		"Sid": CloudWatchStatementSid, "Effect": "Allow",
		"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
		"Action":    "SNS:Publish", "Resource": topicARN,
		"Condition": map[string]any{
			"ArnLike": map[string]any{"aws:SourceArn": "arn:" + partition + ":cloudwatch:" + region + ":" + account + ":alarm:*"},
		},
	})
	return string(s)
}

// hasStatement reports whether a policy document has a statement with the
// given Sid; a document that does not parse has none (addStatement then
// says what is wrong with it).
func hasStatement(doc, sid string) bool {
	var p struct{ Statement json.RawMessage }
	if json.Unmarshal([]byte(doc), &p) != nil {
		return false
	}
	type statement struct{ Sid string }
	var list []statement
	if json.Unmarshal(p.Statement, &list) != nil {
		var one statement
		if json.Unmarshal(p.Statement, &one) != nil {
			return false
		}
		list = []statement{one}
	}
	for _, st := range list {
		if st.Sid == sid {
			return true
		}
	}
	return false
}

// addStatement appends a statement to a policy document and changes no
// other byte: the Statement list gains one element before its closing
// bracket (a single statement object becomes a list of it and the new
// one). Nothing is re-encoded, so the user's statements stay as written.
func addStatement(doc, statement string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", errors.New("the policy is not a JSON object")
	}
	start, end := -1, -1
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", fmt.Errorf("the policy is not valid JSON: %w", err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return "", fmt.Errorf("the policy is not valid JSON: %w", err)
		}
		if key, _ := tok.(string); key == "Statement" {
			if start >= 0 {
				return "", errors.New("the policy has two Statement elements")
			}
			end = int(dec.InputOffset())
			start = end - len(raw)
		}
	}
	if _, err := dec.Token(); err != nil {
		return "", fmt.Errorf("the policy is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", errors.New("the policy is not valid JSON: data after the document")
	}
	if start < 0 {
		return "", errors.New("the policy has no Statement")
	}
	value := doc[start:end]
	switch value[0] {
	case '[':
		inner := bytes.TrimSpace([]byte(value[1 : len(value)-1]))
		sep := ","
		if len(inner) == 0 {
			sep = ""
		}
		return doc[:end-1] + sep + statement + doc[end-1:], nil
	case '{':
		return doc[:start] + "[" + value + "," + statement + "]" + doc[end:], nil
	}
	return "", errors.New("the policy's Statement is neither a list nor an object")
}
