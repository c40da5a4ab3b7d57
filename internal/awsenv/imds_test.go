package awsenv

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// withoutCredentials leaves the SDK nothing but the instance metadata
// endpoint at url: no keys, no shared files, no container or web
// identity credentials.
func withoutCredentials(t *testing.T, url string) {
	isolate(t, "", "")
	for _, k := range []string{"AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_V1_DISABLED"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url)
}

// silentIMDS accepts connections on loopback and never answers, as the
// metadata address does where no instance is behind it.
func silentIMDS(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go io.Copy(io.Discard, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// captureStderr runs f with os.Stderr a pipe and returns what was written.
func captureStderr(t *testing.T, f func()) string {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	saved := os.Stderr
	os.Stderr = w
	done := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); done <- b }()
	defer func() { os.Stderr = saved }()
	f()
	os.Stderr = saved
	w.Close()
	return string(<-done)
}

// apiServer stands in for the AWS API and counts what reaches it: a call
// without credentials must not.
func apiServer(t *testing.T) (string, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

// Where the metadata endpoint never answers, a call that has no other
// credentials fails within a few seconds (the SDK's defaults took about
// eight), reaches no API, and writes nothing to stderr.
func TestNoCredentialsWithSilentIMDS(t *testing.T) {
	withoutCredentials(t, silentIMDS(t))
	api, reached := apiServer(t)
	var err error
	var took time.Duration
	out := captureStderr(t, func() {
		cfg, lerr := Load(context.Background(), "", "us-east-1", Overrides{EndpointURL: api})
		require.NoError(t, lerr)
		start := time.Now()
		_, err = NewClients(cfg).STS("us-east-1").GetCallerIdentity(context.Background(), nil)
		took = time.Since(start)
	})
	require.Error(t, err)
	require.Contains(t, err.Error(), "EC2 IMDS")
	// A generous bound: the design is about two seconds; the SDK's
	// defaults take four times that.
	require.Less(t, took, 3500*time.Millisecond, "no-credentials answer took %v", took)
	require.Zero(t, reached.Load(), "no request without credentials")
	require.Empty(t, out)
}

// A metadata endpoint that refuses the IMDSv2 token (as proxies and some
// networks do) makes the SDK log "falling back to IMDSv1"; the line must
// not reach stderr, and the answer is still "no credentials".
func TestNoSDKLogLines(t *testing.T) {
	var tokenAsked atomic.Bool
	imdsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			tokenAsked.Store(true)
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(imdsSrv.Close)
	withoutCredentials(t, imdsSrv.URL)
	api, reached := apiServer(t)
	var err error
	out := captureStderr(t, func() {
		cfg, lerr := Load(context.Background(), "", "us-east-1", Overrides{EndpointURL: api})
		require.NoError(t, lerr)
		_, err = NewClients(cfg).STS("us-east-1").GetCallerIdentity(context.Background(), nil)
	})
	require.Error(t, err)
	require.True(t, tokenAsked.Load(), "the fake endpoint was asked for a token")
	require.Zero(t, reached.Load())
	require.Empty(t, out)
}
