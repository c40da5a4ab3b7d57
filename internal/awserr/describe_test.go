package awserr

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

// Each kind of failure, shaped as the SDK reports it (wrapped in the
// operation that needed it), gets its code; SSO's own refusal is never read
// as a permission of the operation.
func TestDescribe(t *testing.T) {
	op := func(service, name string, err error) error {
		return &smithy.OperationError{ServiceID: service, OperationName: name, Err: err}
	}
	api := func(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }
	for name, tc := range map[string]struct {
		err    error
		code   Code
		inText string
	}{
		"sso token file missing": {op("CloudTrail", "DescribeTrails", fmt.Errorf("get identity: %w", &ssocreds.InvalidTokenError{Err: fmt.Errorf("failed to read cached SSO token file, %w", os.ErrNotExist)})),
			SSOTokenMissing, "has no cached login"},
		"sso token expired": {op("STS", "GetCallerIdentity", fmt.Errorf("get identity: %w", &ssocreds.InvalidTokenError{})), SSOTokenExpired, "has expired"},
		"sso portal refuses the token": {op("STS", "GetCallerIdentity", fmt.Errorf("get credentials: %w", op("SSO", "GetRoleCredentials", api("UnauthorizedException", "Session token not found or invalid")))),
			SSOTokenExpired, "refused the login"},
		"no credentials": {op("STS", "GetCallerIdentity", errors.New("get credentials: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, access disabled")),
			NoCredentials, "no AWS credentials found"},
		"expired keys": {Classify("sts:GetCallerIdentity", op("STS", "GetCallerIdentity", api("ExpiredToken", "expired"))), ExpiredCredentials, "ExpiredToken on sts:GetCallerIdentity"},
		"invalid keys": {Classify("logs:DescribeMetricFilters", op("CloudWatch Logs", "DescribeMetricFilters", api("UnrecognizedClientException", "invalid"))), InvalidCredentials, "UnrecognizedClientException on logs:DescribeMetricFilters"},
		"missing permission": {Classify("sns:ListSubscriptionsByTopic", op("SNS", "ListSubscriptionsByTopic", api("AuthorizationError", "not authorized"))), AccessDenied,
			"missing permission sns:ListSubscriptionsByTopic"},
		"refused connection": {op("STS", "GetCallerIdentity", &url.Error{Op: "Post", URL: "http://127.0.0.1:9/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}}),
			EndpointUnreachable, "could not reach http://127.0.0.1:9: connection refused"},
		"unknown host": {op("STS", "GetCallerIdentity", &url.Error{Op: "Post", URL: "https://sts.nowhere.invalid/", Err: &net.DNSError{Name: "sts.nowhere.invalid", Err: "no such host"}}),
			EndpointUnreachable, "could not reach https://sts.nowhere.invalid: no such host sts.nowhere.invalid"},
		"other AWS error": {Classify("logs:PutMetricFilter", api("LimitExceededException", "too many filters")), APIError, "LimitExceededException on logs:PutMetricFilter: too many filters"},
		"configuration":   {&ConfigError{Err: errors.New("load AWS configuration (p): bad credential_process")}, ConfigInvalid, "bad credential_process"},
	} {
		t.Run(name, func(t *testing.T) {
			p := Describe(err(tc.err), "prod")
			require.Equal(t, tc.code, p.Code, p.Message)
			require.Contains(t, p.Message, tc.inText)
			require.NotEmpty(t, p.Remediation)
			if tc.code != AccessDenied {
				require.NotContains(t, p.Remediation, "grant")
			}
			if tc.code == SSOTokenMissing || tc.code == SSOTokenExpired {
				require.Contains(t, p.Remediation, "aws sso login --profile prod")
			}
			// Classify keeps the kind: fix's and plan's lines say the same.
			require.Equal(t, tc.code, Describe(Classify("cloudtrail:DescribeTrails", tc.err), "prod").Code)
		})
	}
}

func err(e error) error { return e }
