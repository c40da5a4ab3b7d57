package awserr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

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
		"other AWS error": {&smithy.GenericAPIError{Code: "LimitExceededException", Message: "too many filters"},
			"LimitExceededException on logs:PutMetricFilter: too many filters", false, false},
		"not found": {&smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "The specified log group does not exist."},
			"ResourceNotFoundException on logs:PutMetricFilter: not found: The specified log group does not exist.", false, true},
		"no answer": {errors.New("dial tcp: connection refused"), "logs:PutMetricFilter: operation error CloudWatch Logs: PutMetricFilter: dial tcp: connection refused", false, false},
	} {
		t.Run(name, func(t *testing.T) {
			// The SDK wraps the API error in its operation trail.
			err := Classify("logs:PutMetricFilter", fmt.Errorf("operation error CloudWatch Logs: PutMetricFilter: %w", tc.err))
			require.Equal(t, tc.want, err.Error())
			require.Equal(t, tc.notFound, errors.Is(err, ErrNotFound))
			var e *Error
			if errors.As(err, &e) {
				require.Equal(t, tc.denied, e.Denied)
			} else {
				require.True(t, tc.notFound)
			}
		})
	}
}
