package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/awscli"
	"github.com/trailwatch/trailwatch/sandbox"
)

// remediationProfile writes a config file whose profile "ops" reaches the
// sandbox's default account: the hints must name it.
func remediationProfile(t *testing.T) {
	t.Helper()
	require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile ops]\nregion = "+sandbox.DefaultRegion+
		"\naws_access_key_id = "+sandbox.DefaultAccessKey+"\naws_secret_access_key = sandbox\n"), 0o600))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
}

func remediationGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "remediation-"+name+".golden")
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestRemediation -update to create it")
	require.Equal(t, string(want), got)
}

var remediationLine = regexp.MustCompile(`(?m)^  remediation: (.*)$`)

// runAWSAsPrinted runs a command exactly as a hint printed it, with Debian's
// AWS CLI, adding only --endpoint-url (the sandbox is not AWS).
func runAWSAsPrinted(t *testing.T, command, endpoint string) {
	t.Helper()
	bin, skip := awscli.FindV2()
	if skip != "" {
		t.Skip(skip)
	}
	words := strings.Fields(command)
	require.Equal(t, "aws", words[0], command)
	cmd := exec.Command(bin, append(words[1:], "--endpoint-url", endpoint)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_CONFIG_FILE=" + os.Getenv("AWS_CONFIG_FILE"),
		"AWS_SHARED_CREDENTIALS_FILE=" + os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1"}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s: %s", command, out)
}

// TRAIL_NOT_LOGGING: check and plan print the start-logging command with
// the trail's real name, its home region and the profile the account was
// found with, and it runs as printed.
func TestRemediationStartLoggingRunsAsPrinted(t *testing.T) {
	srv := startSandbox(t, "trail-not-logging")
	remediationProfile(t)
	want := "aws cloudtrail start-logging --name management-events --region us-east-1 --profile ops"

	code, out, stderr := runCheckCmd(t, "--profile", "ops")
	require.Equal(t, exitFindings, code, out+stderr)
	m := remediationLine.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.Equal(t, "start logging on the trail: "+want, m[1])
	remediationGolden(t, "trail-not-logging", out)

	code, out, stderr = runSafetyCmd(t, "plan", "--profile", "ops")
	require.Equal(t, exitFindings, code, out+stderr)
	require.Contains(t, out, "run "+want+" and re-run plan")

	runAWSAsPrinted(t, want, os.Getenv("AWS_ENDPOINT_URL"))
	require.Contains(t, srv.Requests()[len(srv.Requests())-1].Action, "StartLogging")
	code, out, stderr = runCheckCmd(t, "--profile", "ops")
	require.NotContains(t, out, "TRAIL_NOT_LOGGING", "the command did what the hint said: %s%s", out, stderr)
	require.NotEqual(t, exitUsage, code)
}

// NO_MULTI_REGION_TRAIL: create-trail with the arguments it requires, the
// bucket's condition, start-logging after it, and the existing trail's
// name for making it multi-region; each runs as printed once the reader
// has chosen NAME and BUCKET.
func TestRemediationCreateTrailRunsAsPrinted(t *testing.T) {
	startSandbox(t, "no-multi-region-trail")
	remediationProfile(t)

	code, out, stderr := runCheckCmd(t, "--profile", "ops")
	require.Equal(t, exitFindings, code, out+stderr)
	m := remediationLine.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	hint := m[1]
	remediationGolden(t, "no-multi-region-trail", out)
	create := "aws cloudtrail create-trail --name NAME --s3-bucket-name BUCKET --is-multi-region-trail --region us-east-1 --profile ops"
	start := "aws cloudtrail start-logging --name NAME --region us-east-1 --profile ops"
	require.Contains(t, hint, create+", then "+start)
	require.Contains(t, hint, "BUCKET must already exist, with the bucket policy CloudTrail requires")
	require.Contains(t, hint, "aws cloudtrail update-trail --name management-events --is-multi-region-trail --region us-east-1 --profile ops")

	code, out, stderr = runSafetyCmd(t, "plan", "--profile", "ops")
	require.Equal(t, exitFindings, code, out+stderr)
	require.Contains(t, out, create+", then "+start)

	chosen := strings.NewReplacer("NAME", "all-regions", "BUCKET", "audit-logs")
	runAWSAsPrinted(t, chosen.Replace(create), os.Getenv("AWS_ENDPOINT_URL"))
	runAWSAsPrinted(t, chosen.Replace(start), os.Getenv("AWS_ENDPOINT_URL"))
	_, out, stderr = runCheckCmd(t, "--profile", "ops")
	require.NotContains(t, out, "NO_MULTI_REGION_TRAIL", "a logging multi-region trail now exists: %s%s", out, stderr)
}

// Hints about trailwatch's own commands carry the profile and region too,
// quoted for a shell when the profile name needs it.
func TestRemediationTrailwatchCommandsCarryProfile(t *testing.T) {
	startSandbox(t, "no-alarm-topic")
	require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile ops team]\nregion = "+sandbox.DefaultRegion+
		"\naws_access_key_id = "+sandbox.DefaultAccessKey+"\naws_secret_access_key = sandbox\n"), 0o600))
	code, out, stderr := runCheckCmd(t, "--profile", "ops team")
	require.Equal(t, exitFindings, code, out+stderr)
	require.Contains(t, out, "(trailwatch fix --region us-east-1 --profile 'ops team' --notify PROTOCOL:ENDPOINT)")
}
