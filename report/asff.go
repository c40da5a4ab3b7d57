package report

import (
	"io"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/check"
)

// ASFFSchemaVersion is the AWS Security Finding Format version.
const ASFFSchemaVersion = "2018-10-08"

// asffType is the finding type, namespace/category/classifier.
const asffType = "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"

const securityHubStandard = "AWS Foundational Security Best Practices"

// Length limits of the BatchImportFindings reference.
const (
	asffTitleMax        = 256
	asffDescriptionMax  = 1024
	asffRemediationMax  = 512
	asffReasonMax       = 2048
	asffProductFieldMax = 2048 // each ProductFields value
)

type asffFinding struct {
	SchemaVersion string       `json:"SchemaVersion"`
	ID            string       `json:"Id"`
	ProductArn    string       `json:"ProductArn"`
	ProductName   string       `json:"ProductName"`
	CompanyName   string       `json:"CompanyName"`
	GeneratorID   string       `json:"GeneratorId"`
	AwsAccountID  string       `json:"AwsAccountId"`
	Types         []string     `json:"Types"`
	CreatedAt     string       `json:"CreatedAt"`
	UpdatedAt     string       `json:"UpdatedAt"`
	Severity      asffSeverity `json:"Severity"`
	// FindingProviderFields carry Severity and Types on updates: the
	// BatchImportFindings reference asks providers not to update the
	// top-level ones once a finding exists.
	FindingProviderFields asffProviderFields `json:"FindingProviderFields"`
	Title                 string             `json:"Title"`
	Description           string             `json:"Description"`
	Remediation           asffRemediation    `json:"Remediation"`
	ProductFields         map[string]string  `json:"ProductFields"`
	Resources             []asffResource     `json:"Resources"`
	Compliance            asffCompliance     `json:"Compliance"`
	RecordState           string             `json:"RecordState"`
}

type asffSeverity struct {
	Label string `json:"Label"`
}

type asffProviderFields struct {
	Severity asffSeverity `json:"Severity"`
	Types    []string     `json:"Types"`
}

type asffRemediation struct {
	Recommendation struct {
		Text string `json:"Text"`
	} `json:"Recommendation"`
}

type asffResource struct {
	Type      string `json:"Type"`
	ID        string `json:"Id"`
	Partition string `json:"Partition"`
	Region    string `json:"Region"`
}

type asffCompliance struct {
	Status              string             `json:"Status"`
	RelatedRequirements []string           `json:"RelatedRequirements"`
	StatusReasons       []asffStatusReason `json:"StatusReasons,omitempty"`
}

type asffStatusReason struct {
	ReasonCode  string `json:"ReasonCode"`
	Description string `json:"Description"`
}

var asffStatus = map[check.Status]string{
	check.Pass:   "PASSED",
	check.Fail:   "FAILED",
	check.Manual: "WARNING",
	check.Error:  "NOT_AVAILABLE",
}

// WriteASFF writes a JSON array of ASFF findings, one per identified
// account, for aws securityhub batch-import-findings --findings file://….
// Results whose account could not be identified have no AwsAccountId and
// are left out: ASFFSkipped counts them.
func WriteASFF(w io.Writer, rep check.Report) error {
	at := rep.CheckedAt.UTC().Format(time.RFC3339)
	findings := make([]asffFinding, 0, len(rep.Results))
	for _, r := range rep.Results {
		if r.Account == "" {
			continue
		}
		sev := "INFORMATIONAL"
		if r.Status == check.Fail {
			sev = "LOW"
		}
		part := partition(r.Region)
		ctrl := rep.ControlOf(r)
		links := Chain(r)
		f := asffFinding{
			SchemaVersion:         ASFFSchemaVersion,
			ID:                    findingID(rep, r),
			ProductArn:            "arn:" + part + ":securityhub:" + r.Region + ":" + r.Account + ":product/" + r.Account + "/default",
			ProductName:           rep.Tool.Name,
			CompanyName:           rep.Tool.Name,
			GeneratorID:           generatorID(rep, r),
			AwsAccountID:          r.Account,
			Types:                 []string{asffType},
			CreatedAt:             at,
			UpdatedAt:             at,
			Severity:              asffSeverity{Label: sev},
			FindingProviderFields: asffProviderFields{Severity: asffSeverity{Label: sev}, Types: []string{asffType}},
			Title:                 clip(strings.TrimSpace(ctrl.SecurityHub+" "+ctrl.Title), asffTitleMax),
			Description:           clip(nonBlank(r.Message, string(r.Status)), asffDescriptionMax),
			ProductFields: map[string]string{
				"trailwatch/Control": controlKey(rep, r),
				"trailwatch/Status":  string(r.Status), "trailwatch/Profiles": clip(strings.Join(r.Profiles, ", "), asffProductFieldMax),
				"trailwatch/ToolVersion": clip(rep.Tool.Version, asffProductFieldMax),
			},
			Resources: asffResources(r, links, part),
			// No Compliance.SecurityControlId: Security Hub fills it for its
			// own controls, and clients older than 2023 (Debian's AWS CLI
			// 2.9) refuse the member; the control is in ProductFields.
			Compliance:  asffCompliance{Status: asffStatus[r.Status], RelatedRequirements: requirements(ctrl)},
			RecordState: "ACTIVE",
		}
		f.Remediation.Recommendation.Text = clip(nonBlank(r.Remediation, "none"), asffRemediationMax)
		if code := statusCode(r); r.Status != check.Pass {
			f.Compliance.StatusReasons = []asffStatusReason{{ReasonCode: code, Description: clip(nonBlank(r.Message, code), asffReasonMax)}}
			f.ProductFields["trailwatch/Code"] = code
		}
		if via := viaText(r); via != "" {
			f.ProductFields["trailwatch/Via"] = clip(via, asffProductFieldMax)
		}
		if bl := BrokenLink(links); bl != "" {
			f.ProductFields["trailwatch/BrokenLink"] = bl
		}
		findings = append(findings, f)
	}
	return writeJSONArray(w, findings, "ASFF")
}

// ASFFSkipped counts the results WriteASFF leaves out.
func ASFFSkipped(rep check.Report) int {
	n := 0
	for _, r := range rep.Results {
		if r.Account == "" {
			n++
		}
	}
	return n
}

func asffResources(r check.Result, links []Link, part string) []asffResource {
	out := []asffResource{}
	for _, res := range resourcesOf(r, links) {
		out = append(out, asffResource{Type: res.asffType, ID: res.id, Partition: part, Region: nonBlank(res.region, r.Region)})
	}
	return out
}

// resource is one resource of a result, named for both finding formats.
type resource struct {
	id, name, region  string
	asffType, cfnType string
}

// resourcesOf is the account and every resource of its chain (links, from
// Chain(r)) that has an ARN.
func resourcesOf(r check.Result, links []Link) []resource {
	var out []resource
	if r.Account != "" {
		out = append(out, resource{id: "AWS::::Account:" + r.Account, name: r.Account, region: r.Region, asffType: "AwsAccount", cfnType: "AWS::::Account"})
	}
	types := map[string][2]string{
		LinkTrail:    {"AwsCloudTrailTrail", "AWS::CloudTrail::Trail"},
		LinkLogGroup: {"Other", "AWS::Logs::LogGroup"},
		LinkAlarm:    {"AwsCloudWatchAlarm", "AWS::CloudWatch::Alarm"},
		LinkTopic:    {"AwsSnsTopic", "AWS::SNS::Topic"},
	}
	for _, l := range links {
		t, ok := types[l.Kind]
		if !ok || l.ARN == "" {
			continue
		}
		out = append(out, resource{id: l.ARN, name: l.Name, region: arnRegion(l.ARN), asffType: t[0], cfnType: t[1]})
	}
	return out
}

// arnRegion is the region field of an ARN ("" when it has none).
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

func nonBlank(s, fallback string) string {
	if strings.TrimSpace(s) == "" {
		return fallback
	}
	return s
}
