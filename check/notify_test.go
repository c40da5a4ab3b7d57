package check

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/awsapi"
)

const (
	keyID    = "1234abcd-12ab-34cd-56ef-1234567890ab"
	keyARN   = "arn:aws:kms:us-east-1:" + acct + ":key/" + keyID
	alarmARN = "arn:aws:cloudwatch:us-east-1:" + acct + ":alarm:cis-alarm"
)

// withKey encrypts the world's topic with a key of the given manager, state
// and policy, reachable by every KeyId form a topic may name.
func withKey(manager kmstypes.KeyManagerType, state kmstypes.KeyState, policy string) func(*world) {
	return func(w *world) {
		meta := &kmstypes.KeyMetadata{KeyId: aws.String(keyID), Arn: aws.String(keyARN), KeyManager: manager, KeyState: state, CreationDate: aws.Time(time.Unix(0, 0))}
		for _, id := range []string{keyID, keyARN, "alias/alerts"} {
			w.keys[id] = meta
		}
		w.keyPolicies[keyARN] = policy
		w.topicAttrs[topicARN] = map[string]string{"KmsMasterKeyId": "alias/alerts"}
	}
}

func topicPolicy(statements string) func(*world) {
	return func(w *world) {
		w.topicAttrs[topicARN] = map[string]string{"Policy": `{"Version":"2012-10-17","Statement":[` + statements + `]}`}
	}
}

const (
	adminKeyStatement      = `{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"kms:*","Resource":"*"}`
	cloudwatchKeyStatement = `{"Sid":"CloudWatch","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}`
)

func keyPolicy(statements ...string) string {
	out := `{"Version":"2012-10-17","Statement":[`
	for i, s := range statements {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out + `]}`
}

// The notification path: the topic's KMS key and access policy, the
// alarm's unit and missing-data setting, and references that no longer
// hold — each with its exact verdict.
func TestNotificationPath(t *testing.T) {
	for _, tc := range []struct {
		name    string
		break_  func(*world)
		status  Status
		reason  Reason
		message []string
	}{
		// Topic encryption.
		{name: "AWS managed key by alias", status: Fail, reason: TopicCannotReceive, message: []string{"AWS managed key", "alias/aws/sns"},
			break_: func(w *world) { w.topicAttrs[topicARN] = map[string]string{"KmsMasterKeyId": "alias/aws/sns"} }},
		{name: "AWS managed key by key ARN", status: Fail, reason: TopicCannotReceive, message: []string{"AWS managed key"},
			break_: func(w *world) {
				withKey(kmstypes.KeyManagerTypeAws, kmstypes.KeyStateEnabled, "")(w)
				w.topicAttrs[topicARN]["KmsMasterKeyId"] = keyARN
			}},
		{name: "customer managed key without CloudWatch", status: Fail, reason: TopicCannotReceive, message: []string{keyARN, "no statement allows cloudwatch.amazonaws.com kms:Decrypt"},
			break_: withKey(kmstypes.KeyManagerTypeCustomer, kmstypes.KeyStateEnabled, keyPolicy(adminKeyStatement))},
		{name: "customer managed key with Decrypt only", status: Fail, reason: TopicCannotReceive, message: []string{"kms:GenerateDataKey"},
			break_: withKey(kmstypes.KeyManagerTypeCustomer, kmstypes.KeyStateEnabled, keyPolicy(adminKeyStatement,
				`{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*"}`))},
		{name: "customer managed key with a CloudWatch grant", status: Pass,
			break_: withKey(kmstypes.KeyManagerTypeCustomer, kmstypes.KeyStateEnabled, keyPolicy(adminKeyStatement, cloudwatchKeyStatement))},
		{name: "customer managed key granting kms:* to CloudWatch for this account", status: Pass,
			break_: withKey(kmstypes.KeyManagerTypeCustomer, kmstypes.KeyStateEnabled, keyPolicy(
				`{"Effect":"Allow","Principal":{"Service":["events.amazonaws.com","cloudwatch.amazonaws.com"]},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"`+acct+`"}}}`))},
		{name: "disabled customer managed key", status: Fail, reason: TopicCannotReceive, message: []string{"Disabled"},
			break_: withKey(kmstypes.KeyManagerTypeCustomer, kmstypes.KeyStateDisabled, keyPolicy(cloudwatchKeyStatement))},
		{name: "key policy Deny for CloudWatch", status: Fail, reason: TopicCannotReceive, message: []string{`"NoServices" denies`},
			break_: withKey(kmstypes.KeyManagerTypeCustomer, kmstypes.KeyStateEnabled, keyPolicy(cloudwatchKeyStatement,
				`{"Sid":"NoServices","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceAccount":"999999999999"}}}`))},
		{name: "key policy with a condition trailwatch cannot evaluate", status: Manual, message: []string{"kms:ViaService"},
			break_: withKey(kmstypes.KeyManagerTypeCustomer, kmstypes.KeyStateEnabled, keyPolicy(
				`{"Sid":"ViaSNS","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"sns.us-east-1.amazonaws.com"}}}`))},
		{name: "unreadable key policy", status: Manual, message: []string{"missing permission kms:GetKeyPolicy"},
			break_: func(w *world) {
				withKey(kmstypes.KeyManagerTypeCustomer, kmstypes.KeyStateEnabled, keyPolicy(cloudwatchKeyStatement))(w)
				w.denied["kms:GetKeyPolicy"] = "AccessDeniedException"
			}},
		{name: "unreadable key", status: Manual, message: []string{"missing permission kms:DescribeKey"},
			break_: func(w *world) {
				withKey(kmstypes.KeyManagerTypeCustomer, kmstypes.KeyStateEnabled, keyPolicy(cloudwatchKeyStatement))(w)
				w.denied["kms:DescribeKey"] = "AccessDeniedException"
			}},
		{name: "key that no longer exists", status: Fail, reason: TopicCannotReceive, message: []string{"does not exist"},
			break_: func(w *world) { w.topicAttrs[topicARN] = map[string]string{"KmsMasterKeyId": "alias/gone"} }},
		{name: "another account's key that cannot be seen", status: Manual, message: []string{"is in account " + other},
			break_: func(w *world) {
				w.topicAttrs[topicARN] = map[string]string{"KmsMasterKeyId": "arn:aws:kms:us-east-1:" + other + ":key/" + keyID}
			}},

		// Topic access policy.
		{name: "default topic policy (AWS:SourceOwner)", status: Pass, break_: func(*world) {}},
		{name: "custom policy admitting CloudWatch with SourceArn and SourceAccount", status: Pass,
			break_: topicPolicy(`{"Sid":"CW","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topicARN + `",` +
				`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:us-east-1:` + acct + `:alarm:*"},"StringEquals":{"aws:SourceAccount":"` + acct + `"}}}`)},
		{name: "single-statement shorthand with SNS:* and Resource *", status: Pass,
			break_: func(w *world) {
				w.topicAttrs[topicARN] = map[string]string{"Policy": `{"Statement":{"Effect":"Allow","Principal":"*","Action":"SNS:*","Resource":"*"}}`}
			}},
		{name: "policy naming only a role", status: Fail, reason: TopicCannotReceive, message: []string{"no statement allows cloudwatch.amazonaws.com sns:Publish"},
			break_: topicPolicy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:role/pager"},"Action":"sns:Publish","Resource":"` + topicARN + `"}`)},
		{name: "SourceArn naming another alarm", status: Fail, reason: TopicCannotReceive,
			break_: topicPolicy(`{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topicARN + `","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudwatch:us-east-1:` + acct + `:alarm:other"}}}`)},
		{name: "SourceOwner of another account", status: Fail, reason: TopicCannotReceive,
			break_: topicPolicy(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"` + topicARN + `","Condition":{"StringEquals":{"AWS:SourceOwner":"999999999999"}}}`)},
		{name: "policy for another resource", status: Fail, reason: TopicCannotReceive,
			break_: topicPolicy(`{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:` + acct + `:other"}`)},
		{name: "Deny for CloudWatch beats the default Allow", status: Fail, reason: TopicCannotReceive, message: []string{`"NoCW" denies`},
			break_: topicPolicy(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"` + topicARN + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + acct + `"}}},` +
				`{"Sid":"NoCW","Effect":"Deny","Principal":{"Service":"cloudwatch.amazonaws.com"},"NotAction":"sns:Subscribe","Resource":"*"}`)},
		{name: "Deny with a NotLike SourceArn that spares this alarm", status: Pass,
			break_: topicPolicy(`{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topicARN + `"},` +
				`{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"` + topicARN + `","Condition":{"ArnNotLike":{"aws:SourceArn":"arn:aws:cloudwatch:*:` + acct + `:alarm:cis-*"}}}`)},
		{name: "condition trailwatch cannot evaluate names its statement", status: Manual, message: []string{`"OrgOnly"`, "aws:PrincipalOrgID"},
			break_: topicPolicy(`{"Sid":"OrgOnly","Effect":"Allow","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"` + topicARN + `","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}`)},
		{name: "unknown Deny outweighs an Allow", status: Manual, message: []string{"Deny statement #2", "ForAnyValue:StringEquals"},
			break_: topicPolicy(`{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topicARN + `"},` +
				`{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:SourceAccount":["1"]}}}`)},
		{name: "a definite failing condition beats an unknown one", status: Fail, reason: TopicCannotReceive,
			break_: topicPolicy(`{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"` + topicARN + `","Condition":{"StringEquals":{"aws:SourceAccount":"999999999999","aws:PrincipalOrgID":"o-abc"}}}`)},
		{name: "policy that is not JSON", status: Manual, message: []string{"not valid JSON"},
			break_: func(w *world) { w.topicAttrs[topicARN] = map[string]string{"Policy": "{"} }},
		{name: "AccessDenied on GetTopicAttributes", status: Error, message: []string{"missing permission sns:GetTopicAttributes"},
			break_: func(w *world) { w.denied["sns:GetTopicAttributes"] = "AuthorizationError" }},
		{name: "a topic that cannot receive and has no subscriber reports the topic", status: Fail, reason: TopicCannotReceive,
			break_: func(w *world) {
				w.topicAttrs[topicARN] = map[string]string{"KmsMasterKeyId": "alias/aws/sns"}
				w.subs = nil
			}},

		// The alarm's unit.
		{name: "alarm unit differs from the filter's (None)", status: Fail, reason: AlarmCannotFire, message: []string{"unit Count", "None", "INSUFFICIENT_DATA"},
			break_: func(w *world) { w.firstAlarm().Unit = cwtypes.StandardUnitCount }},
		{name: "alarm with the filter's own unit", status: Pass,
			break_: func(w *world) {
				w.firstAlarm().Unit = cwtypes.StandardUnitCount
				w.firstFilter().MetricTransformations[0].Unit = logstypes.StandardUnitCount
			}},
		{name: "alarm unit None for a filter without a unit", status: Pass,
			break_: func(w *world) { w.firstAlarm().Unit = cwtypes.StandardUnitNone }},

		// Missing data.
		{name: "TreatMissingData breaching", status: Fail, reason: AlarmCannotFire, message: []string{"breaching", "sits in ALARM", "no state transition"},
			break_: func(w *world) { w.firstAlarm().TreatMissingData = aws.String("breaching") }},
		{name: "TreatMissingData ignore without a default value", status: Fail, reason: AlarmCannotFire, message: []string{"ignore", "no default value", "every later change is silent"},
			break_: func(w *world) { w.firstAlarm().TreatMissingData = aws.String("ignore") }},
		{name: "TreatMissingData ignore with a default value", status: Pass,
			break_: func(w *world) {
				w.firstAlarm().TreatMissingData = aws.String("ignore")
				w.firstFilter().MetricTransformations[0].DefaultValue = aws.Float64(0)
			}},
		{name: "TreatMissingData missing (the default)", status: Pass,
			break_: func(w *world) { w.firstAlarm().TreatMissingData = nil }},

		// References that no longer hold.
		{name: "alarm whose topic was deleted", status: Fail, reason: NoAlarmTopic, message: []string{topicARN, "no longer exists"},
			break_: func(w *world) { w.deleted[topicARN] = true }},
		{name: "deleted topic whose subscriptions cannot be listed", status: Fail, reason: NoAlarmTopic, message: []string{topicARN, "no longer exists"},
			break_: func(w *world) {
				w.deleted[topicARN] = true
				w.denied["sns:ListSubscriptionsByTopic"] = "AuthorizationError"
			}},
		{name: "trail delivering to a deleted log group", status: Fail, reason: LogGroupNotFound, message: []string{group, "does not exist"},
			break_: func(w *world) { delete(w.filters, home+" "+group) }},
		{name: "deleted log group outweighs the delivery error it causes", status: Fail, reason: LogGroupNotFound,
			break_: func(w *world) {
				delete(w.filters, home+" "+group)
				w.status[trailARN].LatestCloudWatchLogsDeliveryError = aws.String("ResourceNotFoundException")
			}},
		// The other order: delivery is the trail's own status, so a trail of
		// this account failing to deliver to another account's group is a
		// FAIL here, not the MANUAL the other account's chain would be.
		{name: "delivery error outweighs a log group in another account", status: Fail, reason: LogsDeliveryFailing,
			message: []string{"central", "AccessDeniedException"},
			break_: func(w *world) {
				w.trails[0].CloudWatchLogsLogGroupArn = aws.String("arn:aws:logs:us-east-1:" + other + ":log-group:central:*")
				w.status[trailARN].LatestCloudWatchLogsDeliveryError = aws.String("AccessDeniedException: role cannot write")
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := compliant()
			w.filters[home+" "+group] = append([]logstypes.MetricFilter(nil), w.filters[home+" "+group]...)
			tc.break_(w)
			r, _ := w.run(t, Options{})
			require.Equal(t, tc.status, r.Status, "message: %s", r.Message)
			require.Equal(t, tc.reason, r.Reason, "message: %s", r.Message)
			require.True(t, contains(r.Message, tc.message...), "message %q lacks %q", r.Message, tc.message)
			require.NotEmpty(t, r.Remediation)
		})
	}
}

// For plan, the alarms on the metric a new filter would emit are followed
// when the filter is what is missing; check alone never asks.
func TestCandidateMetrics(t *testing.T) {
	unwired := func() *world {
		w := compliant()
		w.trails[0].CloudWatchLogsLogGroupArn = nil
		return w
	}
	r, f := unwired().run(t, Options{})
	require.Equal(t, NoCloudWatchLogs, r.Reason)
	require.Zero(t, f.apiCalls()["DescribeAlarmsForMetric"])
	require.Empty(t, r.Trails[0].Candidates)

	r, _ = unwired().run(t, Options{Candidates: []Metric{{Namespace: ns, Name: metric}}})
	require.Equal(t, NoCloudWatchLogs, r.Reason, "candidates are evidence, never a verdict")
	c := r.Trails[0].Candidates
	require.Len(t, c, 1)
	require.Equal(t, metric, c[0].Name)
	require.Len(t, c[0].Alarms, 1)
	require.True(t, c[0].Alarms[0].CanFire)
	require.Equal(t, 1, c[0].Alarms[0].Topics[0].Confirmed)

	// A metric one of the group's own filters already emits is not asked twice.
	w := compliant()
	w.firstFilter().FilterPattern = aws.String("{ $.eventName = CreateTrail }")
	r, f = w.run(t, Options{Candidates: []Metric{{Namespace: ns, Name: metric}}})
	require.Equal(t, NoMatchingFilter, r.Reason)
	require.Empty(t, r.Trails[0].Candidates)
	require.Equal(t, 1, f.apiCalls()["DescribeAlarmsForMetric"])
	require.True(t, r.Trails[0].Filters[0].Metrics[0].Alarms[0].CanFire, "the missing filter's metric is followed")
}

// A topic naming its key by key ID or ARN has the key's policy read beside
// the key (GetKeyPolicy takes those, never an alias): an encrypted topic
// costs one round trip more than a plain one, not two. Each DescribeKey
// answers only once a GetKeyPolicy has been asked.
func TestKeyPolicyReadBesideKey(t *testing.T) {
	for _, id := range []string{keyID, keyARN} {
		t.Run(id, func(t *testing.T) {
			w := compliant()
			withKey(kmstypes.KeyManagerTypeCustomer, kmstypes.KeyStateEnabled, keyPolicy(adminKeyStatement, cloudwatchKeyStatement))(w)
			w.topicAttrs[topicARN]["KmsMasterKeyId"] = id
			f := w.fake(t)
			clients := &rendezvousKMS{Clients: f.clients, policyAsked: newGate()}
			rep := Run(context.Background(), []Target{{Profile: "p", Region: home, Clients: clients}}, Options{})
			r := rep.Results[0]
			require.Equal(t, Pass, r.Status, r.Message)
			calls := f.apiCalls()
			require.Equal(t, 1, calls["DescribeKey"])
			require.Equal(t, 1, calls["GetKeyPolicy"])
		})
	}
}

// rendezvousKMS holds DescribeKey until GetKeyPolicy is asked; a read that
// sends them one after the other gets an error instead of waiting forever.
type rendezvousKMS struct {
	awsapi.Clients
	policyAsked *gate
}

func (c *rendezvousKMS) KMS(region string) awsapi.KMSAPI {
	return rendezvousKeys{KMSAPI: c.Clients.KMS(region), c: c}
}

type rendezvousKeys struct {
	awsapi.KMSAPI
	c *rendezvousKMS
}

func (k rendezvousKeys) DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, opts ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	if err := k.c.policyAsked.wait("GetKeyPolicy and DescribeKey"); err != nil {
		return nil, err
	}
	return k.KMSAPI.DescribeKey(ctx, in, opts...)
}

func (k rendezvousKeys) GetKeyPolicy(ctx context.Context, in *kms.GetKeyPolicyInput, opts ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
	k.c.policyAsked.open()
	return k.KMSAPI.GetKeyPolicy(ctx, in, opts...)
}

// A key of another account that DescribeKey can see: its policy can be read
// only in its own account (GetKeyPolicy is not cross-account), so it is not
// asked for, and the verdict is a person's, saying why.
func TestOtherAccountsKeyPolicyNotAsked(t *testing.T) {
	w := compliant()
	foreign := "arn:aws:kms:us-east-1:" + other + ":key/" + keyID
	w.keys[foreign] = &kmstypes.KeyMetadata{KeyId: aws.String(keyID), Arn: aws.String(foreign), KeyManager: kmstypes.KeyManagerTypeCustomer, KeyState: kmstypes.KeyStateEnabled}
	w.keyPolicies[foreign] = keyPolicy(cloudwatchKeyStatement)
	w.topicAttrs[topicARN] = map[string]string{"KmsMasterKeyId": foreign}
	r, f := w.run(t, Options{})
	require.Equal(t, Manual, r.Status, r.Message)
	require.True(t, contains(r.Message, foreign, "only in the key's own account "+other), r.Message)
	require.Equal(t, 1, f.apiCalls()["DescribeKey"])
	require.Zero(t, f.apiCalls()["GetKeyPolicy"])
}
