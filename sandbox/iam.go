package sandbox

import "time"

// iamRole is an IAM role with its inline policies.
type iamRole struct {
	Name                     string            `json:"name"`
	ID                       string            `json:"id"`
	Path                     string            `json:"path"`
	AssumeRolePolicyDocument string            `json:"assumeRolePolicyDocument"`
	Description              string            `json:"description,omitempty"`
	MaxSessionDuration       int64             `json:"maxSessionDuration"`
	Created                  time.Time         `json:"created"`
	Tags                     []tag             `json:"tags,omitempty"`
	Policies                 map[string]string `json:"policies,omitempty"` // inline policy name → document
}

// tag is a Key/Value tag as IAM and SNS carry them.
type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}
