// Package awserr is the one place AWS errors are sorted, for check's reads
// and fix's writes alike: a missing permission names the IAM action, refused
// credentials say so, and every message is AWS's own, without the SDK's
// request trail.
package awserr

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Error is an AWS call that failed after the SDK's retries. Action is the
// IAM action, e.g. "logs:DescribeMetricFilters".
type Error struct {
	Action string
	Code   string // the AWS error code, empty when the call never got an answer
	// Message is AWS's own explanation, shorter than Err's SDK trail.
	Message string
	Err     error
	// Class is Throttled or ServiceUnavailable when the call outlasted the
	// retry budget that way, "" otherwise.
	Class Code
	// Attempts is how many times the call was sent, when the SDK retried it.
	Attempts int
	// Status is the HTTP status of the last answer, 0 without one.
	Status int
}

func (e *Error) Error() string {
	switch {
	case e.Class == Throttled:
		return fmt.Sprintf("%s on %s: throttled by AWS after %s: retry later or lower --parallel", e.Code, e.Action, attempts(e.Attempts))
	case e.Class == ServiceUnavailable:
		return fmt.Sprintf("%s on %s: AWS answered HTTP %d after %s: %s; retry later", e.Code, e.Action, e.Status, attempts(e.Attempts), e.Message)
	case isPermissionCode(e.Code):
		return fmt.Sprintf("%s on %s — missing permission %s", e.Code, e.Action, e.Action)
	case credentialsRefused(e.Code):
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
// permission" name the IAM action; expired or invalid credentials say so
// (the same code sets Describe sorts by); throttling and server errors that outlasted the retry budget say so,
// with the number of attempts, and never read as a permission problem.
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
	e := &Error{Action: action, Code: code, Message: ae.ErrorMessage(), Err: err}
	var me *retry.MaxAttemptsError
	if errors.As(err, &me) {
		e.Attempts = me.Attempt
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.Status = re.HTTPStatusCode()
	}
	switch {
	case throttleCodes[code] || e.Status == 429:
		e.Class = Throttled
		return e
	case e.Status >= 500:
		e.Class = ServiceUnavailable
		return e
	}
	switch code {
	case "ResourceNotFoundException", "NotFound", "NotFoundException", "TrailNotFoundException":
		return fmt.Errorf("%s on %s: %w: %s", code, action, ErrNotFound, ae.ErrorMessage())
	}
	return e
}

// Transient reports whether an error_code is one time may cure (AWS
// throttled or kept failing), rather than one that needs access fixed.
func Transient(code string) bool {
	return code == string(Throttled) || code == string(ServiceUnavailable)
}

// transient is the Throttled or ServiceUnavailable Problem of a call that
// outlasted the retry budget, if err is one.
func transient(err error) (Problem, bool) {
	var e *Error
	if !errors.As(err, &e) || e.Class == "" {
		return Problem{}, false
	}
	if e.Class == Throttled {
		return Problem{Throttled, e.Error(), "run the command again later, or with a lower --parallel"}, true
	}
	return Problem{ServiceUnavailable, e.Error(), "run the command again later"}, true
}

// throttleCodes are the SDK's throttle codes (retry.DefaultThrottleErrorCodes)
// but LimitExceededException, which the services trailwatch calls use for a
// full quota ("too many metric filters"), not for a request rate.
var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true, "RequestThrottledException": true,
	"TooManyRequestsException": true, "ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
	"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "RequestThrottled": true, "SlowDown": true,
	"PriorRequestNotComplete": true, "EC2ThrottledException": true,
}

func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	if n == 0 {
		return "the SDK's retries"
	}
	return fmt.Sprintf("%d attempts", n)
}

// credentialsRefused is AWS refusing the caller's credentials themselves
// (expired, unknown or badly signed), not a permission they lack.
func credentialsRefused(code string) bool { return expiredCode(code) || invalidCode(code) }

// isPermissionCode tells a missing IAM permission from refused credentials.
func isPermissionCode(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "UnauthorizedException":
		return true
	}
	return false
}
