package check

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWildcard(t *testing.T) {
	for _, tc := range []struct {
		p, v string
		want bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"sns:*", "sns:Publish", true},
		{"kms:GenerateDataKey*", "kms:GenerateDataKey", true},
		{"kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext", true},
		{"kms:GenerateDataKey?", "kms:GenerateDataKey", false},
		{"arn:aws:cloudwatch:*:1:alarm:cis-*", "arn:aws:cloudwatch:us-east-1:1:alarm:cis-alarm", true},
		{"arn:aws:cloudwatch:*:1:alarm:cis-*", "arn:aws:cloudwatch:us-east-1:2:alarm:cis-alarm", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"", "x", false},
		// Many stars against a long near-miss stays fast (no exponential
		// backtracking on hostile policies).
		{strings.Repeat("*a", 40) + "b", strings.Repeat("a", 4000), false},
	} {
		require.Equal(t, tc.want, wildcard(tc.p, tc.v), "%q ~ %q", tc.p, tc.v)
	}
}

func TestEvaluatePolicy(t *testing.T) {
	req := policyRequest{service: cloudwatchService, action: "sns:Publish", resource: topicARN, context: alarmContext(alarmARN, acct)}
	for _, tc := range []struct {
		name, doc string
		want      tri
		fixable   bool
		why       string
	}{
		{"empty statement list", `{"Statement":[]}`, no, true, "no statement allows"},
		{"action case does not matter", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"SNS:PUBLISH","Resource":"*"}]}`, yes, false, ""},
		{"NotPrincipal is not evaluated", `{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"sns:Publish","Resource":"*"}]}`, unknown, true, "NotPrincipal"},
		{"NotResource excluding the topic", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","NotResource":"` + topicARN + `"}]}`, no, true, ""},
		{"Null condition on SourceArn false holds", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"Null":{"aws:SourceArn":"false"}}}]}`, yes, false, ""},
		{"IfExists is evaluated as the operator", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:SourceAccount":"` + acct + `"}}}]}`, yes, false, ""},
		{"ignore-case operator", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:SourceArn":"` + strings.ToUpper(alarmARN) + `"}}}]}`, yes, false, ""},
		{"unknown operator", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`, unknown, true, "IpAddress"},
		{"Deny on the principal's account only", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sns:Publish","Resource":"*"}]}`, yes, false, ""},
		// IAM matches an ARN component by component: a * stays within one.
		{"ArnLike on each component of the alarm's ARN", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:*:` + acct + `:alarm:*"}}}]}`, yes, false, ""},
		{"ArnLike star does not reach across a colon", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudwatch:*:alarm:*"}}}]}`, no, true, "no statement allows"},
		{"ArnNotLike Deny on another account's alarms spares this one", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"ArnNotLike":{"aws:SourceArn":"arn:aws:cloudwatch:*:` + acct + `:*"}}}]}`, yes, false, ""},
		{"ArnLike on a value that is not an ARN of six parts", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"*"}}}]}`, unknown, true, "not an ARN of six parts"},
		{"SecureTransport false Deny for every principal spares CloudWatch", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*"},{"Sid":"AllowPublishThroughSSLOnly","Effect":"Deny","Principal":"*","Action":"SNS:Publish","Resource":"` + topicARN + `","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, yes, false, ""},
		{"SecureTransport false Deny for AWS star spares CloudWatch", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*"},{"Sid":"AllowPublishThroughSSLOnly","Effect":"Deny","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"` + topicARN + `","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, yes, false, ""},
		{"SecureTransport false BoolIfExists Deny spares CloudWatch", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*"},{"Sid":"AllowPublishThroughSSLOnly","Effect":"Deny","Principal":"*","Action":"SNS:Publish","Resource":"` + topicARN + `","Condition":{"BoolIfExists":{"aws:SecureTransport":"false"}}}]}`, yes, false, ""},
		{"SecureTransport false as a JSON boolean spares CloudWatch", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*"},{"Sid":"AllowPublishThroughSSLOnly","Effect":"Deny","Principal":"*","Action":"SNS:Publish","Resource":"` + topicARN + `","Condition":{"Bool":{"aws:SecureTransport":false}}}]}`, yes, false, ""},
		{"SecureTransport true Deny is not evaluated", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*"},{"Sid":"AllowPublishThroughSSLOnly","Effect":"Deny","Principal":"*","Action":"SNS:Publish","Resource":"` + topicARN + `","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, unknown, false, "Bool on aws:SecureTransport"},
		{"SecureTransport with both values is not evaluated", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*"},{"Sid":"AllowPublishThroughSSLOnly","Effect":"Deny","Principal":"*","Action":"SNS:Publish","Resource":"` + topicARN + `","Condition":{"Bool":{"aws:SecureTransport":["false","true"]}}}]}`, unknown, false, "aws:SecureTransport"},
		{"Bool on another key is not evaluated", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"Bool":{"aws:ViaAWSService":"false"}}}]}`, unknown, false, "Bool on aws:ViaAWSService"},
		{"SecureTransport false Allow never admits CloudWatch", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, no, true, "no statement allows"},
		{"SecureTransport false Deny still leaves a missing Allow a no", `{"Statement":[{"Sid":"AllowPublishThroughSSLOnly","Effect":"Deny","Principal":"*","Action":"SNS:Publish","Resource":"` + topicARN + `","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, no, true, "no statement allows"},
		{"not JSON", `[`, unknown, false, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := evaluatePolicy(tc.doc, req)
			require.Equal(t, tc.want, v.allowed, v.why)
			require.Equal(t, tc.fixable, v.fixable, v.why)
			require.Contains(t, v.why, tc.why)
		})
	}
}

// FuzzEvaluatePolicy: no policy text makes the evaluator panic, and a
// verdict is always one of the three answers with a reason for a no.
func FuzzEvaluatePolicy(f *testing.F) {
	f.Add(defaultTopicPolicy(topicARN))
	f.Add(`{"Statement":{"Effect":"Deny","Principal":"*","NotAction":"x","Condition":{"Null":{"aws:SourceArn":true}}}}`)
	f.Add(`{"Statement":[{"Effect":"Allow","Principal":{"Service":["cloudwatch.amazonaws.com"]},"Action":["*"],"Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:SourceArn":["*"]}}}]}`)
	req := policyRequest{service: cloudwatchService, action: "sns:Publish", resource: topicARN, context: alarmContext(alarmARN, acct)}
	f.Fuzz(func(t *testing.T, doc string) {
		v := evaluatePolicy(doc, req)
		if v.allowed != yes && v.allowed != no && v.allowed != unknown {
			t.Fatalf("verdict %d", v.allowed)
		}
		if v.allowed != yes && v.why == "" {
			t.Fatalf("no reason for %d on %q", v.allowed, doc)
		}
	})
}
