package sandbox

import "strings"

// snsTopic is an SNS topic; Attributes holds the settable attributes
// (Policy, DisplayName, KmsMasterKeyId, …) as SetTopicAttributes stores them.
type snsTopic struct {
	ARN        string            `json:"arn"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Tags       []tag             `json:"tags,omitempty"`
}

// snsSubscription is a subscription; Pending ones have a confirmation token
// and no usable ARN yet.
type snsSubscription struct {
	ARN      string `json:"arn"`
	TopicARN string `json:"topicArn"`
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
	Owner    string `json:"owner"`
	Pending  bool   `json:"pending,omitempty"`
	Token    string `json:"token,omitempty"`
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

// arnRegion and arnAccount read fields 3 and 4 of an ARN.
func arnField(arn string, i int) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 6 {
		return ""
	}
	return f[i]
}
