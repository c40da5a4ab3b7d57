package awsenv

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Loader loads many profiles of one run. The SDK reads and parses the whole
// shared config and credentials files for every profile it loads, so a run
// over N profiles would cost N² in time and keep N copies; a Loader reads
// both files once and hands the SDK, per profile, only the sections that
// profile uses. It also reads a CA bundle once and shares one HTTP client
// (one connection pool) among all profiles that use the same bundle.
type Loader struct {
	o      Overrides
	getenv func(string) string
	files  *sharedFiles // nil when Isolated
	// pipes: each profile's sections reach the SDK through a pipe; else
	// (no /dev/fd) the SDK reads the whole files itself.
	pipes bool

	mu      sync.Mutex
	clients map[string]*awshttp.BuildableClient // by CA bundle path ("" none)
	bundles map[string][]byte                   // by path: its first certificate (see Load)
}

// NewLoader reads the shared files named by AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE (else ~/.aws/config and ~/.aws/credentials).
func NewLoader(o Overrides, getenv func(string) string) (*Loader, error) {
	l := &Loader{o: o, getenv: getenv, clients: map[string]*awshttp.BuildableClient{}, bundles: map[string][]byte{}}
	if o.Isolated {
		return l, nil
	}
	var err error
	if l.files, err = readSharedFiles(SharedFiles(getenv)); err != nil {
		return nil, err
	}
	l.pipes = pipesAsFiles()
	return l, nil
}

// Profiles are the profiles the shared files define, as Profiles lists
// them, from the one reading of the files (none when Isolated).
func (l *Loader) Profiles() []string { return l.files.profiles() }

// Load is the package's Load for one profile of the run.
func (l *Loader) Load(ctx context.Context, profile, region string) (aws.Config, error) {
	if l.o.Isolated {
		return isolated(profile, region, l.o)
	}
	var extra []func(*config.LoadOptions) error
	if l.pipes && profile != "" {
		cfgText, credsText := l.files.minimal(profile)
		cfgPath, closeCfg, err := pipeFile(cfgText)
		if err != nil {
			return aws.Config{}, err
		}
		defer closeCfg()
		credsPath, closeCreds, err := pipeFile(credsText)
		if err != nil {
			return aws.Config{}, err
		}
		defer closeCreds()
		extra = append(extra, config.WithSharedConfigFiles([]string{cfgPath}), config.WithSharedCredentialsFiles([]string{credsPath}))
	}
	bundle := l.getenv("AWS_CA_BUNDLE")
	if bundle == "" && l.files != nil && profile != "" {
		bundle = l.files.value(profile, "ca_bundle")
	}
	var shared *awshttp.BuildableClient
	if l.o.HTTPClient == nil {
		var err error
		if shared, err = l.httpClient(bundle); err != nil {
			return aws.Config{}, err
		}
		extra = append(extra, config.WithHTTPClient(shared))
		if bundle != "" {
			// The SDK parses a CA bundle into every profile's client, which
			// for a corporate bundle of a hundred certificates costs
			// milliseconds a profile. The shared client trusts the whole
			// bundle already; the SDK is handed one certificate of it, which
			// it adds to a copy of that client whose pool (shared, as
			// tls.Config.Clone shares it) holds it already: nothing changes,
			// and every client built during the load (SSO, STS) trusts the
			// full bundle.
			extra = append(extra, config.WithCustomCABundle(bytes.NewReader(l.bundles[bundle])))
		}
	}
	cfg, err := load(ctx, profile, region, l.o, extra...)
	if err != nil {
		return aws.Config{}, err
	}
	if bundle != "" && shared != nil {
		// The SDK copied the client to add the bundle: use the one shared
		// client, which already trusts it, so the run keeps one pool.
		cfg.HTTPClient = shared
	}
	return cfg, nil
}

// httpClient is the shared client trusting bundle (a path; "" for the
// system roots), built once.
func (l *Loader) httpClient(bundle string) (*awshttp.BuildableClient, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.clients[bundle]; ok {
		return c, nil
	}
	// Every account of a service and region talks to the same endpoint: keep
	// a connection per account at work instead of the SDK's 10 per host,
	// which would dial anew for most requests of a wide --parallel.
	c := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 0, maxIdlePerHost
	})
	if bundle != "" {
		all, err := os.ReadFile(expandHome(bundle))
		if err != nil {
			return nil, fmt.Errorf("read CA bundle: %w", err)
		}
		var appendErr error
		c = c.WithTransportOptions(func(t *http.Transport) {
			appendErr = trustPEM(t, all)
		})
		if appendErr != nil {
			return nil, fmt.Errorf("load CA bundle %s: %w", bundle, appendErr)
		}
		first, err := firstCertificate(all)
		if err != nil {
			return nil, fmt.Errorf("load CA bundle %s: %w", bundle, err)
		}
		l.bundles[bundle] = first
	}
	l.clients[bundle] = c
	return c, nil
}

// maxIdlePerHost is the most connections kept open to one endpoint: the
// widest --parallel.
const maxIdlePerHost = 512

// trustPEM makes the transport trust the bundle's certificates, as the
// SDK's own handling of a CA bundle does (they replace the system roots).
func trustPEM(t *http.Transport, certs []byte) error {
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	if t.TLSClientConfig.RootCAs == nil {
		t.TLSClientConfig.RootCAs = x509.NewCertPool()
	}
	if !t.TLSClientConfig.RootCAs.AppendCertsFromPEM(certs) {
		return errors.New("no certificate in it")
	}
	return nil
}

// firstCertificate is the PEM of the bundle's first certificate.
func firstCertificate(bundle []byte) ([]byte, error) {
	for rest := bundle; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return nil, errors.New("no certificate in it")
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) > 0 {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err == nil {
			return pem.EncodeToMemory(block), nil
		}
	}
}

func expandHome(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return path
}

// pipesAsFiles reports whether a pipe can be opened by path (/dev/fd/N), which
// is how a profile's sections reach the SDK without being written to disk.
func pipesAsFiles() bool {
	if runtime.GOOS == "windows" {
		return false
	}
	_, err := os.Stat("/dev/fd")
	return err == nil
}

// pipeFile serves text on a pipe the SDK opens by path; close must be
// called once the SDK has read it (or given up). Credentials thus never
// touch the disk a second time.
func pipeFile(text []byte) (string, func(), error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, fmt.Errorf("pass shared configuration to the SDK: %w", err)
	}
	go func() {
		_, _ = w.Write(text)
		w.Close()
	}()
	// Closing the read end also unblocks the writer if the SDK never opened it.
	return fmt.Sprintf("/dev/fd/%d", r.Fd()), func() { r.Close() }, nil
}

// sharedFiles are both files split into sections, each kept verbatim.
type sharedFiles struct {
	config map[string][]section // by section name: "profile x", "default", "sso-session x"
	creds  map[string][]section // by profile name
}

type section struct {
	lines []string // the header and every line under it, as written
	keys  map[string]string
}

func readSharedFiles(configFile, credsFile string) (*sharedFiles, error) {
	f := &sharedFiles{}
	var err error
	if f.config, err = readSections(configFile); err != nil {
		return nil, err
	}
	if f.creds, err = readSections(credsFile); err != nil {
		return nil, err
	}
	return f, nil
}

// readSections splits an INI file into sections. It does not judge them:
// the SDK still parses what it is handed, with its own rules and errors.
func readSections(path string) (map[string][]section, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return map[string][]section{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read AWS shared file: %w", err)
	}
	out := map[string][]section{}
	var cur *section
	var name string
	flush := func() {
		if cur != nil {
			out[name] = append(out[name], *cur)
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), len(b)+1)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") && strings.Contains(trimmed, "]") {
			flush()
			name = strings.Join(strings.Fields(trimmed[1:strings.Index(trimmed, "]")]), " ")
			cur = &section{keys: map[string]string{}}
		}
		if cur == nil {
			continue // before the first section: the SDK ignores it too
		}
		cur.lines = append(cur.lines, line)
		// Top-level "key = value" only; indented lines are sub-properties.
		if k, v, ok := strings.Cut(line, "="); ok && line == strings.TrimLeft(line, " \t") {
			cur.keys[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read AWS shared file %s: %w", path, err)
	}
	flush()
	return out, nil
}

// profiles are the names of the profiles both files define, sorted and
// without duplicates. In the config file only `[default]` and
// `[profile x]` are profiles (not `[sso-session x]` or `[services x]`);
// in the credentials file every section is.
func (f *sharedFiles) profiles() []string {
	if f == nil {
		return nil
	}
	seen := map[string]bool{}
	for name := range f.config {
		if p, ok := strings.CutPrefix(name, "profile "); ok {
			seen[p] = true
		} else if name == "default" {
			seen[name] = true
		}
	}
	for name := range f.creds {
		seen[name] = true
	}
	delete(seen, "")
	return slices.Sorted(maps.Keys(seen))
}

// value is key's value in profile's config sections ("" when unset).
func (f *sharedFiles) value(profile, key string) string {
	v := ""
	for _, name := range sectionNames(profile) {
		for _, s := range f.config[name] {
			if x, ok := s.keys[key]; ok {
				v = x
			}
		}
	}
	return v
}

// sectionNames are the config file's sections of profile: the default
// profile may be written `[default]` or `[profile default]`.
func sectionNames(profile string) []string {
	if profile == "default" {
		return []string{"default", "profile default"}
	}
	return []string{"profile " + profile}
}

// minimal is what the SDK needs of both files to load profile: its own
// sections, those of its source_profile chain, and the sso-session and
// services sections they name.
func (f *sharedFiles) minimal(profile string) (configText, credsText []byte) {
	var cfg, creds bytes.Buffer
	seen := map[string]bool{}
	for queue := []string{profile}; len(queue) > 0; queue = queue[1:] {
		p := queue[0]
		if seen[p] {
			continue
		}
		seen[p] = true
		var own []section
		for _, name := range sectionNames(p) {
			own = append(own, f.config[name]...)
		}
		for _, s := range own {
			writeSection(&cfg, s)
			for key, prefix := range map[string]string{"sso_session": "sso-session ", "services": "services "} {
				if v := s.keys[key]; v != "" && !seen[prefix+v] {
					seen[prefix+v] = true
					for _, ref := range f.config[prefix+v] {
						writeSection(&cfg, ref)
					}
				}
			}
		}
		for _, s := range f.creds[p] {
			writeSection(&creds, s)
			own = append(own, s)
		}
		for _, s := range own {
			if src := s.keys["source_profile"]; src != "" {
				queue = append(queue, src)
			}
		}
	}
	return cfg.Bytes(), creds.Bytes()
}

func writeSection(w io.Writer, s section) {
	for _, line := range s.lines {
		fmt.Fprintln(w, line)
	}
}
