package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/awscli"
)

// proxyTrap is an HTTP(S) proxy on loopback that serves nothing: a client
// pointed at it through HTTP_PROXY and HTTPS_PROXY shows here every request
// that would have left the machine.
type proxyTrap struct {
	ln   net.Listener
	mu   sync.Mutex
	seen []string
}

func newProxyTrap(t *testing.T) *proxyTrap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxyTrap{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			p.mu.Lock()
			p.seen = append(p.seen, strings.TrimSpace(line))
			p.mu.Unlock()
			c.Write([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			c.Close()
		}
	}()
	return p
}

func (p *proxyTrap) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// The banner's --endpoint-url forms, run as printed with Debian's AWS CLI
// (2.9, which ignores endpoint_url in a profile and AWS_ENDPOINT_URL),
// reach the sandbox and nothing else: every request that is not for
// loopback goes to a proxy that fails the test, and the sandbox's own count
// shows the calls. The profile alone, without --endpoint-url, is what the
// banner warns about: with CLI 2.9 it heads for AWS (the trap sees it).
func TestSandboxBannerEndpointFormsStayOnLoopback(t *testing.T) {
	bin, skip := awscli.FindV2()
	if skip != "" {
		t.Skip(skip)
	}
	version, err := exec.Command(bin, "--version").Output()
	require.NoError(t, err)

	stderr := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runApp(ctx, sandboxTestEnv(stderr), []string{"trailwatch", "sandbox", "--listen", "127.0.0.1:0"})
	}()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "Control endpoints") },
		5*time.Second, 10*time.Millisecond, "no banner: %s", stderr.String())
	banner := stderr.String()
	url := regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(banner)[1]

	// The profile block, exactly as printed, is the whole config file.
	block := regexp.MustCompile(`(?s)\n(  \[profile sandbox\]\n.*?)\n\n`).FindStringSubmatch(banner)
	require.NotNil(t, block, banner)
	home := t.TempDir()
	config := filepath.Join(home, "config")
	require.NoError(t, os.WriteFile(config, []byte(strings.ReplaceAll(block[1], "\n  ", "\n")[2:]+"\n"), 0o600))
	empty := filepath.Join(home, "credentials")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))

	trap := newProxyTrap(t)
	proxy := "http://" + trap.ln.Addr().String()
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "AWS_CONFIG_FILE=" + config, "AWS_SHARED_CREDENTIALS_FILE=" + empty,
		"HTTP_PROXY=" + proxy, "HTTPS_PROXY=" + proxy, "http_proxy=" + proxy, "https_proxy=" + proxy,
		"NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "AWS_CLI_AUTO_PROMPT=off"}
	run := func(env []string, line string) (string, error) {
		words := strings.Fields(strings.TrimSpace(line))
		require.Equal(t, "aws", words[0])
		cmd := exec.Command(bin, words[1:]...)
		cmd.Env = append(append([]string{}, base...), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	counts := func() int {
		resp, err := http.Get(url + "/_sandbox/counts")
		require.NoError(t, err)
		defer resp.Body.Close()
		var c map[string]int
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
		return c["sts:GetCallerIdentity"]
	}

	// The first form: exported variables and --endpoint-url.
	var exports []string
	for _, m := range regexp.MustCompile(`(?m)^  export (AWS_(?:ACCESS_KEY_ID|SECRET_ACCESS_KEY|REGION)=\S+)$`).FindAllStringSubmatch(banner, -1) {
		exports = append(exports, m[1])
	}
	require.Len(t, exports, 3, banner)
	envForm := regexp.MustCompile(`(?m)^  (aws --endpoint-url \S+ sts get-caller-identity)$`).FindStringSubmatch(banner)
	require.NotNil(t, envForm, banner)
	out, err := run(exports, envForm[1])
	require.NoError(t, err, out)
	require.Contains(t, out, `"Account": "111111111111"`)
	require.Empty(t, trap.requests(), "nothing may leave loopback")
	require.Equal(t, 1, counts(), "the sandbox answered the call")

	// The second form: the printed profile with --endpoint-url.
	profileForm := regexp.MustCompile(`(?m)^  (aws --profile sandbox --endpoint-url \S+ sts get-caller-identity)$`).FindStringSubmatch(banner)
	require.NotNil(t, profileForm, banner)
	out, err = run(nil, profileForm[1])
	require.NoError(t, err, out)
	require.Contains(t, out, `"Account": "111111111111"`)
	require.Empty(t, trap.requests(), "nothing may leave loopback")
	require.Equal(t, 2, counts())

	// What the banner warns about: the profile alone.
	out, err = run(nil, "aws --profile sandbox sts get-caller-identity")
	var major, minor int
	_, verr := fmt.Sscanf(string(version), "aws-cli/%d.%d.", &major, &minor)
	require.NoError(t, verr, string(version))
	if major == 2 && minor < 13 {
		require.Error(t, err, out)
		require.NotEmpty(t, trap.requests(), "%s ignores endpoint_url in a profile and heads for AWS", strings.TrimSpace(string(version)))
		require.Contains(t, trap.requests()[0], "amazonaws.com")
		t.Logf("%s with the profile alone: %q", strings.TrimSpace(string(version)), trap.requests())
		require.Equal(t, 2, counts(), "and never reaches the sandbox")
	} else {
		t.Logf("%s honours endpoint_url in a profile: %s", strings.TrimSpace(string(version)), out)
	}
}
