package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// IAM (Query, global): roles and their inline policies, which the log
// wiring creates for CloudTrail.

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

func init() {
	register("iam", "CreateRole", iamCreateRole)
	register("iam", "GetRole", iamGetRole)
	register("iam", "DeleteRole", iamDeleteRole)
	register("iam", "PutRolePolicy", iamPutRolePolicy)
	register("iam", "GetRolePolicy", iamGetRolePolicy)
	register("iam", "DeleteRolePolicy", iamDeleteRolePolicy)
}

// Name rules and limits from the IAM API reference (CreateRole, PutRolePolicy).
var (
	iamNameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)
	iamPathRE = regexp.MustCompile(`^(/|/[\x{21}-\x{7E}]*/)$`)
)

const (
	iamMaxRoleName    = 64
	iamMaxPolicyName  = 128
	iamMaxTags        = 50
	iamMaxRoleSession = 43200
)

func iamName(c *call, param, member string, max int) (string, *apiError) {
	v := c.str(param)
	switch {
	case v == "":
		return "", missingParameter(member)
	case len(v) > max:
		return "", validationError(v, member, fmt.Sprintf("Member must have length less than or equal to %d", max))
	case !iamNameRE.MatchString(v):
		return "", validationError(v, member, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return v, nil
}

// policyDocument checks that a policy is a JSON object, as IAM's parser does first.
func policyDocument(c *call, param, member string) (string, *apiError) {
	doc := c.str(param)
	if doc == "" {
		return "", missingParameter(member)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return "", errorf(http.StatusBadRequest, "MalformedPolicyDocument", "This policy contains invalid Json")
	}
	if _, ok := v["Statement"]; !ok {
		return "", errorf(http.StatusBadRequest, "MalformedPolicyDocument", "Syntax errors in policy.")
	}
	return doc, nil
}

// iamEncode percent-encodes a policy document as IAM returns them (RFC 3986).
func iamEncode(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func noSuchRole(name string) *apiError {
	return errorf(http.StatusNotFound, "NoSuchEntity", "The role with name %s cannot be found.", name)
}

func roleARNOf(account string, r *iamRole) string {
	return "arn:aws:iam::" + account + ":role" + r.Path + r.Name
}

func roleOutput(account string, r *iamRole) map[string]any {
	out := map[string]any{
		"Path":                     r.Path,
		"RoleName":                 r.Name,
		"RoleId":                   r.ID,
		"Arn":                      roleARNOf(account, r),
		"CreateDate":               r.Created,
		"AssumeRolePolicyDocument": iamEncode(r.AssumeRolePolicyDocument),
		"MaxSessionDuration":       r.MaxSessionDuration,
	}
	if r.Description != "" {
		out["Description"] = r.Description
	}
	if len(r.Tags) > 0 {
		tags := make([]any, 0, len(r.Tags))
		for _, t := range r.Tags {
			tags = append(tags, map[string]any{"Key": t.Key, "Value": t.Value})
		}
		out["Tags"] = tags
	}
	return out
}

// readTags reads a Tags list of {Key, Value}.
func readTags(c *call) ([]tag, *apiError) {
	var tags []tag
	for _, item := range c.list("Tags") {
		m, _ := item.(map[string]any)
		t := c.sub(m)
		if t.str("Key") == "" {
			return nil, missingParameter("tags.member.key")
		}
		tags = append(tags, tag{Key: t.str("Key"), Value: t.str("Value")})
	}
	return tags, nil
}

func iamCreateRole(st *state, c *call) (map[string]any, error) {
	a := st.account(c.Account)
	name, err := iamName(c, "RoleName", "roleName", iamMaxRoleName)
	if err != nil {
		return nil, err
	}
	doc, err := policyDocument(c, "AssumeRolePolicyDocument", "assumeRolePolicyDocument")
	if err != nil {
		return nil, err
	}
	path := "/"
	if c.has("Path") {
		path = c.str("Path")
		if !iamPathRE.MatchString(path) || len(path) > 512 {
			return nil, validationError(path, "path", `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
		}
	}
	maxSession := int64(3600)
	if v, ok, aerr := c.integer("MaxSessionDuration"); aerr != nil {
		return nil, aerr
	} else if ok {
		if v < 3600 || v > iamMaxRoleSession {
			return nil, validationError(fmt.Sprint(v), "maxSessionDuration", "Member must have value between 3600 and 43200")
		}
		maxSession = v
	}
	tags, err := readTags(c)
	if err != nil {
		return nil, err
	}
	if len(tags) > iamMaxTags {
		return nil, validationError(fmt.Sprint(len(tags)), "tags", "Member must have length less than or equal to 50")
	}
	// Role names are unique case-insensitively within an account.
	for existing := range a.Roles {
		if strings.EqualFold(existing, name) {
			return nil, errorf(http.StatusConflict, "EntityAlreadyExists", "Role with name %s already exists.", name)
		}
	}
	r := &iamRole{
		Name: name, ID: fmt.Sprintf("AROASANDBOX%09d", st.nextID()), Path: path,
		AssumeRolePolicyDocument: doc, Description: c.str("Description"),
		MaxSessionDuration: maxSession, Created: st.clock(), Tags: tags,
		Policies: map[string]string{},
	}
	a.Roles[name] = r
	return map[string]any{"Role": roleOutput(c.Account, r)}, nil
}

func (st *state) role(c *call) (*iamRole, *apiError) {
	name, err := iamName(c, "RoleName", "roleName", iamMaxRoleName)
	if err != nil {
		return nil, err
	}
	r := st.account(c.Account).Roles[name]
	if r == nil {
		return nil, noSuchRole(name)
	}
	if r.Policies == nil {
		r.Policies = map[string]string{}
	}
	return r, nil
}

func iamGetRole(st *state, c *call) (map[string]any, error) {
	r, err := st.role(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Role": roleOutput(c.Account, r)}, nil
}

func iamDeleteRole(st *state, c *call) (map[string]any, error) {
	r, err := st.role(c)
	if err != nil {
		return nil, err
	}
	if len(r.Policies) > 0 {
		return nil, errorf(http.StatusConflict, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	}
	delete(st.account(c.Account).Roles, r.Name)
	return nil, nil
}

func iamPutRolePolicy(st *state, c *call) (map[string]any, error) {
	r, err := st.role(c)
	if err != nil {
		return nil, err
	}
	name, err := iamName(c, "PolicyName", "policyName", iamMaxPolicyName)
	if err != nil {
		return nil, err
	}
	doc, err := policyDocument(c, "PolicyDocument", "policyDocument")
	if err != nil {
		return nil, err
	}
	r.Policies[name] = doc
	return nil, nil
}

func iamGetRolePolicy(st *state, c *call) (map[string]any, error) {
	r, err := st.role(c)
	if err != nil {
		return nil, err
	}
	name, err := iamName(c, "PolicyName", "policyName", iamMaxPolicyName)
	if err != nil {
		return nil, err
	}
	doc, ok := r.Policies[name]
	if !ok {
		return nil, errorf(http.StatusNotFound, "NoSuchEntity", "The role policy with name %s cannot be found.", name)
	}
	return map[string]any{"RoleName": r.Name, "PolicyName": name, "PolicyDocument": iamEncode(doc)}, nil
}

func iamDeleteRolePolicy(st *state, c *call) (map[string]any, error) {
	r, err := st.role(c)
	if err != nil {
		return nil, err
	}
	name, err := iamName(c, "PolicyName", "policyName", iamMaxPolicyName)
	if err != nil {
		return nil, err
	}
	if _, ok := r.Policies[name]; !ok {
		return nil, errorf(http.StatusNotFound, "NoSuchEntity", "The role policy with name %s cannot be found.", name)
	}
	delete(r.Policies, name)
	return nil, nil
}
