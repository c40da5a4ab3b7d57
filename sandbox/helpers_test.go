package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// testNow is the pinned clock of test sandboxes.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// startSandbox serves a sandbox with the scenario on 127.0.0.1 for the
// test's lifetime. It also points the SDK's shared config at empty temp
// files, so a developer's real AWS configuration is never read.
func startSandbox(t *testing.T, scenario string) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	for _, env := range []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		f := filepath.Join(dir, env)
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv(env, f)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return serveSandbox(t, scenario)
}

// serveSandbox is startSandbox without touching the environment, for tests
// that run in parallel and give their client its environment themselves
// (t.Setenv forbids t.Parallel).
func serveSandbox(t *testing.T, scenario string) (*Server, string) {
	t.Helper()
	s, err := New(Options{Scenario: scenario, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("new sandbox: %v", err)
	}
	r, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
	})
	return s, r.URL
}

// sdkConfig is an SDK configuration for the sandbox at url with the given
// access key (any secret works). Retries back off for a millisecond only,
// so tests of retried faults stay fast while still using the SDK's own
// retry decisions.
func sdkConfig(url, accessKey string) aws.Config {
	return aws.Config{
		Region:       DefaultRegion,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, "any-secret", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			})
		},
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// pendingToken is the confirmation token SNS would have mailed to endpoint;
// it reads the state under the server's lock, as handlers do.
func pendingToken(t *testing.T, s *Server, endpoint string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.st.account(DefaultAccount).region(DefaultRegion).Subscriptions {
		if sub.Endpoint == endpoint && sub.Pending {
			return sub.Token
		}
	}
	t.Fatalf("no pending subscription for %s", endpoint)
	return ""
}
