package sandbox

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// awsCLI runs the AWS CLI against the sandbox with an isolated
// configuration, returning stdout, stderr and the exit code.
type awsCLI struct {
	t        *testing.T
	bin, url string
	env      []string
}

func newAWSCLI(t *testing.T, url, accessKey string) *awsCLI {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("AWS CLI not on PATH (install the Debian package awscli; .ci/run does): skipping the cross-client test")
	}
	home := t.TempDir()
	empty := filepath.Join(home, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	return &awsCLI{t: t, bin: bin, url: url, env: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + empty, "AWS_SHARED_CREDENTIALS_FILE=" + empty,
		"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=any-secret",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	}}
}

func (a *awsCLI) run(args ...string) (stdout, stderr string, code int) {
	a.t.Helper()
	cmd := exec.Command(a.bin, append([]string{"--endpoint-url", a.url, "--region", DefaultRegion, "--output", "json"}, args...)...)
	cmd.Env = a.env
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	}
	require.NoError(a.t, err)
	return out.String(), errOut.String(), 0
}

// ok runs a command that must succeed and decodes its JSON output.
func (a *awsCLI) ok(args ...string) map[string]any {
	a.t.Helper()
	stdout, stderr, code := a.run(args...)
	require.Equal(a.t, 0, code, "aws %v: %s", args, stderr)
	out := map[string]any{}
	if strings.TrimSpace(stdout) != "" {
		require.NoError(a.t, json.Unmarshal([]byte(stdout), &out), stdout)
	}
	return out
}

// fails runs a command that must fail with the AWS error code.
func (a *awsCLI) fails(code string, args ...string) {
	a.t.Helper()
	_, stderr, exit := a.run(args...)
	require.NotEqual(a.t, 0, exit, "aws %v should fail", args)
	require.Contains(a.t, stderr, "("+code+")", "aws %v", args)
}

func TestAWSCLISNS(t *testing.T) {
	s, endpoint := startSandbox(t, "")
	aws := newAWSCLI(t, endpoint, DefaultAccessKey)

	topic := aws.ok("sns", "create-topic", "--name", "alerts", "--attributes", "DisplayName=Alerts", "--tags", "Key=created-by,Value=trailwatch")["TopicArn"].(string)
	require.Equal(t, "arn:aws:sns:us-east-1:111111111111:alerts", topic)
	aws.fails("InvalidParameter", "sns", "create-topic", "--name", "alerts", "--attributes", "DisplayName=Other")
	require.Equal(t, "Alerts", aws.ok("sns", "get-topic-attributes", "--topic-arn", topic)["Attributes"].(map[string]any)["DisplayName"])
	aws.ok("sns", "set-topic-attributes", "--topic-arn", topic, "--attribute-name", "DisplayName", "--attribute-value", "Renamed")
	require.Equal(t, "Renamed", aws.ok("sns", "get-topic-attributes", "--topic-arn", topic)["Attributes"].(map[string]any)["DisplayName"])
	require.Equal(t, []any{map[string]any{"TopicArn": topic}}, aws.ok("sns", "list-topics")["Topics"])

	require.Equal(t, "pending confirmation", aws.ok("sns", "subscribe", "--topic-arn", topic, "--protocol", "email", "--notification-endpoint", "sec@example.com")["SubscriptionArn"])
	subs := aws.ok("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"].([]any)
	require.Len(t, subs, 1)
	require.Equal(t, "PendingConfirmation", subs[0].(map[string]any)["SubscriptionArn"])
	aws.fails("InvalidParameter", "sns", "subscribe", "--topic-arn", topic, "--protocol", "email", "--notification-endpoint", "nobody")

	token := pendingToken(t, s, "sec@example.com")
	sub := aws.ok("sns", "confirm-subscription", "--topic-arn", topic, "--token", token)["SubscriptionArn"].(string)
	subs = aws.ok("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"].([]any)
	require.Equal(t, sub, subs[0].(map[string]any)["SubscriptionArn"])
	aws.ok("sns", "unsubscribe", "--subscription-arn", sub)
	aws.fails("NotFound", "sns", "unsubscribe", "--subscription-arn", sub)

	aws.ok("sns", "delete-topic", "--topic-arn", topic)
	aws.fails("NotFound", "sns", "get-topic-attributes", "--topic-arn", topic)
}

func TestAWSCLIIAM(t *testing.T) {
	_, endpoint := startSandbox(t, "")
	aws := newAWSCLI(t, endpoint, DefaultAccessKey)
	role := aws.ok("iam", "create-role", "--role-name", "trailwatch-logs", "--assume-role-policy-document", trustPolicy,
		"--tags", "Key=created-by,Value=trailwatch")["Role"].(map[string]any)
	require.Equal(t, "arn:aws:iam::111111111111:role/trailwatch-logs", role["Arn"])
	// The CLI decodes IAM's URL-encoded policy documents back into JSON.
	got := aws.ok("iam", "get-role", "--role-name", "trailwatch-logs")["Role"].(map[string]any)
	require.Equal(t, "cloudtrail.amazonaws.com", got["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Principal"].(map[string]any)["Service"])
	aws.fails("EntityAlreadyExists", "iam", "create-role", "--role-name", "trailwatch-logs", "--assume-role-policy-document", trustPolicy)
	aws.fails("MalformedPolicyDocument", "iam", "create-role", "--role-name", "x", "--assume-role-policy-document", "{oops")

	aws.ok("iam", "put-role-policy", "--role-name", "trailwatch-logs", "--policy-name", "logs", "--policy-document", trustPolicy)
	require.Equal(t, "logs", aws.ok("iam", "get-role-policy", "--role-name", "trailwatch-logs", "--policy-name", "logs")["PolicyName"])
	aws.fails("DeleteConflict", "iam", "delete-role", "--role-name", "trailwatch-logs")
	aws.ok("iam", "delete-role-policy", "--role-name", "trailwatch-logs", "--policy-name", "logs")
	aws.ok("iam", "delete-role", "--role-name", "trailwatch-logs")
	aws.fails("NoSuchEntity", "iam", "get-role", "--role-name", "trailwatch-logs")
}

func TestAWSCLISTSAndOrganizations(t *testing.T) {
	_, endpoint := startSandbox(t, "organization")
	aws := newAWSCLI(t, endpoint, DefaultAccessKey)
	require.Equal(t, DefaultAccount, aws.ok("sts", "get-caller-identity")["Account"])
	creds := aws.ok("sts", "assume-role", "--role-arn", "arn:aws:iam::222222222222:role/"+OrgAccessRole, "--role-session-name", "cli")["Credentials"].(map[string]any)
	aws.fails("AccessDenied", "sts", "assume-role", "--role-arn", "arn:aws:iam::222222222222:role/Nope", "--role-session-name", "cli")

	member := newAWSCLI(t, endpoint, creds["AccessKeyId"].(string))
	member.env = append(member.env, "AWS_SECRET_ACCESS_KEY="+creds["SecretAccessKey"].(string), "AWS_SESSION_TOKEN="+creds["SessionToken"].(string))
	require.Equal(t, MemberAccount, member.ok("sts", "get-caller-identity")["Account"])
	require.Equal(t, DefaultAccount, member.ok("organizations", "describe-organization")["Organization"].(map[string]any)["MasterAccountId"])

	_, endpoint = startSandbox(t, "")
	newAWSCLI(t, endpoint, DefaultAccessKey).fails("AWSOrganizationsNotInUseException", "organizations", "describe-organization")
	newAWSCLI(t, endpoint, "AKIAUNKNOWN000000000").fails("InvalidClientTokenId", "sts", "get-caller-identity")
}

// The CLI may speak Query or JSON to CloudWatch depending on its version;
// either way the sandbox routes it to the same handlers.
func TestAWSCLICloudWatchRouting(t *testing.T) {
	_, endpoint := startSandbox(t, "compliant")
	aws := newAWSCLI(t, endpoint, DefaultAccessKey)
	alarms := aws.ok("cloudwatch", "describe-alarms")["MetricAlarms"].([]any)
	require.Len(t, alarms, 1)
	require.Equal(t, "cloudtrail-config-changes", alarms[0].(map[string]any)["AlarmName"])
}
