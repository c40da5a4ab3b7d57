package check

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

// ReadError is an AWS read that failed after the SDK's retries: the reason an
// account is ERROR. Action is the IAM action, e.g. "logs:DescribeMetricFilters".
type ReadError struct {
	Action string
	Code   string // the AWS error code, empty when the call never got an answer
	Denied bool   // the caller lacks the permission (or its credentials are invalid)
	// Message is AWS's own explanation, shorter than Err's SDK trail.
	Message string
	Err     error
}

func (e *ReadError) Error() string {
	switch {
	case e.Denied && e.Code != "" && isPermissionCode(e.Code):
		return fmt.Sprintf("%s on %s — missing permission %s", e.Code, e.Action, e.Action)
	case e.Denied:
		return fmt.Sprintf("%s on %s: the credentials were refused: %s", e.Code, e.Action, e.Message)
	default:
		return fmt.Sprintf("%s: %v", e.Action, e.Err)
	}
}

func (e *ReadError) Unwrap() error { return e.Err }

// errNotFound marks a resource that vanished between reads (a log group or
// topic named by an ARN that no longer exists): a finding, not an ERROR.
var errNotFound = errors.New("not found")

// classify is the one place AWS errors are sorted. Codes that mean "missing
// permission" name the IAM action; expired or invalid credentials are denied
// too; throttling that survived the adaptive retryer is a plain read failure.
func classify(action string, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return &ReadError{Action: action, Err: err}
	}
	code := ae.ErrorCode()
	switch code {
	case "ResourceNotFoundException", "NotFound", "NotFoundException", "TrailNotFoundException":
		return fmt.Errorf("%s: %w: %s", action, errNotFound, ae.ErrorMessage())
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
		"UnauthorizedException", "UnrecognizedClientException", "InvalidClientTokenId",
		"ExpiredToken", "ExpiredTokenException", "SignatureDoesNotMatch", "OptInRequired":
		return &ReadError{Action: action, Code: code, Denied: true, Message: ae.ErrorMessage(), Err: err}
	}
	return &ReadError{Action: action, Code: code, Message: ae.ErrorMessage(), Err: err}
}

// isPermissionCode tells a missing IAM permission from refused credentials.
func isPermissionCode(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "UnauthorizedException":
		return true
	}
	return false
}
