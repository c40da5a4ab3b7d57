package control

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Realistic CloudTrail records, serialised exactly as CloudTrail delivers them
// to CloudWatch Logs: compact JSON, CloudTrail's key order (hence structs, not
// maps), no HTML escaping. Term and regex patterns see this raw text, so a
// record's bytes are part of what a verdict rests on: change them knowingly.

const (
	account  = "111122223333"
	region   = "us-east-1"
	cliAgent = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64"
	console  = "console.amazonaws.com"
)

// Record is one CloudTrail record as a log event's message.
type Record struct {
	Event  string // eventName
	Caller string // one of the Caller* labels
	Failed bool   // the record carries errorCode/errorMessage
	Kind   Kind
	// Message is the record as CloudWatch Logs receives it.
	Message string
}

// Kind says what a record is to a control.
type Kind int

const (
	// Catch: the control must catch it; its filter's verdict rests on these.
	Catch Kind = iota
	// Attempt: a refused call of an event the control catches. Catching it is
	// reported, not required.
	Attempt
	// LeaveOut: a call the control may leave out; catching it is noise.
	LeaveOut
)

type ctRecord struct {
	EventVersion                 string      `json:"eventVersion"`
	UserIdentity                 ctIdentity  `json:"userIdentity"`
	EventTime                    string      `json:"eventTime"`
	EventSource                  string      `json:"eventSource"`
	EventName                    string      `json:"eventName"`
	AWSRegion                    string      `json:"awsRegion"`
	SourceIPAddress              string      `json:"sourceIPAddress"`
	UserAgent                    string      `json:"userAgent,omitempty"`
	ErrorCode                    string      `json:"errorCode,omitempty"`
	ErrorMessage                 string      `json:"errorMessage,omitempty"`
	RequestParameters            any         `json:"requestParameters"`
	ResponseElements             any         `json:"responseElements"`
	AdditionalEventData          any         `json:"additionalEventData,omitempty"`
	RequestID                    string      `json:"requestID"`
	EventID                      string      `json:"eventID"`
	ReadOnly                     bool        `json:"readOnly"`
	EventType                    string      `json:"eventType"`
	ManagementEvent              bool        `json:"managementEvent"`
	RecipientAccountID           string      `json:"recipientAccountId"`
	SharedEventID                string      `json:"sharedEventID,omitempty"`
	EventCategory                string      `json:"eventCategory"`
	TLSDetails                   *tlsDetails `json:"tlsDetails,omitempty"`
	SessionCredentialFromConsole string      `json:"sessionCredentialFromConsole,omitempty"`
}

type ctIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *sessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

type sessionContext struct {
	SessionIssuer       sessionIssuer `json:"sessionIssuer"`
	WebIDFederationData struct{}      `json:"webIdFederationData"`
	Attributes          struct {
		CreationDate     string `json:"creationDate"`
		MFAAuthenticated string `json:"mfaAuthenticated"`
	} `json:"attributes"`
}

type sessionIssuer struct {
	Type        string `json:"type,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	UserName    string `json:"userName,omitempty"`
}

type tlsDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

func ptr[T any](v T) *T { return &v }

// Labels of the callers records are made by.
const (
	CallerIAMUser     = "IAM user"
	CallerRoot        = "root user"
	CallerAssumedRole = "assumed-role caller"
	CallerAWSService  = "AWS service caller"
)

// Caller is one identity that makes API calls: an IAM user with access keys,
// the root user and a role session in the console, or an AWS service.
type Caller struct {
	Label     string
	identity  ctIdentity
	agent     string
	sourceIP  string
	console   bool
	awsDriven bool
}

// Callers returns the four callers, in the order records list them.
func Callers() []Caller {
	roleSession := &sessionContext{SessionIssuer: sessionIssuer{
		Type: "Role", PrincipalID: "AROAEXAMPLEROLEID", ARN: "arn:aws:iam::" + account + ":role/Admin",
		AccountID: account, UserName: "Admin",
	}}
	roleSession.Attributes.CreationDate = "2024-05-01T11:50:00Z"
	roleSession.Attributes.MFAAuthenticated = "true"
	rootSession := &sessionContext{}
	rootSession.Attributes.CreationDate = "2024-05-01T11:45:00Z"
	rootSession.Attributes.MFAAuthenticated = "true"
	return []Caller{
		{Label: CallerIAMUser, agent: cliAgent, sourceIP: "203.0.113.10", identity: ctIdentity{
			Type: "IAMUser", PrincipalID: "AIDAEXAMPLEPRINCIPAL1", ARN: "arn:aws:iam::" + account + ":user/alice",
			AccountID: account, AccessKeyID: "AKIAIOSFODNN7EXAMPLE", UserName: "alice",
		}},
		{Label: CallerRoot, agent: console, sourceIP: "198.51.100.7", console: true, identity: ctIdentity{
			Type: "Root", PrincipalID: account, ARN: "arn:aws:iam::" + account + ":root",
			AccountID: account, AccessKeyID: "ASIAEXAMPLEROOTKEY01", SessionContext: rootSession,
		}},
		{Label: CallerAssumedRole, agent: console, sourceIP: "203.0.113.10", console: true, identity: ctIdentity{
			Type: "AssumedRole", PrincipalID: "AROAEXAMPLEROLEID:bob", ARN: "arn:aws:sts::" + account + ":assumed-role/Admin/bob",
			AccountID: account, AccessKeyID: "ASIAEXAMPLEKEY00001", SessionContext: roleSession,
		}},
		{Label: CallerAWSService, agent: "cloudformation.amazonaws.com", sourceIP: "cloudformation.amazonaws.com", awsDriven: true,
			identity: ctIdentity{Type: "AWSService", InvokedBy: "cloudformation.amazonaws.com"}},
	}
}

// ServiceCaller is an AWS service calling on its own behalf, e.g.
// "config.amazonaws.com".
func ServiceCaller(service string) Caller {
	return Caller{Label: CallerAWSService, agent: service, sourceIP: service, awsDriven: true,
		identity: ctIdentity{Type: "AWSService", InvokedBy: service}}
}

// callerNamed returns the caller with the given label.
func callerNamed(label string) Caller {
	for _, c := range Callers() {
		if c.Label == label {
			return c
		}
	}
	panic("control: no caller " + label)
}

// Call is one API call a record is built from.
type Call struct {
	Source   string // eventSource, e.g. "cloudtrail.amazonaws.com"
	Event    string // eventName
	Params   any    // requestParameters; nil is null
	Response any    // responseElements of a successful call; nil is null
	ReadOnly bool
	// Resource is the ARN a refusal names.
	Resource string
	// ErrorCode of a refused call; "" is AccessDenied.
	ErrorCode string
	// ErrorMessage of a refused call; "" is IAM's "User: … is not
	// authorized to perform: …" sentence.
	ErrorMessage string
	// Extra is additionalEventData; nil leaves it out.
	Extra any
	// EventType is "" for AwsApiCall.
	EventType string
}

// Record builds the record of c made by who; a failed one carries the
// service's refusal and a null responseElements, as CloudTrail logs them.
func (c Call) Record(who Caller, failed bool) Record {
	return Record{Event: c.Event, Caller: who.Label, Failed: failed, Message: marshal(c.build(who, failed))}
}

func (c Call) build(who Caller, failed bool) ctRecord {
	service := strings.TrimSuffix(c.Source, ".amazonaws.com")
	r := ctRecord{
		EventVersion:        "1.09",
		UserIdentity:        who.identity,
		EventTime:           "2024-05-01T12:00:00Z",
		EventSource:         c.Source,
		EventName:           c.Event,
		AWSRegion:           region,
		SourceIPAddress:     who.sourceIP,
		UserAgent:           who.agent,
		RequestParameters:   c.Params,
		ResponseElements:    c.Response,
		AdditionalEventData: c.Extra,
		RequestID:           "6a3b0d1e-0000-4000-8000-000000000001",
		EventID:             "0f4e7c2a-0000-4000-8000-000000000002",
		ReadOnly:            c.ReadOnly,
		EventType:           "AwsApiCall",
		ManagementEvent:     true,
		RecipientAccountID:  account,
		EventCategory:       "Management",
		TLSDetails: &tlsDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
			ClientProvidedHostHeader: service + "." + region + ".amazonaws.com"},
	}
	if c.EventType != "" {
		r.EventType = c.EventType
	}
	if who.console {
		r.SessionCredentialFromConsole = "true"
	}
	if who.awsDriven {
		r.TLSDetails = nil
		r.SharedEventID = "5d1b5b3c-0000-4000-8000-000000000003"
	}
	if failed {
		r.ErrorCode = c.ErrorCode
		if r.ErrorCode == "" {
			r.ErrorCode = "AccessDenied"
		}
		r.ErrorMessage = c.ErrorMessage
		if r.ErrorMessage == "" {
			r.ErrorMessage = "User: " + who.identity.ARN + " is not authorized to perform: " + service + ":" + c.Event +
				" on resource: " + c.Resource + " because no identity-based policy allows the " + service + ":" + c.Event + " action"
		}
		r.ResponseElements = nil
	}
	return r
}

func marshal(r ctRecord) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		panic("marshal a CloudTrail record: " + err.Error())
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// MustCatch builds the records a control must catch for each call: one per
// caller (Catch), then a refused one from an IAM user and from a role
// session (Attempt).
// Identity policies cannot deny the root user, and AWS services calling on
// their own behalf are not refused here, so failures come from those two.
func MustCatch(calls ...Call) []Record {
	var out []Record
	cs := Callers()
	for _, call := range calls {
		for _, c := range cs {
			out = append(out, call.Record(c, false))
		}
		for _, c := range cs {
			if c.Label == CallerIAMUser || c.Label == CallerAssumedRole {
				r := call.Record(c, true)
				r.Kind = Attempt
				out = append(out, r)
			}
		}
	}
	return out
}

// MayLeaveOut builds the record of call by the caller labelled who: a call
// the control need not catch.
func MayLeaveOut(call Call, who string) Record {
	r := call.Record(callerNamed(who), false)
	r.Kind = LeaveOut
	return r
}
