package awsenv

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/stretchr/testify/require"
)

const sharedConfig = `# a comment before any section
[default]
region = eu-west-1
[profile base]
region = us-west-2
[profile chained]
role_arn = arn:aws:iam::123456789012:role/Audit
source_profile = base
[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Audit
services = local
[sso-session corp]
sso_region = us-east-1
sso_start_url = https://example.awsapps.com/start
[services local]
cloudtrail =
  endpoint_url = http://127.0.0.1:9
[profile unrelated]
region = ap-south-1
`

const sharedCreds = `[base]
aws_access_key_id = AKIABASE
aws_secret_access_key = s
[unrelated]
aws_access_key_id = AKIAOTHER
aws_secret_access_key = s
[solo]
aws_access_key_id = AKIASOLO
aws_secret_access_key = s
`

// Each profile gets its own sections and those it names, never another's.
func TestMinimalSections(t *testing.T) {
	env := isolate(t, sharedConfig, sharedCreds)
	f, err := readSharedFiles(env["AWS_CONFIG_FILE"], env["AWS_SHARED_CREDENTIALS_FILE"])
	require.NoError(t, err)
	for profile, want := range map[string]struct{ config, creds string }{
		"chained": {"[profile chained]\nrole_arn = arn:aws:iam::123456789012:role/Audit\nsource_profile = base\n[profile base]\nregion = us-west-2\n",
			"[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n"},
		"sso":     {"[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Audit\nservices = local\n", ""},
		"solo":    {"", "[solo]\naws_access_key_id = AKIASOLO\naws_secret_access_key = s\n"},
		"default": {"[default]\nregion = eu-west-1\n", ""},
	} {
		cfg, creds := f.minimal(profile)
		if profile == "sso" {
			// Referenced sections follow in either order.
			require.Contains(t, string(cfg), want.config, profile)
			require.Contains(t, string(cfg), "[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://example.awsapps.com/start\n")
			require.Contains(t, string(cfg), "[services local]\ncloudtrail =\n  endpoint_url = http://127.0.0.1:9\n")
			require.NotContains(t, string(cfg), "unrelated")
			continue
		}
		require.Equal(t, want.config, string(cfg), profile)
		require.Equal(t, want.creds, string(creds), profile)
	}
}

// A profile loaded by a Loader resolves exactly as the SDK resolves it from
// the whole files.
func TestLoaderMatchesTheSDK(t *testing.T) {
	isolate(t, sharedConfig, sharedCreds)
	l, err := NewLoader(Overrides{}, os.Getenv)
	require.NoError(t, err)
	require.True(t, l.pipes, "this platform passes sections through pipes")
	listed, err := Profiles(os.Getenv)
	require.NoError(t, err)
	require.Equal(t, listed, l.Profiles(), "the loader's one reading lists the profiles Profiles does")
	require.Contains(t, l.Profiles(), "chained")
	for _, profile := range []string{"base", "chained", "unrelated", "solo", "default", "sso"} {
		want, err := load(context.Background(), profile, "", Overrides{})
		require.NoError(t, err, profile)
		got, err := l.Load(context.Background(), profile, "")
		require.NoError(t, err, profile)
		require.Equal(t, want.Region, got.Region, profile)
		require.Equal(t, want.BaseEndpoint, got.BaseEndpoint, profile)
		if profile == "base" || profile == "solo" || profile == "unrelated" {
			wc, err := want.Credentials.Retrieve(context.Background())
			require.NoError(t, err)
			gc, err := got.Credentials.Retrieve(context.Background())
			require.NoError(t, err)
			require.Equal(t, wc.AccessKeyID, gc.AccessKeyID, profile)
		}
	}
	_, err = l.Load(context.Background(), "missing", "")
	require.ErrorContains(t, err, "missing", "an unknown profile is still the SDK's error")
}

// The CA bundle is read once: after the first profile the file may go, and
// every profile shares one client that trusts it.
func TestLoaderReadsCABundleOnce(t *testing.T) {
	url, bundle := trailsOverTLS(t)
	isolate(t, sharedConfig, sharedCreds)
	t.Setenv("AWS_CA_BUNDLE", bundle)
	o := Overrides{EndpointURL: url, Credentials: credentials.NewStaticCredentialsProvider("AKIA", "s", "")}
	l, err := NewLoader(o, os.Getenv)
	require.NoError(t, err)
	first, err := l.Load(context.Background(), "base", "")
	require.NoError(t, err)
	require.NoError(t, os.Remove(bundle))
	second, err := l.Load(context.Background(), "unrelated", "")
	require.NoError(t, err, "the bundle is not read again")
	require.Same(t, first.HTTPClient, second.HTTPClient, "one client, one connection pool")
	for _, cfg := range []string{"base", "unrelated"} {
		c := first
		if cfg == "unrelated" {
			c = second
		}
		_, err = cloudtrail.NewFromConfig(c).DescribeTrails(context.Background(), &cloudtrail.DescribeTrailsInput{})
		require.NoError(t, err, "%s trusts the bundle", cfg)
	}

	_, err = Load(context.Background(), "base", "", o)
	require.ErrorContains(t, err, "CA bundle", "a fresh load reads the (now missing) bundle and says so")
}

// A profile's own ca_bundle is shared the same way, the default profile's
// (written [default]) included.
func TestLoaderSharesProfileCABundle(t *testing.T) {
	url, bundle := trailsOverTLS(t)
	isolate(t, "[default]\nca_bundle = "+bundle+"\n[profile other]\nca_bundle = "+bundle+"\n", "")
	t.Setenv("AWS_CA_BUNDLE", "") // it would win over the profiles'
	o := Overrides{EndpointURL: url, Credentials: credentials.NewStaticCredentialsProvider("AKIA", "s", "")}
	l, err := NewLoader(o, os.Getenv)
	require.NoError(t, err)
	var clients []aws.HTTPClient
	for _, profile := range []string{"default", "other"} {
		cfg, err := l.Load(context.Background(), profile, "")
		require.NoError(t, err, profile)
		_, err = cloudtrail.NewFromConfig(cfg).DescribeTrails(context.Background(), &cloudtrail.DescribeTrailsInput{})
		require.NoError(t, err, "%s trusts the bundle", profile)
		clients = append(clients, cfg.HTTPClient)
	}
	require.Same(t, clients[0], clients[1], "one client, one connection pool")
}

// Loads through pipes leave no descriptor or writer goroutine behind: not
// when the SDK reads a section larger than a pipe holds, not when the load
// fails.
func TestLoaderLeavesNoPipes(t *testing.T) {
	big := "[profile big]\nregion = us-west-2\n" + strings.Repeat("# padding past a pipe's buffer\n", 4096)
	isolate(t, sharedConfig+big+"[profile broken]\nrole_arn = arn:aws:iam::123456789012:role/Audit\nsource_profile = nowhere\n", sharedCreds)
	l, err := NewLoader(Overrides{}, os.Getenv)
	require.NoError(t, err)
	require.True(t, l.pipes)
	fds := func() int {
		entries, err := os.ReadDir("/dev/fd")
		require.NoError(t, err)
		return len(entries)
	}
	openBefore, goroutinesBefore := fds(), runtime.NumGoroutine()
	for range 50 {
		for _, profile := range []string{"base", "big", "chained"} {
			_, err := l.Load(context.Background(), profile, "")
			require.NoError(t, err, profile)
		}
		_, err := l.Load(context.Background(), "broken", "")
		require.Error(t, err)
	}
	// Polled here, not with require.Eventually, whose own goroutine counts.
	for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > goroutinesBefore && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), goroutinesBefore, "pipe writers left running")
	require.LessOrEqual(t, fds(), openBefore, "descriptors left open")
}

// trailsOverTLS serves an empty DescribeTrails answer over TLS and writes a
// CA bundle of the one certificate that trusts it.
func trailsOverTLS(t *testing.T) (url, bundle string) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write([]byte(`{"trailList":[]}`))
	}))
	t.Cleanup(srv.Close)
	bundle = filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	return srv.URL, bundle
}
