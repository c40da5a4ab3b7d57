package sandbox

// How to add an operation
//
// Each service file registers its handlers from init():
//
//	func init() {
//		register("cloudtrail", "DescribeTrails", describeTrails)
//	}
//
// Service names are the SigV4 signing names: "cloudtrail", "logs",
// "monitoring" (CloudWatch), "sns", "iam", "sts", "organizations". The action
// is the operation name as it appears on the wire (X-Amz-Target suffix, the
// rpc-v2-cbor path's last segment, or the Query "Action" parameter).
//
// A handler receives the decoded request as a *call (see api.go) and runs
// with the state locked. It returns the output structure as generic values
// (map[string]any, []any, stringMap, time.Time, int/int64, float64, bool,
// string; nil values are omitted) or an *apiError. The same handler serves
// every protocol that carries its service: the server decodes JSON 1.0/1.1,
// CBOR and Query into call.Input and encodes the output and errors the way
// the request's protocol does.
//
// Resources live in regionState (state.go): reach them with
// st.account(c.Account).region(c.Region).

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailwatch/trailwatch/control"
)

// registry maps service → action → handler; filled from init() only.
var registry = map[string]map[string]handlerFunc{}

// register adds the handler for one operation. Registering twice is a
// programming error and panics at start-up.
func register(service, action string, h handlerFunc) {
	if registry[service] == nil {
		registry[service] = map[string]handlerFunc{}
	}
	if _, dup := registry[service][action]; dup {
		panic(fmt.Sprintf("sandbox: %s.%s registered twice", service, action))
	}
	registry[service][action] = h
}

// Options configure a Server.
type Options struct {
	// Scenario names the scenario loaded at start ("" = the default account
	// only); Accounts sizes the fleet and org scenarios (0: their default).
	Scenario string
	Accounts int
	// Control is the control whose chains the scenario lays (the zero value
	// is control.Default()); tests pass a made-up one. Family are further
	// controls every compliant chain carries (see ScenarioParams).
	Control control.Control
	Family  []control.Control
	// Now is the clock (default time.Now); tests pin it.
	Now func() time.Time
}

// Server is the sandbox endpoint; it implements http.Handler.
type Server struct {
	now func() time.Time

	mu     sync.Mutex // guards everything below, and handlers run with it held
	st     *state
	faults Faults
	counts map[string]int // "service:Action" → requests
	log    []LogEntry
	rnd    func() float64

	// The pipeline (pipeline.go): its configuration, the world's
	// generation (timers set for an older one do nothing), alarms with an
	// evaluation scheduled, and the notifications delivered.
	pipe        PipelineConfig
	gen         uint64
	evalPending map[string]bool
	deliveries  []Delivery
}

// New returns a server with the named scenario loaded.
func New(opts Options) (*Server, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{now: now, counts: map[string]int{}, rnd: mathrand.Float64, pipe: DefaultPipeline, evalPending: map[string]bool{}}
	if err := s.LoadScenario(opts.Scenario, ScenarioParams{Accounts: opts.Accounts, Control: opts.Control, Family: opts.Family}); err != nil {
		return nil, err
	}
	return s, nil
}

// Running is a started server; Close stops it.
type Running struct {
	URL      string // e.g. http://127.0.0.1:4566
	server   *http.Server
	done     chan error
	inflight atomic.Int64
}

// Start serves s on addr (e.g. "127.0.0.1:0") in the background.
func (s *Server) Start(addr string) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	r := &Running{
		URL:  "http://" + ln.Addr().String(),
		done: make(chan error, 1),
	}
	r.server = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.inflight.Add(1)
		defer r.inflight.Add(-1)
		s.ServeHTTP(w, req)
	})}
	go func() { r.done <- r.server.Serve(ln) }()
	return r, nil
}

// Close stops the server, waiting (up to 5 s) for requests in flight. It
// does not wait for connections a client opened and never used, which
// http.Server.Shutdown would for 5 s.
func (r *Running) Close() error {
	var err error
	for deadline := time.Now().Add(5 * time.Second); r.inflight.Load() > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			err = errors.New("stop sandbox: requests still in flight after 5 s")
			break
		}
	}
	if cerr := r.server.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("stop sandbox: %w", cerr)
	}
	if serr := <-r.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = fmt.Errorf("stop sandbox: %w", serr)
	}
	return err
}

// protocol is one AWS wire protocol: how a request is decoded and how
// outputs and errors are encoded.
type protocol interface {
	decode(body []byte, r *http.Request) (map[string]any, error)
	writeOutput(w http.ResponseWriter, req *request, out map[string]any)
	writeError(w http.ResponseWriter, req *request, e *apiError)
}

// request is what routing learned about an API request.
type request struct {
	proto     protocol
	service   string
	action    string
	region    string
	accessKey string
	id        string // request ID
	start     time.Time
}

// targetPrefixes maps X-Amz-Target prefixes to services and their JSON version.
var targetPrefixes = map[string]struct {
	service string
	proto   protocol
}{
	"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101": {"cloudtrail", jsonProtocol{version: "1.1"}},
	"CloudTrail_20131101":           {"cloudtrail", jsonProtocol{version: "1.1"}},
	"Logs_20140328":                 {"logs", jsonProtocol{version: "1.1"}},
	"AWSOrganizationsV20161128":     {"organizations", jsonProtocol{version: "1.1"}},
	"GraniteServiceVersion20100801": {"monitoring", jsonProtocol{version: "1.0"}},
}

// cborServices maps rpc-v2-cbor service shape names to services.
var cborServices = map[string]string{
	"GraniteServiceVersion20100801": "monitoring",
}

// queryNamespaces are the XML namespaces of the Query services' responses.
var queryNamespaces = map[string]string{
	"sns":        "http://sns.amazonaws.com/doc/2010-03-31/",
	"iam":        "https://iam.amazonaws.com/doc/2010-05-08/",
	"sts":        "https://sts.amazonaws.com/doc/2011-06-15/",
	"monitoring": "http://monitoring.amazonaws.com/doc/2010-08-01/",
}

const maxBody = 10 << 20

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		s.serveControl(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	req := route(r)
	req.id, req.start = newRequestID(), s.now()
	if err != nil {
		req.proto.writeError(w, req, errorf(http.StatusBadRequest, "SerializationException", "cannot read request body: %v", err))
		return
	}
	// The answer is held back until the request is in the log: a client
	// holding its answer can count on finding the request there (a large
	// answer would otherwise reach it while the handler is still running).
	held := &heldResponse{header: w.Header()}
	status, account := s.serveAPI(held, r, req, body)
	s.record(req, account, status)
	held.sendTo(w)
}

// heldResponse keeps an answer until sendTo writes it out.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header         { return h.header }
func (h *heldResponse) Write(b []byte) (int, error) { return h.body.Write(b) }
func (h *heldResponse) WriteHeader(status int)      { h.status = status }

func (h *heldResponse) sendTo(w http.ResponseWriter) {
	if h.status != 0 {
		w.WriteHeader(h.status)
	}
	_, _ = w.Write(h.body.Bytes())
}

// route decides protocol, service and action from headers and path, as AWS
// front ends do; Query requests get their action when the body is decoded.
func route(r *http.Request) *request {
	req := &request{region: "us-east-1"}
	if scope, ok := parseCredentialScope(r.Header.Get("Authorization")); ok {
		req.accessKey, req.region, req.service = scope.accessKey, scope.region, scope.service
	}
	if r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor" {
		if m := cborPath.FindStringSubmatch(r.URL.Path); m != nil {
			req.proto, req.action = cborProtocol{}, m[2]
			if svc := cborServices[m[1]]; svc != "" {
				req.service = svc
			}
			return req
		}
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, action, _ := cutLast(target, ".")
		if t, ok := targetPrefixes[prefix]; ok {
			req.proto, req.service, req.action = t.proto, t.service, action
			return req
		}
		req.proto = jsonProtocol{version: "1.1"}
		return req
	}
	req.proto = queryProtocol{}
	if req.service == "ec2" {
		req.proto = ec2Protocol{}
	}
	return req
}

// formEncoded: the protocol is Query or EC2's variant of it (the action in
// the form, Query's error codes for authentication).
func formEncoded(p protocol) bool {
	switch p.(type) {
	case queryProtocol, ec2Protocol:
		return true
	}
	return false
}

var cborPath = regexp.MustCompile(`^/service/([^/]+)/operation/([^/]+)$`)

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

type credentialScope struct{ accessKey, region, service string }

// parseCredentialScope reads "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...".
// The signature itself is not checked: any secret key works.
func parseCredentialScope(auth string) (credentialScope, bool) {
	algo, rest, ok := strings.Cut(auth, " ")
	if !ok || algo != "AWS4-HMAC-SHA256" {
		return credentialScope{}, false
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if k != "Credential" {
			continue
		}
		f := strings.Split(v, "/")
		if len(f) != 5 || f[0] == "" || f[2] == "" || f[3] == "" || f[4] != "aws4_request" {
			return credentialScope{}, false
		}
		return credentialScope{accessKey: f[0], region: f[2], service: f[3]}, true
	}
	return credentialScope{}, false
}

// serveAPI authenticates, decodes, injects faults and dispatches one request;
// it returns the HTTP status written and the caller's account.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, req *request, body []byte) (int, string) {
	fail := func(e *apiError) (int, string) {
		req.proto.writeError(w, req, e)
		return e.Status, ""
	}
	input, err := req.proto.decode(body, r)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return fail(ae)
		}
		return fail(serializationError(req, err))
	}
	var version string
	if formEncoded(req.proto) {
		req.action, _ = input["Action"].(string)
		version, _ = input["Version"].(string)
		delete(input, "Action")
		delete(input, "Version")
	}
	if e := authError(r, req); e != nil {
		return fail(e)
	}

	s.mu.Lock()
	account, known := s.st.AccessKeys[req.accessKey]
	session := s.st.Sessions[req.accessKey]
	faults := s.faults
	s.mu.Unlock()
	if !known {
		return fail(invalidTokenError(req))
	}
	if session != nil && !s.now().Before(session.Expires) {
		return fail(expiredTokenError(req))
	}
	h := registry[req.service][req.action]
	if h == nil {
		// An operation AWS has but the sandbox does not emulate gets the
		// answer AWS gives an unknown one, saying which and why.
		if formEncoded(req.proto) {
			return fail(badRequest("InvalidAction", "The sandbox does not emulate %s (service %s, version %s); docs/sandbox.md lists the operations it serves", req.action, req.service, version))
		}
		return fail(badRequest("UnknownOperationException", "The sandbox does not emulate %s (service %s); docs/sandbox.md lists the operations it serves", req.action, req.service))
	}

	if faults.LatencyMS > 0 {
		time.Sleep(time.Duration(faults.LatencyMS) * time.Millisecond)
	}
	if e := s.injectFault(faults, req, account); e != nil {
		if e.RetryAfterMS > 0 {
			w.Header().Set("X-Amz-Retry-After", strconv.Itoa(e.RetryAfterMS))
		}
		req.proto.writeError(w, req, e)
		return e.Status, account
	}

	c := &call{Account: account, AccessKey: req.accessKey, Region: req.region, Service: req.service, Action: req.action, Input: input}
	s.mu.Lock()
	ev, recorded := newTrailEvent(s.st, c)
	recorded = recorded && s.pipe.Enabled
	var before []deliveryTarget
	if recorded {
		before = s.st.deliveryTargets(c, ev)
	}
	out, herr := h(s.st, c)
	if recorded && herr == nil {
		s.recordCall(r, req, c, ev, unionTargets(before, s.st.deliveryTargets(c, ev)), out)
	}
	s.mu.Unlock()
	if d := faults.responseDelay(req, account); d > 0 {
		time.Sleep(d)
	}
	if herr != nil {
		var ae *apiError
		if !errors.As(herr, &ae) {
			ae = errorf(http.StatusInternalServerError, "InternalFailure", "%v", herr)
		}
		req.proto.writeError(w, req, ae)
		return ae.Status, account
	}
	req.proto.writeOutput(w, req, out)
	return http.StatusOK, account
}

// authError reports a request AWS would refuse before reading it: no
// credentials at all, or an Authorization header without a credential scope.
func authError(r *http.Request, req *request) *apiError {
	auth := r.Header.Get("Authorization")
	isQuery := formEncoded(req.proto)
	switch {
	case auth == "" && isQuery:
		return errorf(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
	case auth == "":
		return errorf(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
	case req.accessKey == "" && isQuery:
		return errorf(http.StatusForbidden, "IncompleteSignature", "Authorization header requires 'Credential' parameter. Authorization=%s", auth)
	case req.accessKey == "":
		return errorf(http.StatusForbidden, "IncompleteSignatureException", "Authorization header requires 'Credential' parameter. Authorization=%s", auth)
	}
	return nil
}

// invalidTokenError is what AWS answers to an unknown access key.
func invalidTokenError(req *request) *apiError {
	if formEncoded(req.proto) {
		return errorf(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	return errorf(http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid.")
}

// expiredTokenError is what AWS answers to temporary credentials past their expiry.
func expiredTokenError(req *request) *apiError {
	if formEncoded(req.proto) {
		return errorf(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
	}
	return errorf(http.StatusBadRequest, "ExpiredTokenException", "The security token included in the request is expired")
}

func serializationError(req *request, err error) *apiError {
	if formEncoded(req.proto) {
		return badRequest("MalformedQueryString", "%v", err)
	}
	return badRequest("SerializationException", "%v", err)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
