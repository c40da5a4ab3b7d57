package sandbox

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/awscli"
)

// The AWS CLI is the second, independent client of the sandbox: botocore
// reads the services' wire protocols from AWS's own models, not from the
// Go SDK. Only v2 counts: it is the CLI AWS documents and ships, and v1
// differs in options and defaults.

// awsCLIv2 finds an AWS CLI v2 once per test binary.
var awsCLIv2 = sync.OnceValues(awscli.FindV2)

// awsCLI runs the AWS CLI against the sandbox with an isolated
// configuration, returning stdout, stderr and the exit code.
type awsCLI struct {
	t                *testing.T
	bin, url, region string
	env              []string
	// driver runs every command of this client in one CLI process. Each
	// start of the CLI costs about half a second of imports, and a
	// scenario runs dozens of commands.
	driver *cliDriver
}

// newAWSCLI is a client with accessKey and any further environment
// (AWS_SESSION_TOKEN=…); it lives until the test ends.
func newAWSCLI(t *testing.T, url, accessKey string, env ...string) *awsCLI {
	t.Helper()
	bin, skip := awsCLIv2()
	if skip != "" {
		t.Skip(skip)
	}
	home := t.TempDir()
	empty := filepath.Join(home, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	a := &awsCLI{t: t, bin: bin, url: url, region: DefaultRegion, env: append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + empty, "AWS_SHARED_CREDENTIALS_FILE=" + empty,
		"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=any-secret",
		// Nothing here may wait on a network or a person: no instance
		// metadata, no pager, no prompt, and no retries, since every
		// error a test provokes is final.
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_CLI_AUTO_PROMPT=off",
		"AWS_RETRY_MODE=standard", "AWS_MAX_ATTEMPTS=1",
	}, env...)}
	if interp := pythonOf(bin); interp != nil {
		d, err := startCLIDriver(interp, a.env)
		if err != nil {
			t.Logf("one AWS CLI process per command: %v", err)
		} else {
			a.driver = d
			t.Cleanup(d.close)
		}
	}
	return a
}

// in is the same client in another region.
func (a *awsCLI) in(region string) *awsCLI {
	b := *a
	b.region = region
	return &b
}

func (a *awsCLI) run(args ...string) (stdout, stderr string, code int) {
	a.t.Helper()
	args = append([]string{"--endpoint-url", a.url, "--region", a.region, "--output", "json", "--no-cli-pager"}, args...)
	if a.driver != nil {
		r, err := a.driver.run(args)
		require.NoError(a.t, err, "aws %v", args)
		return r.Stdout, r.Stderr, r.Code
	}
	cmd := exec.Command(a.bin, args...)
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

// pythonOf is the interpreter (with its arguments) of a CLI installed as a
// Python script, as Debian's and pip's are; nil for anything else, such as
// AWS's bundled installer, which then runs once per command.
func pythonOf(bin string) []string {
	f, err := os.Open(bin)
	if err != nil {
		return nil
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	interp, ok := strings.CutPrefix(strings.TrimSpace(line), "#!")
	if !ok || !strings.Contains(interp, "python") {
		return nil
	}
	return strings.Fields(interp)
}

// cliDriverScript runs CLI commands read as JSON arrays from stdin through
// the same entry point as the aws script (awscli.clidriver.main, a fresh
// driver and botocore session per command), so only the process is
// shared. Replies go to fd 3: nothing the CLI prints can garble them.
const cliDriverScript = `
import io, json, os, sys
import awscli.clidriver
requests, replies = sys.stdin, os.fdopen(3, "w")
def reply(**kw):
    replies.write(json.dumps(kw) + "\n")
    replies.flush()
reply(ready=True)
for line in requests:
    out, err = io.StringIO(), io.StringIO()
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(), out, err
    sys.argv = ["aws"] + json.loads(line)
    try:
        code = awscli.clidriver.main()
    except SystemExit as e:
        code = e.code if e.code is None or isinstance(e.code, int) else 1
    finally:
        sys.stdin, sys.stdout, sys.stderr = requests, sys.__stdout__, sys.__stderr__
    reply(stdout=out.getvalue(), stderr=err.getvalue(), code=code or 0)
`

type cliDriver struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	replies *os.File
	dec     *json.Decoder
	stderr  strings.Builder
}

type cliResult struct {
	Stdout, Stderr string
	Code           int
	Ready          bool
}

func startCLIDriver(interp, env []string) (*cliDriver, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	d := &cliDriver{replies: r, dec: json.NewDecoder(r)}
	d.cmd = exec.Command(interp[0], append(interp[1:], "-c", cliDriverScript)...)
	d.cmd.Env = env
	d.cmd.ExtraFiles = []*os.File{w}
	d.cmd.Stderr = &d.stderr
	if d.in, err = d.cmd.StdinPipe(); err == nil {
		err = d.cmd.Start()
	}
	w.Close()
	if err != nil {
		r.Close()
		return nil, err
	}
	var ready cliResult
	if err := d.dec.Decode(&ready); err != nil || !ready.Ready {
		d.close()
		return nil, errors.New("could not load the CLI in its Python: " + strings.TrimSpace(d.stderr.String()))
	}
	return d, nil
}

func (d *cliDriver) run(args []string) (cliResult, error) {
	var r cliResult
	line, err := json.Marshal(args)
	if err != nil {
		return r, err
	}
	if _, err := d.in.Write(append(line, '\n')); err != nil {
		return r, err
	}
	if err := d.dec.Decode(&r); err != nil {
		d.close()
		return r, errors.New("the CLI process died: " + strings.TrimSpace(d.stderr.String()))
	}
	return r, nil
}

func (d *cliDriver) close() {
	d.in.Close()
	d.cmd.Wait()
	d.replies.Close()
}

func TestAWSCLISNS(t *testing.T) {
	t.Parallel()
	s, endpoint := serveSandbox(t, "")
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
	t.Parallel()
	_, endpoint := serveSandbox(t, "")
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
	t.Parallel()
	_, endpoint := serveSandbox(t, "organization")
	aws := newAWSCLI(t, endpoint, DefaultAccessKey)
	require.Equal(t, DefaultAccount, aws.ok("sts", "get-caller-identity")["Account"])
	creds := aws.ok("sts", "assume-role", "--role-arn", "arn:aws:iam::222222222222:role/"+OrgAccessRole, "--role-session-name", "cli")["Credentials"].(map[string]any)
	aws.fails("AccessDenied", "sts", "assume-role", "--role-arn", "arn:aws:iam::222222222222:role/Nope", "--role-session-name", "cli")

	member := newAWSCLI(t, endpoint, creds["AccessKeyId"].(string),
		"AWS_SECRET_ACCESS_KEY="+creds["SecretAccessKey"].(string), "AWS_SESSION_TOKEN="+creds["SessionToken"].(string))
	require.Equal(t, MemberAccount, member.ok("sts", "get-caller-identity")["Account"])
	require.Equal(t, DefaultAccount, member.ok("organizations", "describe-organization")["Organization"].(map[string]any)["MasterAccountId"])

	_, endpoint = serveSandbox(t, "")
	newAWSCLI(t, endpoint, DefaultAccessKey).fails("AWSOrganizationsNotInUseException", "organizations", "describe-organization")
	newAWSCLI(t, endpoint, "AKIAUNKNOWN000000000").fails("InvalidClientTokenId", "sts", "get-caller-identity")
}

// The CLI may speak Query or JSON to CloudWatch depending on its version;
// either way the sandbox routes it to the same handlers.
func TestAWSCLICloudWatchRouting(t *testing.T) {
	t.Parallel()
	_, endpoint := serveSandbox(t, "compliant")
	aws := newAWSCLI(t, endpoint, DefaultAccessKey)
	alarms := aws.ok("cloudwatch", "describe-alarms")["MetricAlarms"].([]any)
	require.Len(t, alarms, 1)
	require.Equal(t, "cloudtrail-config-changes", alarms[0].(map[string]any)["AlarmName"])
}

// The chain the audit follows, built and torn down with the CLI. A trail
// may be read from any region but changed only from its home region.
func TestAWSCLICloudTrailLogsAlarms(t *testing.T) {
	t.Parallel()
	srv, endpoint := serveSandbox(t, "")
	seedServices(srv, endpoint)
	aws := newAWSCLI(t, endpoint, DefaultAccessKey)
	away := aws.in("eu-west-1")

	aws.ok("logs", "create-log-group", "--log-group-name", trailLogGroup)
	aws.ok("cloudtrail", "create-trail", "--name", "main", "--s3-bucket-name", "b", "--is-multi-region-trail",
		"--cloud-watch-logs-log-group-arn", trailLogGroupArn, "--cloud-watch-logs-role-arn", trailRoleArn)
	trails := away.ok("cloudtrail", "describe-trails")["trailList"].([]any)
	require.Len(t, trails, 1)
	require.Equal(t, "us-east-1", trails[0].(map[string]any)["HomeRegion"])
	require.Equal(t, false, aws.ok("cloudtrail", "get-trail-status", "--name", "main")["IsLogging"])
	away.fails("InvalidHomeRegionException", "cloudtrail", "stop-logging", "--name", homeArn)

	aws.ok("logs", "put-metric-filter", "--log-group-name", trailLogGroup, "--filter-name", "trail-changes",
		"--filter-pattern", cisPattern, "--metric-transformations", "metricName=CloudTrailConfigChanges,metricNamespace=CISBenchmark,metricValue=1")
	filters := aws.ok("logs", "describe-metric-filters", "--log-group-name", trailLogGroup)["metricFilters"].([]any)
	require.Len(t, filters, 1)
	require.Equal(t, cisPattern, filters[0].(map[string]any)["filterPattern"])

	aws.ok("cloudwatch", "put-metric-alarm", "--alarm-name", "trail-changes", "--metric-name", "CloudTrailConfigChanges",
		"--namespace", "CISBenchmark", "--statistic", "Sum", "--period", "300", "--evaluation-periods", "1", "--threshold", "1",
		"--comparison-operator", "GreaterThanOrEqualToThreshold", "--alarm-actions", topicArn, "--treat-missing-data", "notBreaching")
	alarms := aws.ok("cloudwatch", "describe-alarms-for-metric", "--metric-name", "CloudTrailConfigChanges",
		"--namespace", "CISBenchmark")["MetricAlarms"].([]any)
	require.Len(t, alarms, 1)
	a := alarms[0].(map[string]any)
	require.Equal(t, 300.0, a["Period"])
	require.Equal(t, 1.0, a["Threshold"])
	require.Equal(t, []any{topicArn}, a["AlarmActions"])
	require.Equal(t, "INSUFFICIENT_DATA", a["StateValue"])
	require.Len(t, aws.ok("cloudwatch", "describe-alarms", "--alarm-names", "trail-changes")["MetricAlarms"].([]any), 1)
	aws.fails("ResourceNotFound", "cloudwatch", "delete-alarms", "--alarm-names", "missing")
	aws.ok("cloudwatch", "delete-alarms", "--alarm-names", "trail-changes")

	// Undoing --wire-logs: the trail lets go of the group (both ARNs
	// empty), then the group goes with its filters.
	aws.fails("InvalidCloudWatchLogsRoleArnException", "cloudtrail", "update-trail", "--name", "main",
		"--cloud-watch-logs-log-group-arn", trailLogGroupArn, "--cloud-watch-logs-role-arn", "")
	updated := aws.ok("cloudtrail", "update-trail", "--name", "main", "--cloud-watch-logs-log-group-arn", "", "--cloud-watch-logs-role-arn", "")
	require.NotContains(t, updated, "CloudWatchLogsLogGroupArn")
	require.NotContains(t, aws.ok("cloudtrail", "describe-trails")["trailList"].([]any)[0], "CloudWatchLogsLogGroupArn")
	aws.ok("logs", "delete-log-group", "--log-group-name", trailLogGroup)
	require.Empty(t, aws.ok("logs", "describe-log-groups")["logGroups"])
	require.Empty(t, aws.ok("logs", "describe-metric-filters")["metricFilters"])
	aws.fails("ResourceNotFoundException", "logs", "delete-log-group", "--log-group-name", trailLogGroup)
}

func TestAWSCLIKMS(t *testing.T) {
	t.Parallel()
	_, endpoint := serveSandbox(t, "topic-aws-managed-key")
	aws := newAWSCLI(t, endpoint, DefaultAccessKey)
	managed := aws.ok("kms", "describe-key", "--key-id", "alias/aws/sns")["KeyMetadata"].(map[string]any)
	require.Equal(t, "AWS", managed["KeyManager"])
	key := aws.ok("kms", "create-key", "--description", "alerts")["KeyMetadata"].(map[string]any)
	require.Equal(t, "CUSTOMER", key["KeyManager"])
	pol := aws.ok("kms", "get-key-policy", "--key-id", key["Arn"].(string), "--policy-name", "default")["Policy"].(string)
	require.Contains(t, pol, "arn:aws:iam::111111111111:root")
	aws.fails("NotFoundException", "kms", "describe-key", "--key-id", "alias/nobody")
}
