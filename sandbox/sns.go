package sandbox

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// SNS (Query): topics and subscriptions, with email/http(s) subscriptions
// staying "pending confirmation" until confirmed.

// snsTopic is an SNS topic; Attributes holds the settable attributes
// (Policy, DisplayName, KmsMasterKeyId, …) as CreateTopic/SetTopicAttributes
// stored them.
type snsTopic struct {
	ARN        string            `json:"arn"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       []tag             `json:"tags,omitempty"`
}

// snsSubscription is a subscription. A pending one has a confirmation
// Token; its ARN is internal until it is confirmed.
type snsSubscription struct {
	ARN      string `json:"arn"`
	TopicARN string `json:"topicArn"`
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
	Owner    string `json:"owner"`
	Pending  bool   `json:"pending,omitempty"`
	Token    string `json:"token,omitempty"`
}

func init() {
	register("sns", "CreateTopic", snsCreateTopic)
	register("sns", "DeleteTopic", snsDeleteTopic)
	register("sns", "ListTopics", snsListTopics)
	register("sns", "GetTopicAttributes", snsGetTopicAttributes)
	register("sns", "SetTopicAttributes", snsSetTopicAttributes)
	register("sns", "Subscribe", snsSubscribe)
	register("sns", "ConfirmSubscription", snsConfirmSubscription)
	register("sns", "Unsubscribe", snsUnsubscribe)
	register("sns", "ListSubscriptionsByTopic", snsListSubscriptionsByTopic)
	register("sns", "ListTagsForResource", snsListTagsForResource)
}

// Limits from the SNS API reference: topic names are 1–256 of [A-Za-z0-9_-]
// (plus ".fifo" for FIFO topics); list operations return up to 100 items.
const snsPageSize = 100

var topicNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// snsTopicAttributes are the attributes SetTopicAttributes and CreateTopic accept.
var snsTopicAttributes = map[string]bool{
	"ApplicationSuccessFeedbackRoleArn": true, "ApplicationSuccessFeedbackSampleRate": true, "ApplicationFailureFeedbackRoleArn": true,
	"ArchivePolicy": true, "ContentBasedDeduplication": true, "DataProtectionPolicy": true, "DeliveryPolicy": true, "DisplayName": true,
	"FifoThroughputScope": true, "FifoTopic": true,
	"FirehoseSuccessFeedbackRoleArn": true, "FirehoseSuccessFeedbackSampleRate": true, "FirehoseFailureFeedbackRoleArn": true,
	"HTTPSuccessFeedbackRoleArn": true, "HTTPSuccessFeedbackSampleRate": true, "HTTPFailureFeedbackRoleArn": true,
	"KmsMasterKeyId":               true,
	"LambdaSuccessFeedbackRoleArn": true, "LambdaSuccessFeedbackSampleRate": true, "LambdaFailureFeedbackRoleArn": true,
	"Policy": true, "SignatureVersion": true,
	"SQSSuccessFeedbackRoleArn": true, "SQSSuccessFeedbackSampleRate": true, "SQSFailureFeedbackRoleArn": true,
	"TracingConfig": true,
}

func snsInvalid(format string, args ...any) *apiError {
	return badRequest("InvalidParameter", "Invalid parameter: "+format, args...)
}

func topicNotFound() *apiError {
	return errorf(http.StatusNotFound, "NotFound", "Topic does not exist")
}

// stringAttrs reads a string map input (Query entry/key/value or JSON object).
func stringAttrs(c *call, key string) map[string]string {
	out := map[string]string{}
	for k, v := range c.object(key) {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func snsCreateTopic(st *state, c *call) (map[string]any, error) {
	name := c.str("Name")
	attrs := stringAttrs(c, "Attributes")
	base, fifo := strings.CutSuffix(name, ".fifo")
	if !topicNameRE.MatchString(base) || fifo != (attrs["FifoTopic"] == "true") {
		return nil, snsInvalid("Topic Name")
	}
	for k := range attrs {
		if !snsTopicAttributes[k] {
			return nil, snsInvalid("Attributes Reason: Unknown attribute %s", k)
		}
	}
	if p, ok := attrs["Policy"]; ok && !json.Valid([]byte(p)) {
		return nil, snsInvalid("Policy Error: null")
	}
	tags, aerr := readTags(c)
	if aerr != nil {
		return nil, aerr
	}
	arn := "arn:aws:sns:" + c.Region + ":" + c.Account + ":" + name
	topics := st.account(c.Account).region(c.Region).Topics
	// CreateTopic is idempotent for the same name, attributes and tags.
	if t := topics[arn]; t != nil {
		for k, v := range attrs {
			if t.Attributes[k] != v {
				return nil, snsInvalid("Attributes Reason: Topic already exists with different attributes")
			}
		}
		if len(tags) > 0 && !slices.Equal(tags, t.Tags) {
			return nil, snsInvalid("Tags Reason: Topic already exists with different tags")
		}
		return map[string]any{"TopicArn": arn}, nil
	}
	topics[arn] = &snsTopic{ARN: arn, Attributes: attrs, Tags: tags}
	return map[string]any{"TopicArn": arn}, nil
}

// topic finds the topic an ARN names, as the caller sees it: another
// region's topic is an invalid parameter, another account's topic is not
// the caller's to use.
func (st *state) topic(c *call, arn string) (*snsTopic, *apiError) {
	if arn == "" {
		return nil, snsInvalid("TopicArn")
	}
	if arnField(arn, 2) != "sns" || arnField(arn, 3) != c.Region {
		return nil, snsInvalid("TopicArn")
	}
	owner := arnField(arn, 4)
	if owner != c.Account {
		if a := st.account(owner); a != nil && a.region(c.Region).Topics[arn] != nil {
			return nil, errorf(http.StatusForbidden, "AuthorizationError", "User: %s is not authorized to perform: SNS:%s on resource: %s", callerARN(st, c), c.Action, arn)
		}
		return nil, topicNotFound()
	}
	t := st.account(owner).region(c.Region).Topics[arn]
	if t == nil {
		return nil, topicNotFound()
	}
	return t, nil
}

func snsDeleteTopic(st *state, c *call) (map[string]any, error) {
	arn := c.str("TopicArn")
	t, err := st.topic(c, arn)
	if err != nil {
		// Deleting a topic that does not exist succeeds.
		if err.Code == "NotFound" {
			return nil, nil
		}
		return nil, err
	}
	rs := st.account(c.Account).region(c.Region)
	for sarn, s := range rs.Subscriptions {
		if s.TopicARN == t.ARN {
			delete(rs.Subscriptions, sarn)
		}
	}
	delete(rs.Topics, t.ARN)
	return nil, nil
}

// snsListTagsForResource lists a topic's tags, which is how trailwatch tells
// a topic it created from someone else's of the same name.
func snsListTagsForResource(st *state, c *call) (map[string]any, error) {
	t, err := st.topic(c, c.str("ResourceArn"))
	if err != nil {
		if err.Code == "NotFound" {
			return nil, errorf(http.StatusNotFound, "ResourceNotFound", "Resource does not exist")
		}
		return nil, err
	}
	tags := []any{}
	for _, tg := range t.Tags {
		tags = append(tags, map[string]any{"Key": tg.Key, "Value": tg.Value})
	}
	return map[string]any{"Tags": tags}, nil
}

// snsPage returns the slice of sorted keys a NextToken selects; tokens are
// the index of the next item.
func snsPage(keys []string, token string) (items []string, next string, err *apiError) {
	start := 0
	if token != "" {
		n, perr := strconv.Atoi(token)
		if perr != nil || n < 0 || n > len(keys) {
			return nil, "", snsInvalid("NextToken")
		}
		start = n
	}
	end := min(start+snsPageSize, len(keys))
	if end < len(keys) {
		next = strconv.Itoa(end)
	}
	return keys[start:end], next, nil
}

func snsListTopics(st *state, c *call) (map[string]any, error) {
	arns, next, err := snsPage(sortedKeys(st.account(c.Account).region(c.Region).Topics), c.str("NextToken"))
	if err != nil {
		return nil, err
	}
	topics := make([]any, 0, len(arns))
	for _, arn := range arns {
		topics = append(topics, map[string]any{"TopicArn": arn})
	}
	out := map[string]any{"Topics": topics}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// defaultTopicPolicy is the policy SNS gives a new topic: only the owner
// account may use it.
func defaultTopicPolicy(arn, account string) string {
	return fmt.Sprintf(`{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"%s","Condition":{"StringEquals":{"AWS:SourceOwner":"%s"}}}]}`, arn, account)
}

func snsGetTopicAttributes(st *state, c *call) (map[string]any, error) {
	t, err := st.topic(c, c.str("TopicArn"))
	if err != nil {
		return nil, err
	}
	confirmed, pending := 0, 0
	for _, s := range st.account(c.Account).region(c.Region).Subscriptions {
		if s.TopicARN != t.ARN {
			continue
		}
		if s.Pending {
			pending++
		} else {
			confirmed++
		}
	}
	attrs := stringMap{
		"TopicArn":                t.ARN,
		"Owner":                   c.Account,
		"Policy":                  defaultTopicPolicy(t.ARN, c.Account),
		"DisplayName":             "",
		"SubscriptionsConfirmed":  strconv.Itoa(confirmed),
		"SubscriptionsPending":    strconv.Itoa(pending),
		"SubscriptionsDeleted":    "0",
		"EffectiveDeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`,
	}
	maps.Copy(attrs, t.Attributes)
	return map[string]any{"Attributes": attrs}, nil
}

func snsSetTopicAttributes(st *state, c *call) (map[string]any, error) {
	t, err := st.topic(c, c.str("TopicArn"))
	if err != nil {
		return nil, err
	}
	name, value := c.str("AttributeName"), c.str("AttributeValue")
	// FifoTopic is fixed at creation.
	if !snsTopicAttributes[name] || name == "FifoTopic" {
		return nil, snsInvalid("AttributeName")
	}
	if name == "Policy" && !json.Valid([]byte(value)) {
		return nil, snsInvalid("Policy Error: null")
	}
	if t.Attributes == nil {
		t.Attributes = map[string]string{}
	}
	t.Attributes[name] = value
	return nil, nil
}

var (
	phoneRE  = regexp.MustCompile(`^\+?[0-9]{7,15}$`)
	sqsRE    = regexp.MustCompile(`^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$`)
	lambdaRE = regexp.MustCompile(`^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$`)
	fhRE     = regexp.MustCompile(`^arn:aws[\w-]*:firehose:[a-z0-9-]+:\d{12}:deliverystream/[\w.-]+$`)
)

// checkEndpoint validates an endpoint for its protocol, and says whether the
// subscription needs confirmation by its owner.
func checkEndpoint(protocol, endpoint string) (needsConfirmation bool, err *apiError) {
	switch protocol {
	case "email", "email-json":
		a, perr := mail.ParseAddress(endpoint)
		if perr != nil || a.Address != endpoint || !strings.Contains(endpoint[strings.Index(endpoint, "@")+1:], ".") {
			return false, snsInvalid("Email address")
		}
		return true, nil
	case "http", "https":
		if !strings.HasPrefix(endpoint, protocol+"://") || len(endpoint) == len(protocol)+3 {
			return false, snsInvalid("Endpoint must match the specified protocol")
		}
		return true, nil
	case "sqs":
		if !sqsRE.MatchString(endpoint) {
			return false, snsInvalid("SQS endpoint ARN")
		}
	case "lambda":
		if !lambdaRE.MatchString(endpoint) {
			return false, snsInvalid("Lambda endpoint ARN")
		}
	case "sms":
		if !phoneRE.MatchString(endpoint) {
			return false, snsInvalid("Invalid SMS endpoint: %s", endpoint)
		}
	case "firehose":
		if !fhRE.MatchString(endpoint) {
			return false, snsInvalid("Firehose endpoint ARN")
		}
	default:
		return false, snsInvalid("Amazon SNS does not support this protocol string: %s", protocol)
	}
	return false, nil
}

func snsSubscribe(st *state, c *call) (map[string]any, error) {
	t, err := st.topic(c, c.str("TopicArn"))
	if err != nil {
		return nil, err
	}
	protocol, endpoint := c.str("Protocol"), c.str("Endpoint")
	if protocol == "" {
		return nil, snsInvalid("Protocol")
	}
	if endpoint == "" {
		return nil, snsInvalid("Endpoint")
	}
	needsConfirmation, err := checkEndpoint(protocol, endpoint)
	if err != nil {
		return nil, err
	}
	returnARN, _, aerr := c.boolean("ReturnSubscriptionArn")
	if aerr != nil {
		return nil, aerr
	}
	subs := st.account(c.Account).region(c.Region).Subscriptions
	// Subscribing the same endpoint again returns the existing subscription.
	for _, s := range subs {
		if s.TopicARN == t.ARN && s.Protocol == protocol && s.Endpoint == endpoint {
			return subscribeOutput(s, returnARN), nil
		}
	}
	n := st.nextID()
	s := &snsSubscription{
		ARN:      fmt.Sprintf("%s:%08x-0000-4000-8000-%012x", t.ARN, n, n),
		TopicARN: t.ARN, Protocol: protocol, Endpoint: endpoint, Owner: c.Account,
		Pending: needsConfirmation,
	}
	if s.Pending {
		s.Token = fmt.Sprintf("%064x", n)
	}
	subs[s.ARN] = s
	return subscribeOutput(s, returnARN), nil
}

// subscribeOutput hides a pending subscription's ARN unless the caller
// asked for it with ReturnSubscriptionArn.
func subscribeOutput(s *snsSubscription, returnARN bool) map[string]any {
	if s.Pending && !returnARN {
		return map[string]any{"SubscriptionArn": "pending confirmation"}
	}
	return map[string]any{"SubscriptionArn": s.ARN}
}

func snsConfirmSubscription(st *state, c *call) (map[string]any, error) {
	t, err := st.topic(c, c.str("TopicArn"))
	if err != nil {
		return nil, err
	}
	token := c.str("Token")
	if token == "" {
		return nil, snsInvalid("Token")
	}
	for _, s := range st.account(c.Account).region(c.Region).Subscriptions {
		if s.TopicARN == t.ARN && s.Pending && s.Token == token {
			s.Pending, s.Token = false, ""
			return map[string]any{"SubscriptionArn": s.ARN}, nil
		}
	}
	return nil, snsInvalid("Invalid token")
}

func snsUnsubscribe(st *state, c *call) (map[string]any, error) {
	arn := c.str("SubscriptionArn")
	if arnField(arn, 2) != "sns" || strings.Count(arn, ":") != 6 {
		return nil, snsInvalid("SubscriptionArn Reason: An ARN must have at least 6 elements, not %d", strings.Count(arn, ":")+1)
	}
	subs := st.account(c.Account).region(c.Region).Subscriptions
	if subs[arn] == nil {
		return nil, errorf(http.StatusNotFound, "NotFound", "Subscription does not exist")
	}
	delete(subs, arn)
	return nil, nil
}

func snsListSubscriptionsByTopic(st *state, c *call) (map[string]any, error) {
	t, err := st.topic(c, c.str("TopicArn"))
	if err != nil {
		return nil, err
	}
	all := st.account(c.Account).region(c.Region).Subscriptions
	var arns []string
	for _, arn := range sortedKeys(all) {
		if all[arn].TopicARN == t.ARN {
			arns = append(arns, arn)
		}
	}
	arns, next, err := snsPage(arns, c.str("NextToken"))
	if err != nil {
		return nil, err
	}
	subs := make([]any, 0, len(arns))
	for _, arn := range arns {
		s := all[arn]
		shown := s.ARN
		if s.Pending {
			shown = "PendingConfirmation"
		}
		subs = append(subs, map[string]any{
			"SubscriptionArn": shown, "Owner": s.Owner, "Protocol": s.Protocol,
			"Endpoint": s.Endpoint, "TopicArn": s.TopicARN,
		})
	}
	out := map[string]any{"Subscriptions": subs}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// confirmAllPending confirms every pending subscription in every account.
func (st *state) confirmAllPending() []string {
	var confirmed []string
	for _, id := range sortedKeys(st.Accounts) {
		a := st.Accounts[id]
		for _, r := range a.regionNames() {
			for _, arn := range sortedKeys(a.Regions[r].Subscriptions) {
				sub := a.Regions[r].Subscriptions[arn]
				if sub.Pending {
					sub.Pending, sub.Token = false, ""
					confirmed = append(confirmed, arn)
				}
			}
		}
	}
	return confirmed
}

// arnField returns field i of an ARN (2 service, 3 region, 4 account, 5 resource).
func arnField(arn string, i int) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 6 {
		return ""
	}
	return f[i]
}
