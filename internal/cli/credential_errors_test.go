package cli

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/sandbox"
)

const ssoStartURL = "https://example.awsapps.com/start"

// ssoProfiles writes a legacy SSO profile ("sso") and an sso-session one
// ("sso-session") to the shared config file of startSandbox.
func ssoProfiles(t *testing.T) {
	t.Helper()
	config := "[profile sso]\nsso_start_url = " + ssoStartURL + "\nsso_region = us-east-1\nsso_account_id = 111111111111\nsso_role_name = Audit\nregion = us-east-1\n" +
		"[profile sso-session]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Audit\nregion = us-east-1\n" +
		"[sso-session corp]\nsso_start_url = " + ssoStartURL + "\nsso_region = us-east-1\n"
	require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(config), 0o600))
}

// ssoCache writes an expired cached token for key (the start URL for a
// legacy profile, the session name for an sso-session one) under HOME.
func ssoCache(t *testing.T, key string) {
	t.Helper()
	sum := sha1.Sum([]byte(key))
	dir := filepath.Join(os.Getenv("HOME"), ".aws", "sso", "cache")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	token := `{"accessToken":"old","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"` + ssoStartURL + `"}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:])+".json"), []byte(token), 0o600))
}

// Each way credentials or the connection fail is told in one line with its
// own remediation, in text, and with its error_code in JSON; only a missing
// permission is told to grant one.
func TestCredentialAndConnectionErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, srv *sandbox.Server)
		args    []string
		code    string
		message []string
		fix     string
	}{
		{"sso token missing", func(t *testing.T, _ *sandbox.Server) { ssoProfiles(t) }, []string{"--profile", "sso"},
			"SSO_TOKEN_MISSING", []string{"profile sso signs in with IAM Identity Center (SSO) and has no cached login"}, "run `aws sso login --profile sso`"},
		{"sso token expired", func(t *testing.T, _ *sandbox.Server) { ssoProfiles(t); ssoCache(t, ssoStartURL) }, []string{"--profile", "sso"},
			"SSO_TOKEN_EXPIRED", []string{"the IAM Identity Center (SSO) login of profile sso has expired"}, "run `aws sso login --profile sso`"},
		{"sso-session token missing", func(t *testing.T, _ *sandbox.Server) { ssoProfiles(t) }, []string{"--profile", "sso-session"},
			"SSO_TOKEN_MISSING", []string{"profile sso-session signs in with IAM Identity Center"}, "run `aws sso login --profile sso-session`"},
		{"sso-session token expired", func(t *testing.T, _ *sandbox.Server) { ssoProfiles(t); ssoCache(t, "corp") }, []string{"--profile", "sso-session"},
			"SSO_TOKEN_EXPIRED", []string{"login of profile sso-session has expired"}, "run `aws sso login --profile sso-session`"},
		{"configuration that cannot load", func(t *testing.T, _ *sandbox.Server) {
			require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile broken]\nrole_arn = arn:aws:iam::111111111111:role/x\nsource_profile = gone\n"), 0o600))
		}, []string{"--profile", "broken"}, "CONFIG_INVALID", []string{"load AWS configuration (broken)"}, "fix the profile"},
		{"no credentials", func(t *testing.T, _ *sandbox.Server) {
			t.Setenv("AWS_ACCESS_KEY_ID", "")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		}, nil, "NO_CREDENTIALS", []string{"no AWS credentials found for the default credential chain"}, "pass --profile NAME"},
		{"invalid keys", func(t *testing.T, _ *sandbox.Server) { t.Setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWN000000000") }, nil,
			"INVALID_CREDENTIALS", []string{"AWS refused the credentials of the default credential chain (InvalidClientTokenId on sts:GetCallerIdentity)"},
			"check the access key and secret"},
		{"expired keys", func(t *testing.T, srv *sandbox.Server) {
			const key = "ASIASANDBOX999999999"
			dump := safetyDump(t, srv)
			dump["accessKeys"].(map[string]any)[key] = safetyAccount
			sessions, _ := dump["sessions"].(map[string]any)
			if sessions == nil {
				sessions = map[string]any{}
				dump["sessions"] = sessions
			}
			sessions[key] = map[string]any{"roleArn": "arn:aws:iam::" + safetyAccount + ":role/Audit", "roleId": "AROASANDBOX", "sessionName": "ci", "expires": "2020-01-01T00:00:00Z"}
			b, err := json.Marshal(dump)
			require.NoError(t, err)
			require.NoError(t, srv.LoadState(b))
			t.Setenv("AWS_ACCESS_KEY_ID", key)
			t.Setenv("AWS_SESSION_TOKEN", "sandbox-session-"+key)
		}, nil, "EXPIRED_CREDENTIALS", []string{"the credentials of the default credential chain have expired (ExpiredToken on sts:GetCallerIdentity)"},
			"get fresh credentials"},
		{"endpoint unreachable", func(t *testing.T, _ *sandbox.Server) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			addr := l.Addr().String()
			require.NoError(t, l.Close())
			t.Setenv("AWS_ENDPOINT_URL", "http://"+addr)
		}, nil, "ENDPOINT_UNREACHABLE", []string{"could not reach http://127.0.0.1:", "connection refused"}, "check the endpoint (AWS_ENDPOINT_URL"},
		{"access denied", func(t *testing.T, srv *sandbox.Server) {
			srv.SetFaults(sandbox.Faults{AccessDenied: []sandbox.DeniedOperation{{Operation: "cloudtrail:DescribeTrails"}}})
		}, nil, "ACCESS_DENIED", []string{"missing permission cloudtrail:DescribeTrails"}, "grant cloudtrail:DescribeTrails"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSandbox(t, "compliant")
			t.Setenv("HOME", t.TempDir())
			tc.setup(t, srv)

			code, out, stderr := runCheckCmd(t, tc.args...)
			require.Equal(t, exitFailed, code, out+stderr)
			for _, m := range tc.message {
				require.Contains(t, out, m)
			}
			require.Contains(t, out, "remediation: "+tc.fix)
			if tc.code != "ACCESS_DENIED" {
				require.NotContains(t, out, "grant", "only a missing permission is told to grant one")
			}
			require.NotContains(t, out, "operation error", "no SDK trail")

			code, rep := checkJSON(t, tc.args...)
			require.Equal(t, exitFailed, code)
			require.Len(t, rep.Results, 1)
			r := rep.Results[0]
			require.Equal(t, "ERROR", string(r.Status))
			require.Equal(t, tc.code, r.ErrorCode)
			require.True(t, strings.HasPrefix(r.Remediation, tc.fix), r.Remediation)
			require.NotContains(t, r.Message, "\n", "one line")
		})
	}
}

// plan and fix --dry-run pass check's remediation on for an account they
// cannot read, rather than a generic one.
func TestPlanTellsTheRemediationOfAnError(t *testing.T) {
	startSandbox(t, "compliant")
	t.Setenv("HOME", t.TempDir())
	ssoProfiles(t)
	for _, args := range [][]string{{"plan"}, {"fix", "--dry-run"}} {
		code, out, stderr := runSafetyCmd(t, append(args, "--profile", "sso")...)
		require.Equal(t, exitFailed, code, out+stderr)
		require.Contains(t, out, "check could not evaluate this account (profile sso signs in with IAM Identity Center (SSO) and has no cached login): run `aws sso login --profile sso`")
		require.NotContains(t, out, "grant")
	}
	code, out, stderr := runSafetyCmd(t, "plan", "--profile", "sso", "--output", "json")
	require.Equal(t, exitFailed, code, stderr)
	var p struct {
		Accounts []struct {
			Status    string `json:"status"`
			ErrorCode string `json:"error_code"`
		} `json:"accounts"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &p))
	require.Len(t, p.Accounts, 1)
	require.Equal(t, "ERROR", string(p.Accounts[0].Status))
	require.Equal(t, "SSO_TOKEN_MISSING", p.Accounts[0].ErrorCode)
}
