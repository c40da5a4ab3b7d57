package awserr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/require"
)

// answer is an error as the SDK returns it after attempts tries that ended
// with an HTTP status and an AWS error code.
func answer(status, attempts int, code, msg string) error {
	var err error = &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: msg},
	}}
	if attempts > 1 {
		err = &retry.MaxAttemptsError{Attempt: attempts, Err: err}
	}
	return err
}

// Throttling and server errors that outlast the retry budget are classified,
// count the attempts and never advise permissions.
func TestClassifyTransient(t *testing.T) {
	for name, tc := range map[string]struct {
		err   error
		class Code // "" for an error that is not transient
		want  string
	}{
		"throttled": {answer(400, 12, "ThrottlingException", "Rate exceeded"), Throttled,
			"ThrottlingException on cloudtrail:GetTrailStatus: throttled by AWS after 12 attempts: retry later or lower --parallel"},
		"query throttling": {answer(400, 12, "Throttling", "Rate exceeded"), Throttled,
			"Throttling on cloudtrail:GetTrailStatus: throttled by AWS after 12 attempts: retry later or lower --parallel"},
		"429": {answer(429, 5, "SomethingElse", "slow down"), Throttled,
			"SomethingElse on cloudtrail:GetTrailStatus: throttled by AWS after 5 attempts: retry later or lower --parallel"},
		"server error": {answer(500, 12, "InternalFailure", "The request processing has failed"), ServiceUnavailable,
			"InternalFailure on cloudtrail:GetTrailStatus: AWS answered HTTP 500 after 12 attempts: The request processing has failed; retry later"},
		"access denied is not transient": {answer(400, 1, "AccessDeniedException", "no"), "",
			"AccessDeniedException on cloudtrail:GetTrailStatus — missing permission cloudtrail:GetTrailStatus"},
	} {
		t.Run(name, func(t *testing.T) {
			err := Classify("cloudtrail:GetTrailStatus", fmt.Errorf("operation error CloudTrail: GetTrailStatus: %w", tc.err))
			require.Equal(t, tc.want, err.Error())
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.class, e.Class)
			if tc.class != "" {
				p := Describe(err, "prod")
				require.Equal(t, tc.class, p.Code)
				require.Equal(t, tc.want, p.Message)
				require.True(t, Transient(string(p.Code)))
				for _, advice := range []string{p.Message, p.Remediation} {
					require.NotContains(t, advice, "permission", "no permission advice for a transient failure")
					require.NotContains(t, advice, "credentials")
				}
				require.Contains(t, p.Remediation, "again later")
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for name, tc := range map[string]struct {
		err      error
		want     string
		denied   bool
		notFound bool
	}{
		"missing permission": {&smithy.GenericAPIError{Code: "AccessDeniedException", Message: "User: x is not authorized"},
			"AccessDeniedException on logs:PutMetricFilter — missing permission logs:PutMetricFilter", true, false},
		"refused credentials": {&smithy.GenericAPIError{Code: "ExpiredToken", Message: "The security token included in the request is expired"},
			"ExpiredToken on logs:PutMetricFilter: the credentials were refused: The security token included in the request is expired", true, false},
		// Describe's code sets decide it: a code it calls expired reads as
		// refused credentials here too.
		"request expired": {&smithy.GenericAPIError{Code: "RequestExpired", Message: "Request has expired."},
			"RequestExpired on logs:PutMetricFilter: the credentials were refused: Request has expired.", true, false},
		"other AWS error": {&smithy.GenericAPIError{Code: "LimitExceededException", Message: "too many filters"},
			"LimitExceededException on logs:PutMetricFilter: too many filters", false, false},
		"not found": {&smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "The specified log group does not exist."},
			"ResourceNotFoundException on logs:PutMetricFilter: not found: The specified log group does not exist.", false, true},
		"no answer": {errors.New("dial tcp: connection refused"), "logs:PutMetricFilter: operation error CloudWatch Logs: PutMetricFilter: dial tcp: connection refused", false, false},
		"a full quota is not throttling": {answer(400, 3, "LimitExceededException", "Resource limit exceeded."),
			"LimitExceededException on logs:PutMetricFilter: Resource limit exceeded.", false, false},
	} {
		t.Run(name, func(t *testing.T) {
			// The SDK wraps the API error in its operation trail.
			err := Classify("logs:PutMetricFilter", fmt.Errorf("operation error CloudWatch Logs: PutMetricFilter: %w", tc.err))
			require.Equal(t, tc.want, err.Error())
			require.Equal(t, tc.notFound, errors.Is(err, ErrNotFound))
			var e *Error
			if errors.As(err, &e) {
				require.Equal(t, tc.denied, isPermissionCode(e.Code) || credentialsRefused(e.Code))
			} else {
				require.True(t, tc.notFound)
			}
		})
	}
}
