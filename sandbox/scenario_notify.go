package sandbox

import (
	"fmt"
	"sort"
)

// Scenarios of the notification path: the compliant chain with one thing
// changed that decides whether CloudWatch can publish to the topic, whether
// the alarm changes state on a change, or whether a reference still holds.
// Each names the verdict check must reach.

// NotifyScenario is one of them, with the status and reason check reports.
type NotifyScenario struct {
	Name   string
	Status string // PASS, FAIL or MANUAL
	Reason string // the FAIL reason, "" otherwise
	build  func(ab *accountBuilder, c *chain)
}

// UserTopicPolicy is the access policy of the "topic-policy-*" scenarios'
// topic before anything is added: the owner may manage it, one role may
// publish. Tests compare it byte for byte after a fix.
func UserTopicPolicy(topicARN string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Id":"team-alerts","Statement":[`+
		`{"Sid":"OwnerManages","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%[2]s:root"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:Subscribe"],"Resource":"%[1]s"},`+
		` {"Sid": "PagerPublishes", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%[2]s:role/pager"}, "Action": "sns:Publish", "Resource": "%[1]s"}]}`,
		topicARN, arnField(topicARN, 4))
}

// keyPolicyWithCloudWatch lets the account administer the key and
// CloudWatch's alarms use it, as the SNS guide shows.
func keyPolicyWithCloudWatch(account string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%[1]s:root"},"Action":"kms:*","Resource":"*"},`+
		`{"Sid":"CloudWatchAlarms","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}]}`, account)
}

var notifyScenarios = []NotifyScenario{
	{"topic-aws-managed-key", "FAIL", "TOPIC_CANNOT_RECEIVE", func(ab *accountBuilder, c *chain) {
		ab.topicAttr(c.topic, "KmsMasterKeyId", awsManagedSNSAlias)
	}},
	{"topic-key-without-cloudwatch", "FAIL", "TOPIC_CANNOT_RECEIVE", func(ab *accountBuilder, c *chain) {
		k := ab.b.st.addKey(ab.a.ID, DefaultRegion, "alerts", defaultKeyPolicy(ab.a.ID))
		ab.topicAttr(c.topic, "KmsMasterKeyId", k.ID)
	}},
	{"topic-key-with-cloudwatch", "PASS", "", func(ab *accountBuilder, c *chain) {
		k := ab.b.st.addKey(ab.a.ID, DefaultRegion, "alerts", keyPolicyWithCloudWatch(ab.a.ID))
		ab.topicAttr(c.topic, "KmsMasterKeyId", kmsKeyARN(DefaultRegion, ab.a.ID, k.ID))
	}},
	{"topic-policy-without-cloudwatch", "FAIL", "TOPIC_CANNOT_RECEIVE", func(ab *accountBuilder, c *chain) {
		ab.topicAttr(c.topic, "Policy", UserTopicPolicy(c.topic))
	}},
	{"topic-policy-denies-cloudwatch", "FAIL", "TOPIC_CANNOT_RECEIVE", func(ab *accountBuilder, c *chain) {
		ab.topicAttr(c.topic, "Policy", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
			`{"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"%[1]s","Condition":{"StringEquals":{"AWS:SourceOwner":"%[2]s"}}},`+
			`{"Sid":"NoServices","Effect":"Deny","Principal":{"Service":["cloudwatch.amazonaws.com","events.amazonaws.com"]},"Action":"sns:*","Resource":"%[1]s"}]}`, c.topic, ab.a.ID))
	}},
	{"topic-policy-custom", "PASS", "", func(ab *accountBuilder, c *chain) {
		ab.topicAttr(c.topic, "Policy", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
			`{"Sid":"CloudWatchAlarms","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"%[1]s",`+
			`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:%[3]s:%[2]s:alarm:*"},"StringEquals":{"aws:SourceAccount":"%[2]s"}}}]}`, c.topic, ab.a.ID, DefaultRegion))
	}},
	{"topic-policy-unknown-condition", "MANUAL", "", func(ab *accountBuilder, c *chain) {
		ab.topicAttr(c.topic, "Policy", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
			`{"Sid":"OrgOnly","Effect":"Allow","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"%[1]s","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-sandbox0001"}}}]}`, c.topic))
	}},
	{"alarm-unit-mismatch", "FAIL", "ALARM_CANNOT_FIRE", func(_ *accountBuilder, c *chain) {
		c.alarm.Unit = "Count"
	}},
	{"alarm-filter-unit", "PASS", "", func(_ *accountBuilder, c *chain) {
		c.filter.Transformation.Unit = "Count"
		c.alarm.Unit = "Count"
	}},
	{"alarm-missing-breaching", "FAIL", "ALARM_CANNOT_FIRE", func(_ *accountBuilder, c *chain) {
		c.alarm.TreatMissingData = "breaching"
	}},
	{"alarm-missing-ignore", "FAIL", "ALARM_CANNOT_FIRE", func(_ *accountBuilder, c *chain) {
		c.alarm.TreatMissingData = "ignore"
	}},
	{"alarm-missing-ignore-default-value", "PASS", "", func(_ *accountBuilder, c *chain) {
		zero := 0.0
		c.filter.Transformation.DefaultValue = &zero
		c.alarm.TreatMissingData = "ignore"
	}},
	// The alarm's topic was deleted after the alarm was made.
	{"alarm-topic-deleted", "FAIL", "NO_ALARM_TOPIC", func(ab *accountBuilder, c *chain) {
		rs := ab.a.region(DefaultRegion)
		delete(rs.Subscriptions, c.sub.ARN)
		delete(rs.Topics, c.topic)
	}},
	// Five Lambda actions and no topic: no room for one more action.
	{"alarm-actions-full", "FAIL", "NO_ALARM_TOPIC", func(ab *accountBuilder, c *chain) {
		c.alarm.AlarmActions = nil
		for i := 1; i <= cwMaxActions; i++ {
			c.alarm.AlarmActions = append(c.alarm.AlarmActions, fmt.Sprintf("arn:aws:lambda:%s:%s:function:responder-%d", DefaultRegion, ab.a.ID, i))
		}
	}},
	// The trail still names its log group, which was deleted.
	{"log-group-deleted", "FAIL", "LOG_GROUP_NOT_FOUND", func(ab *accountBuilder, c *chain) {
		delete(ab.a.region(DefaultRegion).LogGroups, c.group.Name)
	}},
	// The filter misses the control's last event; the alarm on its metric,
	// the topic and the subscriber all work: only the filter is missing.
	{"only-filter-missing", "FAIL", "NO_MATCHING_FILTER", func(ab *accountBuilder, c *chain) {
		breaks["NO_MATCHING_FILTER"](ab, c)
	}},
}

// NotifyScenarios lists the notification-path scenarios, sorted by name.
func NotifyScenarios() []NotifyScenario {
	out := append([]NotifyScenario(nil), notifyScenarios...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func init() {
	for _, s := range notifyScenarios {
		scenarios[s.Name] = changedChain(s.build)
	}
}

// topicAttr sets one attribute of a topic, as SetTopicAttributes would.
func (ab *accountBuilder) topicAttr(topicARN, name, value string) {
	ab.a.region(arnField(topicARN, 3)).Topics[topicARN].Attributes[name] = value
}
