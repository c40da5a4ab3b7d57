package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/stretchr/testify/require"
)

func TestDecodeQueryNestsListsMapsAndStructures(t *testing.T) {
	form, err := url.ParseQuery("Name=alerts" +
		"&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Alerts" +
		"&Attributes.entry.2.key=Policy&Attributes.entry.2.value=%7B%7D" +
		"&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1" +
		"&AlarmActions.member.10=j&AlarmActions.member.2=b&AlarmActions.member.1=a" +
		"&Outer.Inner=x&Empty=")
	require.NoError(t, err)
	require.Equal(t, map[string]any{
		"Name":         "alerts",
		"Attributes":   map[string]any{"DisplayName": "Alerts", "Policy": "{}"},
		"Tags":         []any{map[string]any{"Key": "a", "Value": "1"}, map[string]any{"Key": "b", "Value": "2"}},
		"AlarmActions": []any{"a", "b", "j"}, // numeric order, not string order
		"Outer":        map[string]any{"Inner": "x"},
		"Empty":        "",
	}, decodeQuery(form))
}

func TestQueryXMLOutput(t *testing.T) {
	w := httptest.NewRecorder()
	req := &request{service: "sns", action: "ListTopics", id: "req-1"}
	queryProtocol{}.writeOutput(w, req, map[string]any{
		"Topics":     []any{map[string]any{"TopicArn": "arn:a&b"}},
		"Attributes": stringMap{"k": "<v>"},
		"When":       time.Date(2026, 1, 2, 3, 4, 5, 600e6, time.UTC),
		"Count":      3,
		"Skipped":    nil,
	})
	require.Equal(t, `<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListTopicsResult>`+
		`<Attributes><entry><key>k</key><value>&lt;v&gt;</value></entry></Attributes>`+
		`<Count>3</Count>`+
		`<Topics><member><TopicArn>arn:a&amp;b</TopicArn></member></Topics>`+
		`<When>2026-01-02T03:04:05.600Z</When>`+
		`</ListTopicsResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></ListTopicsResponse>`, w.Body.String())
	require.Equal(t, "text/xml", w.Header().Get("Content-Type"))
}

func TestQueryXMLError(t *testing.T) {
	w := httptest.NewRecorder()
	queryProtocol{}.writeError(w, &request{service: "iam", id: "req-2"}, errorf(404, "NoSuchEntity", "The role with name x cannot be found."))
	require.Equal(t, 404, w.Code)
	require.Equal(t, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>`+
		`<Message>The role with name x cannot be found.</Message></Error><RequestId>req-2</RequestId></ErrorResponse>`, w.Body.String())
}

func TestJSONCodec(t *testing.T) {
	in, err := jsonProtocol{version: "1.1"}.decode([]byte(`{"a":1,"b":1.5,"c":[true,"x"],"d":{"e":-2}}`), nil)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"a": int64(1), "b": 1.5, "c": []any{true, "x"}, "d": map[string]any{"e": int64(-2)}}, in)
	_, err = jsonProtocol{version: "1.1"}.decode([]byte(`[1]`), nil)
	require.Error(t, err)

	w := httptest.NewRecorder()
	jsonProtocol{version: "1.1"}.writeOutput(w, &request{id: "r"}, map[string]any{
		"t": time.Date(2026, 1, 2, 3, 4, 5, 250e6, time.UTC), "m": stringMap{"k": "v"}, "gone": nil,
	})
	require.JSONEq(t, `{"t":1767323045.25,"m":{"k":"v"}}`, w.Body.String())
	require.Equal(t, "application/x-amz-json-1.1", w.Header().Get("Content-Type"))
}

func TestCBORCodecRoundTrip(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 250e6, time.UTC)
	out := toCBOR(map[string]any{
		"s": "x", "i": 42, "n": int64(-7), "f": 1.5, "b": true, "t": when,
		"l": []any{"a", 1}, "m": stringMap{"k": "v"}, "gone": nil,
	})
	v, err := cbor.Decode(cbor.Encode(out))
	require.NoError(t, err)
	require.Equal(t, map[string]any{
		"s": "x", "i": int64(42), "n": int64(-7), "f": 1.5, "b": true, "t": when,
		"l": []any{"a", int64(1)}, "m": map[string]any{"k": "v"},
	}, fromCBOR(v))
}

// The JSON 1.0 and CBOR error bodies of CloudWatch carry the error shape's
// name, and the Query code rides in X-Amzn-Query-Error, as the service does.
func TestQueryCompatibleErrors(t *testing.T) {
	e := badRequest("InvalidParameterValue", "bad")
	w := httptest.NewRecorder()
	jsonProtocol{version: "1.0"}.writeError(w, &request{service: "monitoring", id: "r"}, e)
	require.Equal(t, "InvalidParameterValue;Sender", w.Header().Get("X-Amzn-Query-Error"))
	require.JSONEq(t, `{"__type":"InvalidParameterValueException","message":"bad"}`, w.Body.String())

	w = httptest.NewRecorder()
	cborProtocol{}.writeError(w, &request{service: "monitoring", id: "r"}, e)
	v, err := cbor.Decode(w.Body.Bytes())
	require.NoError(t, err)
	require.Equal(t, map[string]any{"__type": "InvalidParameterValueException", "message": "bad"}, fromCBOR(v))
}

func TestCredentialScope(t *testing.T) {
	scope, ok := parseCredentialScope("AWS4-HMAC-SHA256 Credential=AKIAX/20260102/eu-west-1/sns/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	require.True(t, ok)
	require.Equal(t, credentialScope{accessKey: "AKIAX", region: "eu-west-1", service: "sns"}, scope)
	for _, bad := range []string{"", "Basic abc", "AWS4-HMAC-SHA256 Signature=abc", "AWS4-HMAC-SHA256 Credential=AKIAX/20260102/eu-west-1/sns"} {
		_, ok := parseCredentialScope(bad)
		require.False(t, ok, bad)
	}
}

func TestUnauthenticatedRequests(t *testing.T) {
	_, endpoint := startSandbox(t, "")
	post := func(auth, contentType, target, body string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", contentType)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, body := post("", "application/x-www-form-urlencoded", "", "Action=ListTopics&Version=2010-03-31")
	require.Equal(t, 403, status)
	require.Contains(t, body, "<Code>MissingAuthenticationToken</Code>")

	status, body = post("AWS4-HMAC-SHA256 Signature=abc", "application/x-amz-json-1.1", "Logs_20140328.DescribeLogGroups", "{}")
	require.Equal(t, 403, status)
	require.Contains(t, body, `"__type":"IncompleteSignatureException"`)

	auth := "AWS4-HMAC-SHA256 Credential=" + DefaultAccessKey + "/20260102/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=abc"
	status, body = post(auth, "application/x-www-form-urlencoded", "", "Action=Publish2&Version=2010-03-31")
	require.Equal(t, 400, status)
	require.Contains(t, body, "<Code>InvalidAction</Code>")
}

// The Go SDK's CloudWatch client speaks rpc-v2-cbor; errors it receives must
// come back typed, with the Query code CloudWatch documents.
func TestCloudWatchCBORErrorsThroughSDK(t *testing.T) {
	s, endpoint := startSandbox(t, "")
	client := cloudwatch.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey))
	s.SetFaults(Faults{AccessDenied: []DeniedOperation{{Operation: "monitoring:DescribeAlarms"}}})
	_, err := client.DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{})
	require.Equal(t, "AccessDenied", apiCode(err), "%v", err)
	requests := s.Requests()
	require.Equal(t, LogEntry{Start: testNow, Time: testNow, Service: "monitoring", Action: "DescribeAlarms", Account: DefaultAccount, Region: DefaultRegion, Status: 403}, requests[len(requests)-1])

	_, err = cloudwatch.NewFromConfig(sdkConfig(endpoint, "AKIAUNKNOWN000000000")).DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{})
	require.Equal(t, "UnrecognizedClientException", apiCode(err), "%v", err)
}

// A typed CloudWatch error through CBOR: the SDK maps __type to its error type.
func TestCloudWatchCBORTypedError(t *testing.T) {
	_, endpoint := startSandbox(t, "")
	b := cbor.Encode(cbor.Map{"AlarmName": cbor.String("x")})
	req, err := http.NewRequest(http.MethodPost, endpoint+"/service/GraniteServiceVersion20100801/operation/NoSuchOperation", bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+DefaultAccessKey+"/20260102/us-east-1/monitoring/aws4_request, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 400, resp.StatusCode)
	require.Equal(t, "application/cbor", resp.Header.Get("Content-Type"))

	// Through the SDK: an invalid alarm name is InvalidParameterValue in Query
	// terms, which must surface as the typed InvalidParameterValueException.
	client := cloudwatch.NewFromConfig(sdkConfig(endpoint, DefaultAccessKey))
	_, err = client.PutMetricAlarm(ctx(t), &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("a"), EvaluationPeriods: aws.Int32(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		MetricName: aws.String("m"), Namespace: aws.String("n"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(7), Threshold: aws.Float64(1),
	})
	var invalid *cwtypes.InvalidParameterValueException
	require.ErrorAs(t, err, &invalid, "%v", err)
	require.Equal(t, "InvalidParameterValue", invalid.ErrorCode())
}

func TestControlEndpointsOverHTTP(t *testing.T) {
	s, endpoint := startSandbox(t, "")
	do := func(method, path, body string) (int, string) {
		req, err := http.NewRequest(method, endpoint+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, body := do("POST", "/_sandbox/scenario/no-confirmed-subscriber", "")
	require.Equal(t, 200, status, body)
	status, body = do("POST", "/_sandbox/subscriptions/confirm", "")
	require.Equal(t, 200, status)
	var confirmed map[string][]string
	require.NoError(t, json.Unmarshal([]byte(body), &confirmed))
	require.Len(t, confirmed["confirmed"], 1)

	status, dump := do("GET", "/_sandbox/state", "")
	require.Equal(t, 200, status)
	require.NoError(t, s.Reset())
	require.Len(t, s.st.account(DefaultAccount).Regions, 0)
	status, body = do("POST", "/_sandbox/state", dump)
	require.Equal(t, 200, status, body)
	_, again := do("GET", "/_sandbox/state", "")
	require.JSONEq(t, dump, again, "a dump loads back to the same state")

	status, body = do("POST", "/_sandbox/state", `{"accounts":{},"accessKeys":{"AKIAX":"123456789012"}}`)
	require.Equal(t, 400, status)
	require.Contains(t, body, "unknown account")
	status, body = do("POST", "/_sandbox/state", `{"accounts":{"42":{"id":"42"}}}`)
	require.Equal(t, 400, status)
	require.Contains(t, body, "12-digit")

	status, body = do("POST", "/_sandbox/faults", `{"latencyMs":1,"throttleRate":2}`)
	require.Equal(t, 400, status, body)
	status, _ = do("POST", "/_sandbox/faults", `{"accessDenied":[{"operation":"sts:GetCallerIdentity","account":"111111111111"}]}`)
	require.Equal(t, 200, status)
	require.Equal(t, Faults{AccessDenied: []DeniedOperation{{Operation: "sts:GetCallerIdentity", Account: DefaultAccount}}}, s.Faults())
	status, _ = do("DELETE", "/_sandbox/faults", "")
	require.Equal(t, 200, status)
	require.Equal(t, Faults{}, s.Faults())

	status, body = do("POST", "/_sandbox/scenario/fleet?accounts=25", "")
	require.Equal(t, 200, status, body)
	require.Len(t, s.Credentials(), 25)
	status, body = do("POST", "/_sandbox/scenario/compliant?accounts=5", "")
	require.Equal(t, 400, status, "a size for a scenario it cannot size is refused, not ignored")
	require.Contains(t, body, "fixed set of accounts")
	require.Len(t, s.Credentials(), 25, "and the world is left as it was")
	status, body = do("POST", "/_sandbox/scenario/org?accounts=1", "")
	require.Equal(t, 400, status)
	require.Contains(t, body, "accounts=1: want 2 to 1000")
	status, _ = do("POST", "/_sandbox/scenario/atlantis", "")
	require.Equal(t, 400, status)
	status, body = do("GET", "/_sandbox/scenarios", "")
	require.Equal(t, 200, status)
	require.Contains(t, body, `"no-alarm"`)
	status, _ = do("GET", "/_sandbox/nope", "")
	require.Equal(t, 404, status)
}
