package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/sandbox"
)

// hostileAWSEnvironment sets everything the standard chain would follow
// towards a trap that counts requests: endpoints, a profile that does not
// exist, bogus keys, FIPS, a CA bundle that is not there, shared files with
// their own endpoint and credential process. The demo must ignore it all.
func hostileAWSEnvironment(t *testing.T) *atomic.Int64 {
	t.Helper()
	var hits atomic.Int64
	trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(trap.Close)
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(config, []byte("[default]\nregion = eu-west-3\nendpoint_url = "+trap.URL+"\ncredential_process = /bin/false\n"), 0o600))
	credentials := filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(credentials, []byte("[default]\naws_access_key_id = AKIAFROMFILE\naws_secret_access_key = x\n"), 0o600))
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            trap.URL,
		"AWS_ENDPOINT_URL_CLOUDTRAIL": trap.URL,
		"AWS_ENDPOINT_URL_STS":        trap.URL,
		"AWS_PROFILE":                 "nonexistent",
		"AWS_ACCESS_KEY_ID":           "AKIABOGUS",
		"AWS_SECRET_ACCESS_KEY":       "bogus",
		"AWS_REGION":                  "eu-west-3",
		"AWS_USE_FIPS_ENDPOINT":       "true",
		"AWS_CA_BUNDLE":               filepath.Join(dir, "missing-ca.pem"),
		"AWS_CONFIG_FILE":             config,
		"AWS_SHARED_CREDENTIALS_FILE": credentials,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	return &hits
}

func demoEnv() (*env, *bytes.Buffer, *bytes.Buffer) {
	return testEnv()
}

// The whole story runs against the in-process sandbox only, whatever the
// user's AWS settings say, and ends in PASS.
func TestDemo(t *testing.T) {
	hits := hostileAWSEnvironment(t)
	e, out, errOut := demoEnv()
	code := runApp(context.Background(), e, []string{"trailwatch", "demo"})
	stdout := out.String()
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, errOut.String())
	require.Zero(t, hits.Load(), "a request left the sandbox")

	for _, want := range []string{
		"── 1. Is the control met?",
		"$ trailwatch check\n",
		"FAIL NO_MATCHING_FILTER",
		"misses StopLogging",
		"$ trailwatch pattern '" + sandbox.DemoFilterPattern + "'\n",
		"verdict: does not catch every change: StopLogging",
		"$ trailwatch plan --notify email:security@example.com\n",
		"Plan: 4 to create",
	} {
		require.Contains(t, stdout, want)
	}
	fixAt := strings.Index(stdout, "── 4. Apply it")
	require.Positive(t, fixAt, stdout)
	rest := stdout[fixAt:]
	require.Contains(t, rest, "$ trailwatch fix --yes --notify email:security@example.com\n", "the journal is the demo's business, not the user's")
	require.Contains(t, rest, "the security team clicks the link")
	require.Contains(t, rest, "(the sandbox confirmed 1 pending subscription(s))")
	final := rest[strings.Index(rest, "── 5. Is the control met now?"):strings.Index(rest, "── 6.")]
	require.Contains(t, final, "111111111111  PASS")
	require.Contains(t, final, "1 account: 1 pass, 0 fail")
	drilled := rest[strings.Index(rest, "── 6. Does the alarm reach a person?"):]
	require.Contains(t, drilled, "$ trailwatch drill --yes\n")
	require.Contains(t, drilled, "control cloudtrail-changes: DELIVERED")
	require.Contains(t, drilled, "✓ subscribers SNS delivers to 1 confirmed subscriber: email security@example.com")
	require.Contains(t, drilled, "drill: 1 delivered, 0 not delivered")
}

// demoMasks are what changes from one demo run to the next: the drill's
// clock times, request IDs and the name of nothing it keeps.
var demoMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), "REQUEST-ID"},
	{regexp.MustCompile(`\b\d\d:\d\d:\d\d\b`), "HH:MM:SS"},
	{regexp.MustCompile(`minute from \d\d:\d\d`), "minute from HH:MM"},
}

func maskDemo(s string) string {
	for _, m := range demoMasks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// The demo's output is deterministic and kept as a golden file
// (go test -run TestDemoGolden -update). Only fix writes, and exactly its
// four planned changes: check, pattern and plan only read.
func TestDemoGolden(t *testing.T) {
	hits := hostileAWSEnvironment(t)
	srv, err := sandbox.New(sandbox.Options{Scenario: "demo"})
	require.NoError(t, err)
	e, out, errOut := demoEnv()
	require.NoError(t, runDemo(context.Background(), e, srv), errOut.String())
	require.Zero(t, hits.Load())
	writes := map[string]int{}
	for op, n := range srv.Counts() {
		action := op[strings.Index(op, ":")+1:]
		if !strings.HasPrefix(action, "Describe") && !strings.HasPrefix(action, "Get") && !strings.HasPrefix(action, "List") &&
			!strings.HasPrefix(action, "Filter") && !strings.HasPrefix(action, "Test") {
			writes[op] = n
		}
	}
	// The drill's trigger is the one write beyond fix's; its reads
	// (FilterLogEvents, GetMetricData, …) change nothing.
	require.Equal(t, map[string]int{"sns:CreateTopic": 1, "sns:Subscribe": 1, "logs:PutMetricFilter": 1, "monitoring:PutMetricAlarm": 1,
		"cloudtrail:StartLogging": 1}, writes)
	require.Len(t, srv.Deliveries(), 1, "the drill's alarm reached the security team")

	// The drill's times and request IDs differ from run to run: masked.
	got := maskDemo(out.String())
	require.NotEqual(t, out.String(), got, "the drill's timeline has times to mask")
	path := filepath.Join("testdata", "demo.golden")
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestDemoGolden -update to create it")
	require.Equal(t, string(want), got)
}

// A step that ends otherwise than the story says fails the demo with 3 and
// names the step.
func TestDemoStepGoingWrongExits3(t *testing.T) {
	hostileAWSEnvironment(t)
	srv, err := sandbox.New(sandbox.Options{Scenario: "demo"})
	require.NoError(t, err)
	srv.SetFaults(sandbox.Faults{AccessDenied: []sandbox.DeniedOperation{{Operation: "DescribeMetricFilters"}}})
	e, out, _ := demoEnv()
	err = runDemo(context.Background(), e, srv)
	require.Equal(t, exitFailed, exitCode(err))
	require.ErrorContains(t, err, "demo step 1 (trailwatch check) exited 3, expected 1")
	require.Contains(t, out.String(), "ERROR", "the step's own report is shown before the demo gives up")
	require.NotContains(t, out.String(), "── 2.")
}

func TestDemoTakesNoArguments(t *testing.T) {
	e, out, errOut := demoEnv()
	code := runApp(context.Background(), e, []string{"trailwatch", "demo", "now"})
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut.String(), "no arguments")
	require.Empty(t, out.String())
}

func TestShellJoin(t *testing.T) {
	require.Equal(t, "plan --notify email:security@example.com", shellJoin([]string{"plan", "--notify", "email:security@example.com"}))
	require.Equal(t, `pattern '{ $.eventName = StopLogging && $.x = "it'\''s" }'`, shellJoin([]string{"pattern", `{ $.eventName = StopLogging && $.x = "it's" }`}))
	require.Equal(t, "check ''", shellJoin([]string{"check", ""}))
}
