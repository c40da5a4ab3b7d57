// Package sandbox is a local, stateful endpoint that speaks the AWS wire
// protocols of the services trailwatch uses, so the real SDK clients and the
// AWS CLI run against it unchanged.
package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// call is one decoded API request, whatever protocol carried it.
//
// Input holds the request as generic values: from JSON and CBOR the native
// types (string, float64/int64/uint64, bool, []any, map[string]any); from the
// Query protocol strings, lists decoded from "X.member.N" and maps from
// "X.entry.N.key/value". Handlers read it through the accessors below, which
// accept both forms, so one handler serves every protocol.
type call struct {
	Account   string // the account owning the credentials (or assumed role)
	AccessKey string // the access key ID that signed the request
	Region    string // from the SigV4 credential scope
	Service   string // "cloudtrail", "logs", "monitoring", "sns", "iam", "sts", "organizations"
	Action    string // operation name, e.g. "DescribeTrails"
	Input     map[string]any
}

// Output values are generic too: map[string]any for structures, []any for
// lists, stringMap for string-to-string maps (XML "entry/key/value"), time.Time
// for timestamps, int/int64 for integers and float64 for doubles. Each
// protocol encoder renders them the way that protocol does.
type stringMap map[string]string

// apiError is an AWS error as the service returns it.
type apiError struct {
	Code    string // e.g. "ResourceNotFoundException", "InvalidParameterValue"
	Message string
	Status  int  // HTTP status, e.g. 400, 404, 409
	Sender  bool // Query protocol <Type>: Sender for client faults, Receiver for server faults
	// RetryAfterMS, when positive, is sent as the x-amz-retry-after header.
	RetryAfterMS int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: status, Sender: status < 500}
}

// badRequest is the common 400 client error.
func badRequest(code, format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, code, format, args...)
}

func (c *call) has(key string) bool {
	v, ok := c.Input[key]
	return ok && v != nil
}

func (c *call) str(key string) string {
	switch v := c.Input[key].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// integer reads an integer input; ok is false when it is absent.
func (c *call) integer(key string) (n int64, ok bool, err *apiError) {
	switch v := c.Input[key].(type) {
	case nil:
		return 0, false, nil
	case int64:
		return v, true, nil
	case uint64:
		return int64(v), true, nil
	case int:
		return int64(v), true, nil
	case float64:
		return int64(v), true, nil
	case string:
		n, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if perr != nil {
			return 0, true, badRequest("InvalidParameterValue", "Value '%s' for parameter %s is not a valid integer.", v, key)
		}
		return n, true, nil
	default:
		return 0, true, badRequest("InvalidParameterValue", "Parameter %s must be an integer.", key)
	}
}

// number reads a double input; ok is false when it is absent.
func (c *call) number(key string) (f float64, ok bool, err *apiError) {
	switch v := c.Input[key].(type) {
	case nil:
		return 0, false, nil
	case float64:
		return v, true, nil
	case float32:
		return float64(v), true, nil
	case int64:
		return float64(v), true, nil
	case uint64:
		return float64(v), true, nil
	case int:
		return float64(v), true, nil
	case string:
		f, perr := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if perr != nil {
			return 0, true, badRequest("InvalidParameterValue", "Value '%s' for parameter %s is not a valid number.", v, key)
		}
		return f, true, nil
	default:
		return 0, true, badRequest("InvalidParameterValue", "Parameter %s must be a number.", key)
	}
}

// boolean reads a boolean input; ok is false when it is absent.
func (c *call) boolean(key string) (b bool, ok bool, err *apiError) {
	switch v := c.Input[key].(type) {
	case nil:
		return false, false, nil
	case bool:
		return v, true, nil
	case string:
		b, perr := strconv.ParseBool(strings.TrimSpace(v))
		if perr != nil {
			return false, true, badRequest("InvalidParameterValue", "Value '%s' for parameter %s is not a valid boolean.", v, key)
		}
		return b, true, nil
	default:
		return false, true, badRequest("InvalidParameterValue", "Parameter %s must be a boolean.", key)
	}
}

// list reads a list input (absent → nil).
func (c *call) list(key string) []any {
	if v, ok := c.Input[key].([]any); ok {
		return v
	}
	return nil
}

// strings reads a list of strings (absent → nil).
func (c *call) strings(key string) []string {
	items := c.list(key)
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, fmt.Sprint(it))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// object reads a nested structure input (absent → nil).
func (c *call) object(key string) map[string]any {
	if v, ok := c.Input[key].(map[string]any); ok {
		return v
	}
	return nil
}

// sub wraps a nested structure as a call, so the accessors work on it too.
func (c *call) sub(m map[string]any) *call {
	return &call{Account: c.Account, AccessKey: c.AccessKey, Region: c.Region, Service: c.Service, Action: c.Action, Input: m}
}

// handlerFunc serves one operation against the sandbox state. It runs with
// the state locked; it returns the output structure or an *apiError.
type handlerFunc func(st *state, c *call) (map[string]any, error)
