package pattern

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
)

// Synthetic CloudTrail records, serialised exactly as CloudTrail delivers them
// to CloudWatch Logs: compact JSON, CloudTrail's key order (hence structs, not
// maps), no HTML escaping. Term and regex patterns see this raw text.

const (
	account   = "111122223333"
	region    = "us-east-1"
	trailName = "my-trail"
	trailARN  = "arn:aws:cloudtrail:us-east-1:111122223333:trail/my-trail"
	bucket    = "my-trail-bucket"
	cliAgent  = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64"
	console   = "console.amazonaws.com"
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

type trailParams struct {
	Name                       string `json:"name"`
	S3BucketName               string `json:"s3BucketName"`
	IncludeGlobalServiceEvents *bool  `json:"includeGlobalServiceEvents,omitempty"`
	IsMultiRegionTrail         bool   `json:"isMultiRegionTrail"`
	EnableLogFileValidation    *bool  `json:"enableLogFileValidation,omitempty"`
	IsOrganizationTrail        *bool  `json:"isOrganizationTrail,omitempty"`
}

type trailResponse struct {
	Name                       string `json:"name"`
	S3BucketName               string `json:"s3BucketName"`
	IncludeGlobalServiceEvents bool   `json:"includeGlobalServiceEvents"`
	IsMultiRegionTrail         bool   `json:"isMultiRegionTrail"`
	TrailARN                   string `json:"trailARN"`
	LogFileValidationEnabled   bool   `json:"logFileValidationEnabled"`
	IsOrganizationTrail        bool   `json:"isOrganizationTrail"`
}

type nameParam struct {
	Name string `json:"name"`
}

type describeParams struct {
	TrailNameList       []string `json:"trailNameList"`
	IncludeShadowTrails bool     `json:"includeShadowTrails"`
}

type kmsParams struct {
	KeyUsage string `json:"keyUsage"`
	KeySpec  string `json:"keySpec"`
}

type kmsResponse struct {
	KeyMetadata struct {
		KeyID string `json:"keyId"`
	} `json:"keyMetadata"`
}

func ptr[T any](v T) *T { return &v }

// Caller identities the five events are generated from.
const (
	CallerIAMUser     = "IAM user"
	CallerRoot        = "root user"
	CallerAssumedRole = "assumed-role caller"
	CallerAWSService  = "AWS service caller"
)

type caller struct {
	label     string
	identity  ctIdentity
	agent     string
	sourceIP  string
	console   bool
	awsDriven bool
}

func callers() []caller {
	roleSession := &sessionContext{SessionIssuer: sessionIssuer{
		Type: "Role", PrincipalID: "AROAEXAMPLEROLEID", ARN: "arn:aws:iam::" + account + ":role/Admin",
		AccountID: account, UserName: "Admin",
	}}
	roleSession.Attributes.CreationDate = "2024-05-01T11:50:00Z"
	roleSession.Attributes.MFAAuthenticated = "true"
	rootSession := &sessionContext{}
	rootSession.Attributes.CreationDate = "2024-05-01T11:45:00Z"
	rootSession.Attributes.MFAAuthenticated = "true"
	return []caller{
		{label: CallerIAMUser, agent: cliAgent, sourceIP: "203.0.113.10", identity: ctIdentity{
			Type: "IAMUser", PrincipalID: "AIDAEXAMPLEPRINCIPAL1", ARN: "arn:aws:iam::" + account + ":user/alice",
			AccountID: account, AccessKeyID: "AKIAIOSFODNN7EXAMPLE", UserName: "alice",
		}},
		{label: CallerRoot, agent: console, sourceIP: "198.51.100.7", console: true, identity: ctIdentity{
			Type: "Root", PrincipalID: account, ARN: "arn:aws:iam::" + account + ":root",
			AccountID: account, AccessKeyID: "ASIAEXAMPLEROOTKEY01", SessionContext: rootSession,
		}},
		{label: CallerAssumedRole, agent: console, sourceIP: "203.0.113.10", console: true, identity: ctIdentity{
			Type: "AssumedRole", PrincipalID: "AROAEXAMPLEROLEID:bob", ARN: "arn:aws:sts::" + account + ":assumed-role/Admin/bob",
			AccountID: account, AccessKeyID: "ASIAEXAMPLEKEY00001", SessionContext: roleSession,
		}},
		{label: CallerAWSService, agent: "cloudformation.amazonaws.com", sourceIP: "cloudformation.amazonaws.com", awsDriven: true,
			identity: ctIdentity{Type: "AWSService", InvokedBy: "cloudformation.amazonaws.com"}},
	}
}

// record builds one CloudTrail record of eventName by c; failed records carry
// an AccessDenied error and a null responseElements, as CloudTrail logs them.
func record(eventName string, c caller, failed bool) ctRecord {
	r := ctRecord{
		EventVersion:       "1.09",
		UserIdentity:       c.identity,
		EventTime:          "2024-05-01T12:00:00Z",
		EventSource:        "cloudtrail.amazonaws.com",
		EventName:          eventName,
		AWSRegion:          region,
		SourceIPAddress:    c.sourceIP,
		UserAgent:          c.agent,
		RequestID:          "6a3b0d1e-0000-4000-8000-000000000001",
		EventID:            "0f4e7c2a-0000-4000-8000-000000000002",
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: account,
		EventCategory:      "Management",
		TLSDetails: &tlsDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
			ClientProvidedHostHeader: "cloudtrail." + region + ".amazonaws.com"},
	}
	if c.console {
		r.SessionCredentialFromConsole = "true"
	}
	if c.awsDriven {
		r.TLSDetails = nil
		r.SharedEventID = "5d1b5b3c-0000-4000-8000-000000000003"
	}
	response := trailResponse{Name: trailName, S3BucketName: bucket, IncludeGlobalServiceEvents: true,
		IsMultiRegionTrail: true, TrailARN: trailARN, LogFileValidationEnabled: true}
	switch eventName {
	case "CreateTrail":
		r.RequestParameters = trailParams{Name: trailName, S3BucketName: bucket, IncludeGlobalServiceEvents: ptr(true),
			IsMultiRegionTrail: true, EnableLogFileValidation: ptr(true), IsOrganizationTrail: ptr(false)}
		r.ResponseElements = response
	case "UpdateTrail":
		r.RequestParameters = trailParams{Name: trailName, S3BucketName: bucket, IsMultiRegionTrail: true}
		r.ResponseElements = response
	case "DescribeTrails":
		r.RequestParameters = describeParams{TrailNameList: []string{}, IncludeShadowTrails: true}
		r.ReadOnly = true
	default:
		r.RequestParameters = nameParam{Name: trailARN}
	}
	if failed {
		r.ErrorCode = "AccessDenied"
		r.ErrorMessage = "User: " + c.identity.ARN + " is not authorized to perform: cloudtrail:" + eventName +
			" on resource: " + trailARN + " because no identity-based policy allows the cloudtrail:" + eventName + " action"
		r.ResponseElements = nil
	}
	return r
}

func kmsCreateKey(c caller) ctRecord {
	r := record("CreateKey", c, false)
	r.EventSource = "kms.amazonaws.com"
	r.RequestParameters = kmsParams{KeyUsage: "ENCRYPT_DECRYPT", KeySpec: "SYMMETRIC_DEFAULT"}
	resp := kmsResponse{}
	resp.KeyMetadata.KeyID = "1234abcd-12ab-34cd-56ef-1234567890ab"
	r.ResponseElements = resp
	r.TLSDetails.ClientProvidedHostHeader = "kms." + region + ".amazonaws.com"
	return r
}

func marshal(r ctRecord) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		panic("marshal a synthetic CloudTrail record: " + err.Error())
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Sample is one synthetic log-event message.
type Sample struct {
	Event   string // eventName
	Caller  string // one of the Caller* labels
	Failed  bool   // the record carries errorCode/errorMessage
	Control bool   // one of the five ControlEvents (false: a negative control)
	Message string
	doc     *document
}

var (
	samplesOnce sync.Once
	samples     []Sample
)

// Samples returns the synthetic CloudTrail messages the coverage analysis
// uses: every ControlEvent from every caller, failed calls of each from an IAM
// user and a role session, then the negative controls DescribeTrails and KMS
// CreateKey. They are built and parsed once per process; the result is a copy.
func Samples() []Sample {
	return slices.Clone(builtSamples())
}

func builtSamples() []Sample {
	samplesOnce.Do(func() {
		cs := callers()
		for _, ev := range ControlEvents {
			for _, c := range cs {
				samples = append(samples, Sample{Event: ev, Caller: c.label, Control: true, Message: marshal(record(ev, c, false))})
			}
			// Identity policies cannot deny the root user, and AWS services
			// calling on their own behalf are not refused here, so failures come
			// from IAM users and role sessions.
			for _, c := range cs {
				if c.label == CallerIAMUser || c.label == CallerAssumedRole {
					samples = append(samples, Sample{Event: ev, Caller: c.label, Control: true, Failed: true, Message: marshal(record(ev, c, true))})
				}
			}
		}
		samples = append(samples,
			Sample{Event: "DescribeTrails", Caller: CallerIAMUser, Message: marshal(record("DescribeTrails", cs[0], false))},
			Sample{Event: "DescribeTrails", Caller: CallerAssumedRole, Message: marshal(record("DescribeTrails", cs[2], false))},
			Sample{Event: "CreateKey", Caller: CallerIAMUser, Message: marshal(kmsCreateKey(cs[0]))},
		)
		for i := range samples {
			samples[i].doc = parseDocument(samples[i].Message)
		}
	})
	return samples
}
