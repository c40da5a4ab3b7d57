package awsenv

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/stretchr/testify/require"
)

// isolate points the SDK at temp shared files and away from IMDS and the
// caller's environment.
func isolate(t *testing.T, config, creds string) map[string]string {
	dir := t.TempDir()
	env := map[string]string{
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	}
	require.NoError(t, os.WriteFile(env["AWS_CONFIG_FILE"], []byte(config), 0o600))
	require.NoError(t, os.WriteFile(env["AWS_SHARED_CREDENTIALS_FILE"], []byte(creds), 0o600))
	for k, v := range env {
		t.Setenv(k, v)
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return env
}

func TestProfiles(t *testing.T) {
	env := isolate(t,
		"[default]\nregion = eu-west-1\n[profile prod]\nregion = us-west-2\n[sso-session corp]\nsso_region = us-east-1\n[services local]\n[profile  spaced ]\n",
		"[default]\naws_access_key_id = A\n[ci]\naws_access_key_id = B\n[prod]\n")
	got, err := Profiles(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, []string{"ci", "default", "prod", "spaced"}, got)
}

func TestProfilesMissingFiles(t *testing.T) {
	dir := t.TempDir()
	got, err := Profiles(func(k string) string { return filepath.Join(dir, k) })
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestLoadRegionRule(t *testing.T) {
	isolate(t, "[profile eu]\nregion = eu-west-1\n[profile bare]\n",
		"[eu]\naws_access_key_id = A\naws_secret_access_key = S\n[bare]\naws_access_key_id = A\naws_secret_access_key = S\n")
	for _, tc := range []struct{ profile, region, want string }{
		{"eu", "", "eu-west-1"},
		{"bare", "", DefaultRegion},
		{"eu", "ap-south-1", "ap-south-1"},
	} {
		cfg, err := Load(context.Background(), tc.profile, tc.region, Overrides{})
		require.NoError(t, err)
		require.Equal(t, tc.want, cfg.Region, tc)
		require.Equal(t, DefaultRetryPolicy.MaxAttempts, cfg.Retryer().MaxAttempts(), "the fleet retry policy")
	}
	_, err := Load(context.Background(), "missing", "", Overrides{})
	require.ErrorContains(t, err, "missing")
}

// Overrides beat the chain, so a sandbox can be reached without env vars.
func TestLoadOverrides(t *testing.T) {
	isolate(t, "", "")
	cfg, err := Load(context.Background(), "", "", Overrides{
		EndpointURL: "http://127.0.0.1:1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAOVERRIDE", "s", ""),
	})
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:1", aws.ToString(cfg.BaseEndpoint))
	creds, err := cfg.Credentials.Retrieve(context.Background())
	require.NoError(t, err)
	require.Equal(t, "AKIAOVERRIDE", creds.AccessKeyID)
	c := NewClients(cfg)
	require.Same(t, c.CloudTrail("eu-west-1"), c.CloudTrail("eu-west-1"), "clients are cached per region")
	require.NotSame(t, c.CloudTrail("eu-west-1"), c.CloudTrail("us-east-1"))
}

// Overrides.Region stands in for the profile's region; --region still wins.
func TestLoadOverrideRegion(t *testing.T) {
	isolate(t, "[profile eu]\nregion = eu-west-1\n", "[eu]\naws_access_key_id = A\naws_secret_access_key = S\n")
	cfg, err := Load(context.Background(), "eu", "", Overrides{Region: "ap-south-1"})
	require.NoError(t, err)
	require.Equal(t, "ap-south-1", cfg.Region)
	cfg, err = Load(context.Background(), "eu", "ca-central-1", Overrides{Region: "ap-south-1"})
	require.NoError(t, err)
	require.Equal(t, "ca-central-1", cfg.Region)
}

// An isolated configuration reaches its endpoint with its credentials and
// region whatever the environment and shared files say, where the standard
// chain would fail on the same environment or send requests elsewhere.
func TestLoadIsolatedIgnoresEnvironment(t *testing.T) {
	var mu sync.Mutex
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write([]byte(`{"trailList":[]}`))
	}))
	defer srv.Close()

	isolate(t, "[default]\nregion = eu-west-3\nendpoint_url = http://127.0.0.1:1\ncredential_process = /bin/false\n",
		"[default]\naws_access_key_id = AKIAFROMFILE\naws_secret_access_key = S\n")
	for k, v := range map[string]string{
		"AWS_PROFILE":                 "nonexistent",
		"AWS_ACCESS_KEY_ID":           "AKIABOGUS",
		"AWS_SECRET_ACCESS_KEY":       "bogus",
		"AWS_REGION":                  "eu-west-3",
		"AWS_ENDPOINT_URL":            "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_CLOUDTRAIL": "http://127.0.0.1:1",
		"AWS_USE_FIPS_ENDPOINT":       "true",
		"AWS_CA_BUNDLE":               "/nonexistent/ca.pem",
	} {
		t.Setenv(k, v)
	}
	o := Overrides{
		EndpointURL: srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAOVERRIDE", "s", ""),
		Region:      "us-west-2",
		Isolated:    true,
	}
	_, err := Load(context.Background(), "", "", Overrides{EndpointURL: o.EndpointURL, Credentials: o.Credentials})
	require.Error(t, err, "the standard chain reads AWS_PROFILE, so this environment is a real test of isolation")

	cfg, err := Load(context.Background(), "", "", o)
	require.NoError(t, err)
	require.Equal(t, "us-west-2", cfg.Region)
	require.Equal(t, DefaultRetryPolicy.MaxAttempts, cfg.Retryer().MaxAttempts(), "the fleet retry policy")
	_, err = NewClients(cfg).CloudTrail("").DescribeTrails(context.Background(), &cloudtrail.DescribeTrailsInput{})
	require.NoError(t, err)
	require.Len(t, auths, 1)
	require.Contains(t, auths[0], "Credential=AKIAOVERRIDE/")
	require.Contains(t, auths[0], "/us-west-2/cloudtrail/")

	cfg, err = Load(context.Background(), "", "eu-north-1", o)
	require.NoError(t, err)
	require.Equal(t, "eu-north-1", cfg.Region, "--region wins in isolation too")
}

func TestLoadIsolatedRefusals(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIAOVERRIDE", "s", "")
	_, err := Load(context.Background(), "prod", "", Overrides{Isolated: true, EndpointURL: "http://127.0.0.1:1", Credentials: creds})
	require.ErrorContains(t, err, "prod")
	_, err = Load(context.Background(), "", "", Overrides{Isolated: true, Credentials: creds})
	require.ErrorContains(t, err, "endpoint and credentials", "without an endpoint it would reach AWS")
	_, err = Load(context.Background(), "", "", Overrides{Isolated: true, EndpointURL: "http://127.0.0.1:1"})
	require.ErrorContains(t, err, "endpoint and credentials")
}
