// Package awserr is the one place AWS errors are sorted, for check's reads
// and fix's writes alike: a missing permission names the IAM action, refused
// credentials say so, and every message is AWS's own, without the SDK's
// request trail.
package awserr

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

// Error is an AWS call that failed after the SDK's retries. Action is the
// IAM action, e.g. "logs:DescribeMetricFilters".
type Error struct {
	Action string
	Code   string // the AWS error code, empty when the call never got an answer
	Denied bool   // the caller lacks the permission (or its credentials are invalid)
	// Message is AWS's own explanation, shorter than Err's SDK trail.
	Message string
	Err     error
}

func (e *Error) Error() string {
	switch {
	case e.Denied && isPermissionCode(e.Code):
		return fmt.Sprintf("%s on %s — missing permission %s", e.Code, e.Action, e.Action)
	case e.Denied:
		return fmt.Sprintf("%s on %s: the credentials were refused: %s", e.Code, e.Action, e.Message)
	case e.Code != "":
		return fmt.Sprintf("%s on %s: %s", e.Code, e.Action, e.Message)
	case e.Message != "":
		return fmt.Sprintf("%s: %s", e.Action, e.Message)
	default:
		return fmt.Sprintf("%s: %v", e.Action, e.Err)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNotFound marks a resource that does not exist (any service's code for
// it); check reads it as a finding rather than an ERROR.
var ErrNotFound = errors.New("not found")

// Classify sorts err from a call of action. Codes that mean "missing
// permission" name the IAM action; expired or invalid credentials are denied
// too; throttling that survived the adaptive retryer is a plain failure.
func Classify(action string, err error) error {
	// Credentials and connections fail before AWS answers; SSO's own API
	// errors inside them must not read as this action's.
	if credentialOrConnection(err) {
		return &Error{Action: action, Message: Describe(err, "").Message, Err: err}
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return &Error{Action: action, Err: err}
	}
	code := ae.ErrorCode()
	switch code {
	case "ResourceNotFoundException", "NotFound", "NotFoundException", "TrailNotFoundException":
		return fmt.Errorf("%s on %s: %w: %s", code, action, ErrNotFound, ae.ErrorMessage())
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
		"UnauthorizedException", "UnrecognizedClientException", "InvalidClientTokenId",
		"ExpiredToken", "ExpiredTokenException", "SignatureDoesNotMatch", "OptInRequired":
		return &Error{Action: action, Code: code, Denied: true, Message: ae.ErrorMessage(), Err: err}
	}
	return &Error{Action: action, Code: code, Message: ae.ErrorMessage(), Err: err}
}

// isPermissionCode tells a missing IAM permission from refused credentials.
func isPermissionCode(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "UnauthorizedException":
		return true
	}
	return false
}
