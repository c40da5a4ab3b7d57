package plan

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/trailwatch/trailwatch/control"
)

// Defaults of the names a plan gives to what it creates (docs/plan.md): the
// metric is the default control's.
var (
	DefaultNamespace  = control.Default().Namespace
	DefaultMetricName = control.Default().MetricName
)

// DefaultNamePrefix starts the name of everything a plan creates.
const DefaultNamePrefix = "trailwatch-"

// Options are the plan flags, already parsed by the command layer.
type Options struct {
	// Control is the control planned for; the zero value is control.Default().
	// Its pattern, names and alarm description are what plan writes.
	Control control.Control
	// Controls are the controls selected when there are several (the plan
	// of each account holds one finding per control); the plan file
	// records their IDs.
	Controls []control.Control
	Notify   []Endpoint
	TopicARN string
	WireLogs bool
	// RetentionDays of a log group created by --wire-logs; 0 keeps events forever.
	RetentionDays int32
	Namespace     string
	MetricName    string
	NamePrefix    string
	Strict        bool
	// KMSKeyID encrypts a topic plan creates (a customer managed key whose
	// policy lets CloudWatch use it); "" leaves it unencrypted.
	KMSKeyID string
}

// ErrInvalidInput marks option values that are wrong before anything is read;
// the command layer maps it to exit 2.
var ErrInvalidInput = errors.New("invalid input")

// Endpoint is one --notify PROTOCOL:ENDPOINT.
type Endpoint struct {
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
}

func (e Endpoint) String() string { return e.Protocol + ":" + e.Endpoint }

// Protocols are the SNS protocols --notify accepts; application and
// firehose are left out because they need resources this tool never plans.
var Protocols = []string{"email", "email-json", "http", "https", "sqs", "lambda", "sms"}

var (
	e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	// arn:partition:service:region:account:resource, with the account and
	// region SNS needs to deliver to a queue or function.
	arnShape = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):([a-z0-9-]+):([a-z0-9-]+):([0-9]{12}):(.+)$`)
)

// ParseNotify reads one endpoint to notify, as a person types it:
// PROTOCOL:ENDPOINT, or the endpoint alone when it names its protocol
// (a bare email address, an http(s) URL, an SQS queue or Lambda function
// ARN, an E.164 phone number). It validates the endpoint for its protocol,
// so a typo is refused before anything is read rather than becoming a
// subscription that can never be confirmed. Errors do not name a flag: the
// same parser serves --notify and fix's prompt.
func ParseNotify(s string) (Endpoint, error) {
	s = strings.TrimSpace(s)
	e, err := splitNotify(s)
	if err == nil {
		err = validEndpoint(e)
	}
	if err != nil {
		return Endpoint{}, fmt.Errorf("%w: %q: %w", ErrInvalidInput, s, err)
	}
	return e, nil
}

// splitNotify finds the protocol: an explicit PROTOCOL: prefix wins, then
// what the endpoint's own shape says. An http(s) URL is its own prefix
// ("https://…"), so "https:https://…" and "https://…" mean the same.
func splitNotify(s string) (Endpoint, error) {
	proto, rest, ok := strings.Cut(s, ":")
	if ok && slices.Contains(Protocols, strings.ToLower(proto)) {
		proto = strings.ToLower(proto)
		if (proto == "http" || proto == "https") && strings.HasPrefix(rest, "//") {
			rest = s
		}
		if rest == "" {
			return Endpoint{}, fmt.Errorf("nothing after %q; want e.g. email:security@example.com", proto+":")
		}
		return Endpoint{Protocol: proto, Endpoint: rest}, nil
	}
	if m := arnShape.FindStringSubmatch(s); m != nil && (m[2] == "sqs" || m[2] == "lambda") {
		return Endpoint{Protocol: m[2], Endpoint: s}, nil
	}
	switch {
	case !ok && strings.Contains(s, "@"):
		return Endpoint{Protocol: "email", Endpoint: s}, nil
	case strings.HasPrefix(s, "+"):
		return Endpoint{Protocol: "sms", Endpoint: s}, nil
	case ok && !strings.HasPrefix(s, "arn:"):
		return Endpoint{}, fmt.Errorf("unknown protocol %q (want one of %s)", proto, strings.Join(Protocols, ", "))
	}
	return Endpoint{}, errors.New("cannot tell the protocol: want an email address, an http(s) URL, an SQS queue or Lambda function ARN, a phone number (+…), or PROTOCOL:ENDPOINT")
}

func validEndpoint(e Endpoint) error {
	switch e.Protocol {
	case "email", "email-json":
		return validEmail(e.Endpoint)
	case "http", "https":
		return validURL(e.Protocol, e.Endpoint)
	case "sqs":
		return validARN(e.Endpoint, "sqs", func(r string) bool { return !strings.Contains(r, ":") && !strings.Contains(r, "/") })
	case "lambda":
		return validARN(e.Endpoint, "lambda", func(r string) bool { return strings.HasPrefix(r, "function:") && len(r) > len("function:") })
	case "sms":
		if !e164.MatchString(e.Endpoint) {
			return errors.New("want a phone number in E.164 form, e.g. +14155550100")
		}
	}
	return nil
}

func validEmail(s string) error {
	addr, err := mail.ParseAddress(s)
	// ParseAddress accepts "Name <a@b>"; SNS wants the bare address.
	if err != nil || addr.Address != s || addr.Name != "" {
		return errors.New("want a bare email address, e.g. security@example.com")
	}
	if _, domain, _ := strings.Cut(s, "@"); !strings.Contains(domain, ".") {
		return errors.New("email domain has no dot")
	}
	return nil
}

func validURL(proto, s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != proto {
		return fmt.Errorf("an %s endpoint must start with %s://", proto, proto)
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	return nil
}

func validARN(s, service string, resourceOK func(string) bool) error {
	m := arnShape.FindStringSubmatch(s)
	if m == nil || m[2] != service || m[3] == "" || !resourceOK(m[5]) {
		return fmt.Errorf("want a %s ARN, e.g. %s", service, exampleARN[service])
	}
	return nil
}

var exampleARN = map[string]string{
	"sqs":    "arn:aws:sqs:us-east-1:123456789012:alerts",
	"lambda": "arn:aws:lambda:us-east-1:123456789012:function:notify",
}

// RetentionValues are the only values CloudWatch Logs PutRetentionPolicy accepts.
var RetentionValues = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// ValidateRetention rejects a --retention-days that CloudWatch Logs would refuse.
func ValidateRetention(days int32) error {
	if days == 0 || slices.Contains(RetentionValues, days) {
		return nil
	}
	return fmt.Errorf("%w: --retention-days %d: CloudWatch Logs accepts only %s (or 0 to keep events forever)", ErrInvalidInput, days, joinInts(RetentionValues))
}

// ValidateTopicARN checks --topic-arn's shape; whether the topic exists is
// read while planning.
func ValidateTopicARN(s string) error {
	if s == "" {
		return nil
	}
	m := arnShape.FindStringSubmatch(s)
	if m == nil || m[2] != "sns" || strings.ContainsAny(m[5], ":/") {
		return fmt.Errorf("%w: --topic-arn %q: want an SNS topic ARN, e.g. arn:aws:sns:us-east-1:123456789012:alerts", ErrInvalidInput, s)
	}
	return nil
}

var namePart = regexp.MustCompile(`^[A-Za-z0-9_+=,.@-]*$`)

// WithDefaults fills unset names and validates them: the prefix is used in
// IAM role, SNS topic and log group names, so it must suit all three.
func (o Options) WithDefaults() (Options, error) {
	if o.Control.ID == "" {
		o.Control = control.Default()
	}
	if o.Namespace == "" {
		o.Namespace = o.Control.Namespace
	}
	if o.MetricName == "" {
		o.MetricName = o.Control.MetricName
	}
	if o.NamePrefix == "" {
		o.NamePrefix = DefaultNamePrefix
	}
	if !namePart.MatchString(o.NamePrefix) || len(o.NamePrefix) > 32 {
		return o, fmt.Errorf("%w: --name-prefix %q: use at most 32 letters, digits and _+=,.@-", ErrInvalidInput, o.NamePrefix)
	}
	if strings.HasPrefix(o.Namespace, "AWS/") {
		return o, fmt.Errorf("%w: --namespace %q: namespaces starting with AWS/ are reserved for AWS", ErrInvalidInput, o.Namespace)
	}
	if err := ValidateRetention(o.RetentionDays); err != nil {
		return o, err
	}
	if err := ValidateKMSKeyID(o.KMSKeyID); err != nil {
		return o, err
	}
	return o, ValidateTopicARN(o.TopicARN)
}

func (o Options) record() Recorded {
	r := Recorded{TopicARN: o.TopicARN, WireLogs: o.WireLogs, RetentionDays: o.RetentionDays,
		Namespace: o.Namespace, MetricName: o.MetricName, NamePrefix: o.NamePrefix, Strict: o.Strict, KMSKeyID: o.KMSKeyID}
	for _, n := range o.Notify {
		r.Notify = append(r.Notify, n.String())
	}
	if len(o.Controls) > 1 || len(o.Controls) == 1 && o.Controls[0].ID != control.Default().ID {
		for _, c := range o.Controls {
			r.Controls = append(r.Controls, c.ID)
		}
	}
	return r
}

func joinInts(v []int32) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
