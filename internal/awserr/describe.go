package awserr

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/internal/shell"
)

// Code is the error_code of an ERROR result: one word per kind of problem,
// each with its own remediation. docs/check-json.md lists them.
type Code string

const (
	AccessDenied        Code = "ACCESS_DENIED"
	SSOTokenMissing     Code = "SSO_TOKEN_MISSING"
	SSOTokenExpired     Code = "SSO_TOKEN_EXPIRED"
	NoCredentials       Code = "NO_CREDENTIALS"
	InvalidCredentials  Code = "INVALID_CREDENTIALS"
	ExpiredCredentials  Code = "EXPIRED_CREDENTIALS"
	EndpointUnreachable Code = "ENDPOINT_UNREACHABLE"
	// ConfigInvalid is a profile the SDK cannot load (a broken SSO or
	// credential_process setting, say): no request was made.
	ConfigInvalid Code = "CONFIG_INVALID"
	// Throttled: AWS answered with a throttling error until the retry
	// budget ran out.
	Throttled Code = "THROTTLED"
	// ServiceUnavailable: AWS answered with a server error (5xx) until the
	// retry budget ran out.
	ServiceUnavailable Code = "SERVICE_UNAVAILABLE"
	// APIError is every other answer AWS gave: its code and message say it.
	APIError Code = "API_ERROR"
	// AssumeRoleFailed is an account whose role could not be assumed
	// (--org): refused by its trust policy or the seat's permissions (one
	// throttled to the end is Throttled).
	AssumeRoleFailed Code = "ASSUME_ROLE_FAILED"
)

// Codes is every Code, in the order docs/check-json.md lists them.
var Codes = []Code{AccessDenied, SSOTokenMissing, SSOTokenExpired, NoCredentials, InvalidCredentials, ExpiredCredentials,
	EndpointUnreachable, ConfigInvalid, Throttled, ServiceUnavailable, AssumeRoleFailed, APIError}

// Problem is an error explained once: a one-line message without the SDK's
// trail, and what to do about it.
type Problem struct {
	Code        Code
	Message     string
	Remediation string
}

// ConfigError marks a configuration that could not be loaded, so Describe
// does not mistake it for an AWS answer.
type ConfigError struct {
	Err error
}

// Error is the loader's own message, which names the profile.
func (e *ConfigError) Error() string { return e.Err.Error() }

func (e *ConfigError) Unwrap() error { return e.Err }

// Describe sorts err, from any call made with profile's credentials ("" is
// the default chain), into one of the Codes. Credential and connection
// problems are told apart from AWS's answers first: the SDK reports them
// wrapped in the operation that needed them, and SSO's own API errors
// would otherwise read as a permission this caller lacks.
func Describe(err error, profile string) Problem {
	// An error of a layer above the SDK may know its problem itself (an
	// assumed role its trust policy refused); it is asked first.
	var own interface{ Problem() (Problem, bool) }
	if errors.As(err, &own) {
		if p, ok := own.Problem(); ok {
			return p
		}
	}
	// Classify keeps a credential or connection failure whole inside its
	// Error; it is sorted by what the SDK said, not by Classify's line.
	var e *Error
	if errors.As(err, &e) && e.Err != nil && credentialOrConnection(e.Err) {
		err = e.Err
	}
	who := profileName(profile)
	// The aws commands in the hints reach the same profile.
	profileFlag := ""
	if profile != "" {
		profileFlag = " --profile " + shell.Quote(profile)
	}
	login := "aws sso login" + profileFlag
	var tokenErr *ssocreds.InvalidTokenError
	switch {
	case errors.As(err, &tokenErr) || ssoToken(err):
		if errors.Is(err, fs.ErrNotExist) {
			return Problem{SSOTokenMissing, fmt.Sprintf("%s signs in with IAM Identity Center (SSO) and has no cached login", who),
				fmt.Sprintf("run `%s`, then run the command again", login)}
		}
		return Problem{SSOTokenExpired, fmt.Sprintf("the IAM Identity Center (SSO) login of %s has expired or is invalid", who),
			fmt.Sprintf("run `%s`, then run the command again", login)}
	case ssoRefused(err):
		return Problem{SSOTokenExpired, fmt.Sprintf("IAM Identity Center (SSO) refused the login of %s: %s", who, apiMessage(err)),
			fmt.Sprintf("run `%s`, then run the command again", login)}
	case noCredentials(err):
		return Problem{NoCredentials, fmt.Sprintf("no AWS credentials found for %s (environment, shared files, SSO, container or instance role)", who),
			"pass --profile NAME (or set AWS_PROFILE), or configure credentials with `aws configure`"}
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		return Problem{ConfigInvalid, oneLine(ce.Err.Error()),
			"fix the profile in the shared config or credentials file (`aws configure list" + cmp.Or(profileFlag, " --profile NAME") + "` shows what is read)"}
	}
	if p, ok := transient(err); ok {
		// Time cures it, not permissions or credentials.
		return p
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		switch {
		case expiredCode(code):
			return Problem{ExpiredCredentials, fmt.Sprintf("the credentials of %s have expired (%s on %s)", who, code, actionOf(err)),
				"get fresh credentials (a new session, `" + login + "`, or whatever issued them), then run the command again"}
		case invalidCode(code):
			return Problem{InvalidCredentials, fmt.Sprintf("AWS refused the credentials of %s (%s on %s): %s", who, code, actionOf(err), oneLine(ae.ErrorMessage())),
				"check the access key and secret of " + who + " (`aws sts get-caller-identity" + profileFlag + "` shows whom they sign as), or use another profile"}
		case isPermissionCode(code):
			action := actionOf(err)
			return Problem{AccessDenied, fmt.Sprintf("%s on %s — missing permission %s", code, action, action),
				fmt.Sprintf("grant %s to the caller (docs/iam/check-policy.json holds every read check makes, docs/iam/fix-policy.json every write of fix), then run the command again", action)}
		}
		return Problem{APIError, oneLine(errorText(err)), "AWS's message says what failed; resolve it and run the command again"}
	}
	if u := unreachable(err); u != "" {
		return Problem{EndpointUnreachable, fmt.Sprintf("could not reach %s: %s", u, reason(err)),
			"check the endpoint (AWS_ENDPOINT_URL, endpoint_url in the profile, --region), the network and any proxy, then run the command again"}
	}
	return Problem{APIError, oneLine(errorText(err)), "resolve the error above and run the command again"}
}

// credentialOrConnection is a failure before any AWS answer: credentials
// that could not be had, or an endpoint that could not be reached.
func credentialOrConnection(err error) bool {
	var tokenErr *ssocreds.InvalidTokenError
	return errors.As(err, &tokenErr) || ssoToken(err) || ssoRefused(err) || noCredentials(err) || unreachable(err) != ""
}

func profileName(p string) string {
	if p == "" {
		return "the default credential chain"
	}
	return "profile " + p
}

// ssoToken matches the token provider of an sso-session profile, whose
// errors are plain: a missing cache file or a token that cannot be refreshed.
func ssoToken(err error) bool {
	s := err.Error()
	return strings.Contains(s, "cached SSO token") || strings.Contains(s, "refresh SSO token")
}

// ssoRefused is the SSO portal refusing a cached token (signed out, revoked).
// The SSO call is nested inside the operation that needed credentials, so
// every operation in the chain is looked at, not only the outermost.
func ssoRefused(err error) bool {
	for err != nil {
		var oe *smithy.OperationError
		if !errors.As(err, &oe) {
			return false
		}
		var ae smithy.APIError
		if oe.ServiceID == "SSO" && errors.As(oe.Err, &ae) {
			return ae.ErrorCode() == "UnauthorizedException" || ae.ErrorCode() == "InvalidRequestException"
		}
		err = oe.Err
	}
	return false
}

// noCredentials is the default chain running out of sources: the SDK says
// so only in words, ending at the instance metadata service.
func noCredentials(err error) bool {
	s := err.Error()
	return strings.Contains(s, "failed to refresh cached credentials") &&
		(strings.Contains(s, "no EC2 IMDS role found") || strings.Contains(s, "static credentials are empty"))
}

func expiredCode(code string) bool {
	switch code {
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired":
		return true
	}
	return false
}

func invalidCode(code string) bool {
	switch code {
	case "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "IncompleteSignature",
		"IncompleteSignatureException", "InvalidSignatureException", "AuthFailure", "MissingAuthenticationToken",
		"MissingAuthenticationTokenException":
		return true
	}
	return false
}

// actionOf is the IAM action Classify recorded, else the SDK's operation.
func actionOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Action != "" {
		return e.Action
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return strings.ToLower(oe.ServiceID) + ":" + oe.OperationName
	}
	return "the operation"
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + oneLine(ae.ErrorMessage())
	}
	return oneLine(err.Error())
}

// errorText is Classify's line when err went through it, else err's own.
func errorText(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return err.Error()
}

// unreachable is the scheme and host of a request that got no answer at all.
func unreachable(err error) string {
	var ue *url.Error
	var oe *net.OpError
	var de *net.DNSError
	if !errors.As(err, &oe) && !errors.As(err, &de) {
		return ""
	}
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			return u.Scheme + "://" + u.Host
		}
		return ue.URL
	}
	if de != nil {
		return de.Name
	}
	if oe.Addr != nil {
		return oe.Addr.String()
	}
	return "the endpoint"
}

// reason is the innermost network error: "connection refused", "no such host".
func reason(err error) string {
	var de *net.DNSError
	if errors.As(err, &de) {
		return "no such host " + de.Name
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		s := oe.Err.Error()
		if i := strings.LastIndex(s, ": "); i >= 0 {
			s = s[i+2:]
		}
		return s
	}
	return oneLine(err.Error())
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
