package plan

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseNotify(t *testing.T) {
	valid := []string{
		"email:security@example.com",
		"EMAIL:security@example.com",
		"email-json:ops+trail@sub.example.org",
		"http:http://hooks.example.com/in",
		"https:https://hooks.example.com:8443/in?x=1",
		"sqs:arn:aws:sqs:us-east-1:123456789012:alerts",
		"lambda:arn:aws:lambda:eu-west-1:123456789012:function:notify",
		"lambda:arn:aws:lambda:eu-west-1:123456789012:function:notify:live",
		"sms:+14155550100",
	}
	for _, s := range valid {
		_, err := ParseNotify(s)
		require.NoError(t, err, s)
	}
	invalid := map[string]string{
		"no protocol, no shape":   "security",
		"bare number":             "14155550100",
		"topic ARN":               "arn:aws:sns:us-east-1:123456789012:alerts",
		"empty endpoint":          "email:",
		"unknown protocol":        "slack:#security",
		"application not offered": "application:arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/1",
		"email with name":         "email:Sec <security@example.com>",
		"email without domain":    "email:security",
		"email without dot":       "email:security@localhost",
		"http endpoint is https":  "http:https://hooks.example.com/in",
		"https endpoint is http":  "https:http://hooks.example.com/in",
		"https without host":      "https:https:///in",
		"sqs given a lambda ARN":  "sqs:arn:aws:lambda:us-east-1:123456789012:function:notify",
		"sqs given a queue URL":   "sqs:https://sqs.us-east-1.amazonaws.com/123456789012/alerts",
		"sqs short account":       "sqs:arn:aws:sqs:us-east-1:1234:alerts",
		"lambda given an sqs ARN": "lambda:arn:aws:sqs:us-east-1:123456789012:alerts",
		"lambda not a function":   "lambda:arn:aws:lambda:us-east-1:123456789012:layer:x",
		"sms without plus":        "sms:14155550100",
		"sms with spaces":         "sms:+1 415 555 0100",
		"sms too long":            "sms:+1234567890123456",
	}
	for name, s := range invalid {
		_, err := ParseNotify(s)
		require.ErrorIs(t, err, ErrInvalidInput, name)
		require.NotContains(t, err.Error(), "--notify", name+": the prompt shares this parser")
	}
}

// What a person types names its protocol often enough: the prefix is
// inferred only where one protocol fits, and a URL is its own prefix.
func TestParseNotifyInfersTheProtocol(t *testing.T) {
	cases := map[string]Endpoint{
		"you@example.com":                                  {Protocol: "email", Endpoint: "you@example.com"},
		"  you@example.com ":                               {Protocol: "email", Endpoint: "you@example.com"},
		"https://hooks.example.com/sns":                    {Protocol: "https", Endpoint: "https://hooks.example.com/sns"},
		"https:https://hooks.example.com/sns":              {Protocol: "https", Endpoint: "https://hooks.example.com/sns"},
		"HTTP://hooks.example.com/in":                      {Protocol: "http", Endpoint: "HTTP://hooks.example.com/in"},
		"arn:aws:sqs:us-east-1:123456789012:q":             {Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:123456789012:q"},
		"arn:aws:lambda:eu-west-1:123456789012:function:f": {Protocol: "lambda", Endpoint: "arn:aws:lambda:eu-west-1:123456789012:function:f"},
		"sms:+14155550100":                                 {Protocol: "sms", Endpoint: "+14155550100"},
		"+14155550100":                                     {Protocol: "sms", Endpoint: "+14155550100"},
		"email-json:ops@example.com":                       {Protocol: "email-json", Endpoint: "ops@example.com"},
	}
	for in, want := range cases {
		got, err := ParseNotify(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
}

func TestParseNotifySplitsAtFirstColon(t *testing.T) {
	e, err := ParseNotify("sqs:arn:aws:sqs:us-east-1:123456789012:alerts")
	require.NoError(t, err)
	require.Equal(t, Endpoint{Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:123456789012:alerts"}, e)
}

func TestOptionsValidation(t *testing.T) {
	o, err := Options{}.WithDefaults()
	require.NoError(t, err)
	require.Equal(t, "CISBenchmark", o.Namespace)
	require.Equal(t, "CloudTrailConfigChanges", o.MetricName)
	require.Equal(t, "trailwatch-", o.NamePrefix)

	for _, days := range RetentionValues {
		_, err := Options{RetentionDays: days}.WithDefaults()
		require.NoError(t, err, days)
	}
	bad := map[string]Options{
		"retention 2":          {RetentionDays: 2},
		"retention 10 years+":  {RetentionDays: 4000},
		"prefix with slash":    {NamePrefix: "team/"},
		"prefix too long":      {NamePrefix: "a-very-long-prefix-that-no-role-fits-"},
		"AWS namespace":        {Namespace: "AWS/CloudTrail"},
		"topic ARN of a queue": {TopicARN: "arn:aws:sqs:us-east-1:123456789012:alerts"},
		"topic ARN malformed":  {TopicARN: "security-alerts"},
	}
	for name, o := range bad {
		_, err := o.WithDefaults()
		require.ErrorIs(t, err, ErrInvalidInput, name)
	}
}
