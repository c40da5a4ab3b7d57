package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// STS (Query): who am I, and AssumeRole into another sandbox account.

func init() {
	register("sts", "GetCallerIdentity", stsGetCallerIdentity)
	register("sts", "AssumeRole", stsAssumeRole)
}

func stsGetCallerIdentity(st *state, c *call) (map[string]any, error) {
	if s := st.Sessions[c.AccessKey]; s != nil {
		return map[string]any{
			"Account": c.Account,
			"Arn":     assumedRoleARN(s),
			"UserId":  s.RoleID + ":" + s.SessionName,
		}, nil
	}
	return map[string]any{
		"Account": c.Account,
		"Arn":     "arn:aws:iam::" + c.Account + ":user/sandbox",
		"UserId":  "AIDASANDBOX" + c.Account[:9],
	}, nil
}

func assumedRoleARN(s *roleSession) string {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", arnField(s.RoleARN, 4), roleNameOf(s.RoleARN), s.SessionName)
}

// roleNameOf is the last path segment of a role ARN's resource.
func roleNameOf(roleARN string) string {
	res := arnField(roleARN, 5)
	return res[strings.LastIndex(res, "/")+1:]
}

var (
	roleARNRE     = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(?:[\x{21}-\x{7F}]*/)?([\w+=,.@-]{1,64})$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// stsAssumeRole hands out temporary keys for a role that exists in a
// sandbox account; the keys authenticate as that account from then on.
func stsAssumeRole(st *state, c *call) (map[string]any, error) {
	roleARN, name := c.str("RoleArn"), c.str("RoleSessionName")
	if roleARN == "" {
		return nil, missingParameter("roleArn")
	}
	if name == "" {
		return nil, missingParameter("roleSessionName")
	}
	if !sessionNameRE.MatchString(name) {
		return nil, validationError(name, "roleSessionName", `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	}
	duration := int64(3600)
	if d, ok, err := c.integer("DurationSeconds"); err != nil {
		return nil, err
	} else if ok {
		if d < 900 || d > 43200 {
			return nil, validationError(fmt.Sprint(d), "durationSeconds", "Member must have value between 900 and 43200")
		}
		duration = d
	}
	m := roleARNRE.FindStringSubmatch(roleARN)
	if m == nil {
		return nil, validationError(roleARN, "roleArn", "Member must satisfy the format of an IAM role ARN")
	}
	denied := errorf(http.StatusForbidden, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", callerARN(st, c), roleARN)
	target := st.account(m[1])
	if target == nil {
		return nil, denied
	}
	role := target.Roles[m[2]]
	if role == nil || !trusts(role.AssumeRolePolicyDocument, c.Account, callerARN(st, c), c.str("ExternalId")) {
		return nil, denied
	}
	n := st.nextID()
	key := fmt.Sprintf("ASIASANDBOX%09d", n)
	sess := &roleSession{RoleARN: roleARNOf(target.ID, role), RoleID: role.ID, SessionName: name, Expires: st.clock().Add(time.Duration(duration) * time.Second)}
	st.AccessKeys[key] = target.ID
	st.Sessions[key] = sess
	return map[string]any{
		"Credentials": map[string]any{
			"AccessKeyId":     key,
			"SecretAccessKey": "sandbox-secret-" + key,
			"SessionToken":    "sandbox-session-" + key,
			"Expiration":      sess.Expires,
		},
		"AssumedRoleUser": map[string]any{
			"AssumedRoleId": role.ID + ":" + name,
			"Arn":           assumedRoleARN(sess),
		},
	}, nil
}

func callerARN(st *state, c *call) string {
	if s := st.Sessions[c.AccessKey]; s != nil {
		return assumedRoleARN(s)
	}
	return "arn:aws:iam::" + c.Account + ":user/sandbox"
}

// validationError is the Query services' constraint violation, worded as AWS does.
func validationError(value, member, constraint string) *apiError {
	return badRequest("ValidationError", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

func missingParameter(member string) *apiError {
	return validationError("null", member, "Member must not be null")
}
