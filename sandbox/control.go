package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Faults are injected into API requests (never into /_sandbox/ requests).
type Faults struct {
	// LatencyMS delays every API request.
	LatencyMS int `json:"latencyMs,omitempty"`
	// ThrottleRate (0..1) answers that share of requests with the service's
	// throttling error (Throttling, ThrottlingException or
	// TooManyRequestsException), which the SDKs retry.
	ThrottleRate float64 `json:"throttleRate,omitempty"`
	// Throttle sets the throttle rate of chosen operations (and accounts);
	// the first that matches a request replaces ThrottleRate for it.
	Throttle []OperationRate `json:"throttle,omitempty"`
	// RetryAfterMS, when set, adds the x-amz-retry-after header (in
	// milliseconds) to every throttling answer.
	RetryAfterMS int `json:"retryAfterMs,omitempty"`
	// ErrorRate (0..1) answers that share of requests with a 500 InternalFailure.
	ErrorRate float64 `json:"errorRate,omitempty"`
	// AccessDenied refuses chosen operations with the service's access-denied error.
	AccessDenied []DeniedOperation `json:"accessDenied,omitempty"`
	// DelayResponses holds back the answer to chosen operations after the
	// operation has been applied, so a client can be interrupted between
	// AWS's change and its answer.
	DelayResponses []DelayedResponse `json:"delayResponses,omitempty"`
}

// OperationRate is the throttle rate of the requests it selects (see
// DeniedOperation for Operation and Account).
type OperationRate struct {
	Operation string  `json:"operation"`
	Account   string  `json:"account,omitempty"`
	Rate      float64 `json:"rate"`
}

// DelayedResponse delays the answer to the requests it selects by DelayMS,
// after they have been applied (see DeniedOperation for Operation and Account).
type DelayedResponse struct {
	Operation string `json:"operation"`
	Account   string `json:"account,omitempty"`
	DelayMS   int    `json:"delayMs"`
}

// DeniedOperation selects requests to refuse. Operation is "Action",
// "service:Action" (e.g. "sns:CreateTopic"; CloudWatch answers to its IAM
// prefix "cloudwatch" and its signing name "monitoring") or "*"; an empty
// Account means every account.
type DeniedOperation struct {
	Operation string `json:"operation"`
	Account   string `json:"account,omitempty"`
}

func (d DeniedOperation) matches(service, action, account string) bool {
	return selects(d.Operation, d.Account, service, action, account)
}

// selects is the one matching rule of every fault that names operations.
func selects(operation, onlyAccount, service, action, account string) bool {
	if onlyAccount != "" && onlyAccount != account {
		return false
	}
	return operation == "*" || operation == action || strings.EqualFold(operation, service+":"+action) ||
		strings.EqualFold(operation, iamPrefix(service)+":"+action)
}

// iamPrefix is the service's prefix in IAM actions, which for CloudWatch is
// not its signing name.
func iamPrefix(service string) string {
	if service == "monitoring" {
		return "cloudwatch"
	}
	return service
}

// LogEntry is one API request as the sandbox saw it: Start when it
// arrived, Time when it was answered.
type LogEntry struct {
	Start   time.Time `json:"start"`
	Time    time.Time `json:"time"`
	Service string    `json:"service"`
	Action  string    `json:"action"`
	Account string    `json:"account,omitempty"` // empty when authentication failed
	Region  string    `json:"region"`
	Status  int       `json:"status"`
}

// maxLog bounds the request log so a long-running sandbox keeps a fixed footprint.
const maxLog = 10000

func (s *Server) record(req *request, account string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[req.service+":"+req.action]++
	if len(s.log) == maxLog {
		s.log = append(s.log[:0], s.log[1:]...)
	}
	s.log = append(s.log, LogEntry{Start: req.start.UTC(), Time: s.now().UTC(), Service: req.service, Action: req.action, Account: account, Region: req.region, Status: status})
}

// CriticalPath is the longest run of requests among entries each of which
// started after the one before it was answered: the sequential round
// trips a client needed, however many it sent side by side.
func CriticalPath(entries []LogEntry) int {
	sorted := append([]LogEntry{}, entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Start.Before(sorted[j].Start) })
	depth := make([]int, len(sorted))
	longest := 0
	for i, e := range sorted {
		depth[i] = 1
		for j := range i {
			if !sorted[j].Time.After(e.Start) && depth[j]+1 > depth[i] {
				depth[i] = depth[j] + 1
			}
		}
		longest = max(longest, depth[i])
	}
	return longest
}

// injectFault returns the error a fault makes this request fail with, or nil.
func (s *Server) injectFault(f Faults, req *request, account string) *apiError {
	for _, d := range f.AccessDenied {
		if d.matches(req.service, req.action, account) {
			return accessDenied(req.service, req.action, account)
		}
	}
	rate := f.ThrottleRate
	for _, t := range f.Throttle {
		if selects(t.Operation, t.Account, req.service, req.action, account) {
			rate = t.Rate
			break
		}
	}
	s.mu.Lock()
	throttle := rate > 0 && s.rnd() < rate
	fail := !throttle && f.ErrorRate > 0 && s.rnd() < f.ErrorRate
	s.mu.Unlock()
	switch {
	case throttle:
		e := throttling(req.service)
		e.RetryAfterMS = f.RetryAfterMS
		return e
	case fail:
		return errorf(http.StatusInternalServerError, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.")
	}
	return nil
}

// responseDelay is how long to hold back the answer to a request that has
// been applied.
func (f Faults) responseDelay(req *request, account string) time.Duration {
	for _, d := range f.DelayResponses {
		if selects(d.Operation, d.Account, req.service, req.action, account) {
			return time.Duration(d.DelayMS) * time.Millisecond
		}
	}
	return 0
}

// throttling is each service's own throttling error; every code here is in
// the SDKs' list of retryable throttle codes.
func throttling(service string) *apiError {
	switch service {
	case "cloudtrail", "logs":
		return badRequest("ThrottlingException", "Rate exceeded")
	case "organizations":
		return badRequest("TooManyRequestsException", "AWS Organizations can't complete your request because another request is already in progress. Try again later.")
	case "kms":
		return badRequest("ThrottlingException", "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.")
	default:
		return badRequest("Throttling", "Rate exceeded")
	}
}

// accessDenied is each service's own access-denied error.
func accessDenied(service, action, account string) *apiError {
	prefix := iamPrefix(service)
	msg := fmt.Sprintf("User: arn:aws:iam::%s:user/sandbox is not authorized to perform: %s:%s because no identity-based policy allows the %s:%s action", account, prefix, action, prefix, action)
	switch service {
	case "sns":
		return errorf(http.StatusForbidden, "AuthorizationError", "%s", msg)
	case "cloudtrail", "logs", "organizations", "kms":
		return badRequest("AccessDeniedException", "%s", msg)
	default:
		return errorf(http.StatusForbidden, "AccessDenied", "%s", msg)
	}
}

// SetFaults replaces the injected faults; the zero Faults turns them off.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Faults returns the injected faults.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Counts returns the number of API requests per "service:Action".
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// Requests returns the request log, oldest first.
func (s *Server) Requests() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LogEntry{}, s.log...)
}

// Reset empties the world: the default account only, no faults, no counts.
func (s *Server) Reset() error {
	return s.LoadScenario("", ScenarioParams{})
}

// DumpState returns the whole state as JSON.
func (s *Server) DumpState() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.MarshalIndent(s.st, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("dump state: %w", err)
	}
	return b, nil
}

// LoadState replaces the state with a JSON dump; counts, log and faults are cleared.
func (s *Server) LoadState(b []byte) error {
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	if err := st.validate(); err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	s.replace(st)
	return nil
}

func (s *Server) replace(st *state) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st.now = s.now
	s.st = st
	s.faults = Faults{}
	s.counts = map[string]int{}
	s.log = nil
	s.gen++
	s.evalPending = map[string]bool{}
	s.deliveries = nil
}

// ConfirmPendingSubscriptions confirms every pending SNS subscription, as if
// each recipient had clicked the link, and returns their new ARNs.
func (s *Server) ConfirmPendingSubscriptions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.confirmAllPending()
}

// serveControl serves /_sandbox/…: JSON in, JSON out.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/_sandbox/")
	reply := func(v any, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}
	ok := map[string]bool{"ok": true}
	switch {
	case path == "reset" && r.Method == http.MethodPost:
		reply(ok, s.Reset())
	case path == "state" && r.Method == http.MethodGet:
		b, err := s.DumpState()
		if err != nil {
			reply(nil, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	case path == "state" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		b, err := readAll(r)
		if err == nil {
			err = s.LoadState(b)
		}
		reply(ok, err)
	case path == "scenarios" && r.Method == http.MethodGet:
		reply(ScenarioNames(), nil)
	case strings.HasPrefix(path, "scenario/") && r.Method == http.MethodPost:
		var p ScenarioParams
		if v := r.URL.Query().Get("accounts"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				reply(nil, fmt.Errorf("accounts=%q: want a positive number", v))
				return
			}
			p.Accounts = n
		}
		reply(ok, s.LoadScenario(strings.TrimPrefix(path, "scenario/"), p))
	case path == "subscriptions/confirm" && r.Method == http.MethodPost:
		reply(map[string][]string{"confirmed": s.ConfirmPendingSubscriptions()}, nil)
	case path == "counts" && r.Method == http.MethodGet:
		reply(s.Counts(), nil)
	case path == "requests" && r.Method == http.MethodGet:
		reply(s.Requests(), nil)
	case path == "faults" && r.Method == http.MethodGet:
		reply(s.Faults(), nil)
	case path == "faults" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		b, err := readAll(r)
		var f Faults
		if err == nil {
			err = decodeFaults(b, &f)
		}
		if err == nil {
			s.SetFaults(f)
		}
		reply(f, err)
	case path == "pipeline" && r.Method == http.MethodGet:
		reply(s.Pipeline(), nil)
	case path == "pipeline" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		b, err := readAll(r)
		var p PipelineConfig
		if err == nil {
			p, err = decodePipeline(b, s.Pipeline())
		}
		if err == nil {
			err = s.SetPipeline(p)
		}
		reply(p, err)
	case path == "deliveries" && r.Method == http.MethodGet:
		reply(s.Deliveries(), nil)
	case path == "faults" && r.Method == http.MethodDelete:
		s.SetFaults(Faults{})
		reply(ok, nil)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": fmt.Sprintf("no control endpoint %s %s", r.Method, r.URL.Path), "endpoints": controlEndpoints})
	}
}

var controlEndpoints = []string{
	"POST /_sandbox/reset",
	"GET /_sandbox/state", "POST /_sandbox/state",
	"GET /_sandbox/scenarios", "POST /_sandbox/scenario/NAME[?accounts=N]",
	"POST /_sandbox/subscriptions/confirm",
	"GET /_sandbox/counts", "GET /_sandbox/requests",
	"GET /_sandbox/faults", "POST /_sandbox/faults", "DELETE /_sandbox/faults",
	"GET /_sandbox/pipeline", "POST /_sandbox/pipeline", "GET /_sandbox/deliveries",
}

func decodeFaults(b []byte, f *Faults) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(f); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	rates := []float64{f.ThrottleRate, f.ErrorRate}
	for _, t := range f.Throttle {
		if t.Operation == "" {
			return errors.New("faults: throttle: every entry needs an operation")
		}
		rates = append(rates, t.Rate)
	}
	for _, rate := range rates {
		if rate < 0 || rate > 1 {
			return fmt.Errorf("faults: rate %v is outside 0..1", rate)
		}
	}
	durations := map[string]int{"latencyMs": f.LatencyMS, "retryAfterMs": f.RetryAfterMS}
	for _, d := range f.DelayResponses {
		if d.Operation == "" {
			return errors.New("faults: delayResponses: every entry needs an operation")
		}
		durations["delayMs"] = min(durations["delayMs"], d.DelayMS)
	}
	for _, name := range sortedKeys(durations) {
		if durations[name] < 0 {
			return fmt.Errorf("faults: %s %d is negative", name, durations[name])
		}
	}
	return nil
}

func readAll(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("read request body: larger than %d bytes", maxBody)
	}
	return b, nil
}

// sortedKeys returns a map's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Credential is an account's long-term access key (any secret key works).
type Credential struct {
	Account   string `json:"account"`
	AccessKey string `json:"accessKey"`
}

// Credentials lists the long-term keys of every account, by account ID.
func (s *Server) Credentials() []Credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Credential
	for _, key := range sortedKeys(s.st.AccessKeys) {
		if s.st.Sessions[key] == nil {
			out = append(out, Credential{Account: s.st.AccessKeys[key], AccessKey: key})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out
}
