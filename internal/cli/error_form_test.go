package cli

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Every flag value refused is told in one form: the flag and the value as
// given, why, and what to give instead; no "invalid input" before it. Found
// before any AWS call.
func TestFlagValueErrorsShareOneForm(t *testing.T) {
	srv := startSandbox(t, "compliant")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--notify", "pigeon:coop"}, `trailwatch: --notify "pigeon:coop": unknown protocol "pigeon" (want one of email, email-json, http, https, sqs, lambda, sms)` + "\n"},
		{[]string{"fix", "--dry-run", "--notify", "security"}, `trailwatch: --notify "security": cannot tell the protocol: want an email address`},
		{[]string{"plan", "--notify", "sms:14155550100"}, `trailwatch: --notify "sms:14155550100": want a phone number in E.164 form, e.g. +14155550100` + "\n"},
		{[]string{"plan", "--topic-arn", "security-alerts"}, `trailwatch: --topic-arn "security-alerts": want an SNS topic ARN, e.g. arn:aws:sns:us-east-1:123456789012:alerts`},
		{[]string{"fix", "--dry-run", "--kms-key-id", "alias/aws/sns"}, `trailwatch: --kms-key-id "alias/aws/sns": CloudWatch cannot use the AWS managed key for SNS`},
		{[]string{"plan", "--namespace", "AWS/Mine"}, `trailwatch: --namespace "AWS/Mine": namespaces starting with AWS/ are reserved for AWS; choose another`},
		{[]string{"plan", "--wire-logs", "--retention-days", "2"}, `trailwatch: --retention-days 2: CloudWatch Logs accepts only 1, 3,`},
		{[]string{"check", "--output", "yaml"}, `trailwatch: --output "yaml": want one of text, json, csv, junit, ocsf, asff (docs/outputs.md); an HTML page is --report FILE` + "\n"},
	} {
		t.Run(tc.args[0]+" "+tc.args[len(tc.args)-2], func(t *testing.T) {
			n := len(srv.Requests())
			code, out, stderr := runSafetyCmd(t, tc.args...)
			require.Equal(t, exitUsage, code, out+stderr)
			require.Contains(t, stderr, tc.want)
			require.NotContains(t, stderr, "invalid input")
			require.Len(t, srv.Requests(), n, "no AWS call")
		})
	}
}
