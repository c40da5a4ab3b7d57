package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/trailwatch/trailwatch/check"
)

// OCSFVersion is the OCSF schema version the findings follow.
const OCSFVersion = "1.1.0"

// OCSF Compliance Finding (class 2003, category 2 Findings), activity Create.
const (
	ocsfCategoryUID = 2
	ocsfClassUID    = 2003
	ocsfActivityID  = 1
	ocsfTypeUID     = ocsfClassUID*100 + ocsfActivityID
)

// ocsfFinding holds the attributes trailwatch fills, the class's required
// ones first.
type ocsfFinding struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`
	// Time is milliseconds since the Unix epoch (OCSF timestamp_t).
	Time        int64           `json:"time"`
	SeverityID  int             `json:"severity_id"`
	Severity    string          `json:"severity"`
	StatusID    int             `json:"status_id"`
	Status      string          `json:"status"`
	Message     string          `json:"message"`
	Metadata    ocsfMetadata    `json:"metadata"`
	Cloud       ocsfCloud       `json:"cloud"`
	FindingInfo ocsfFindingInfo `json:"finding_info"`
	Compliance  ocsfCompliance  `json:"compliance"`
	Resources   []ocsfResource  `json:"resources"`
	Remediation ocsfRemediation `json:"remediation"`
	Unmapped    map[string]any  `json:"unmapped,omitempty"`
}

type ocsfMetadata struct {
	Version  string      `json:"version"`
	Product  ocsfProduct `json:"product"`
	Profiles []string    `json:"profiles"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version"`
}

type ocsfCloud struct {
	Provider string       `json:"provider"`
	Region   string       `json:"region,omitempty"`
	Account  *ocsfAccount `json:"account,omitempty"`
}

type ocsfAccount struct {
	UID    string `json:"uid"`
	Type   string `json:"type"`
	TypeID int    `json:"type_id"`
}

type ocsfFindingInfo struct {
	UID         string   `json:"uid"`
	Title       string   `json:"title"`
	Desc        string   `json:"desc"`
	CreatedTime int64    `json:"created_time"`
	Types       []string `json:"types"`
}

type ocsfCompliance struct {
	Standards    []string `json:"standards"`
	Control      string   `json:"control"`
	Requirements []string `json:"requirements"`
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
	StatusCode   string   `json:"status_code"`
	StatusDetail string   `json:"status_detail"`
}

type ocsfResource struct {
	UID            string `json:"uid"`
	Type           string `json:"type"`
	Name           string `json:"name,omitempty"`
	Region         string `json:"region,omitempty"`
	CloudPartition string `json:"cloud_partition"`
}

type ocsfRemediation struct {
	Desc string `json:"desc"`
}

// ocsfCompliance status_id values of the Compliance object.
var ocsfComplianceStatus = map[check.Status]struct {
	id      int
	caption string
}{
	check.Pass:   {1, "Pass"},
	check.Fail:   {3, "Fail"},
	check.Error:  {0, "Unknown"},
	check.Manual: {99, "Manual"},
}

// WriteOCSF writes a JSON array of OCSF Compliance Findings, one per account.
func WriteOCSF(w io.Writer, rep check.Report) error {
	ms := rep.CheckedAt.UnixMilli()
	findings := make([]ocsfFinding, 0, len(rep.Results))
	for _, r := range rep.Results {
		st := ocsfComplianceStatus[r.Status]
		ctrl := rep.ControlOf(r)
		sevID, sev := 1, "Informational"
		switch r.Status {
		case check.Fail:
			sevID, sev = 2, "Low"
		case check.Error, check.Manual:
			sevID, sev = 0, "Unknown"
		}
		f := ocsfFinding{
			ActivityID: ocsfActivityID, ActivityName: "Create",
			CategoryUID: ocsfCategoryUID, CategoryName: "Findings",
			ClassUID: ocsfClassUID, ClassName: "Compliance Finding",
			TypeUID: ocsfTypeUID, TypeName: "Compliance Finding: Create",
			Time: ms, SeverityID: sevID, Severity: sev,
			StatusID: 1, Status: "New",
			Message: r.Message,
			Metadata: ocsfMetadata{Version: OCSFVersion, Profiles: []string{"cloud"},
				Product: ocsfProduct{Name: rep.Tool.Name, VendorName: rep.Tool.Name, Version: rep.Tool.Version}},
			Cloud: ocsfCloud{Provider: "AWS", Region: r.Region},
			FindingInfo: ocsfFindingInfo{UID: findingID(rep, r), Title: ctrl.Title, Desc: r.Message,
				CreatedTime: ms, Types: []string{asffType}},
			Compliance: ocsfCompliance{
				Standards: []string{cisBenchmark, securityHubStandard}, Control: controlKey(rep, r),
				Requirements: requirements(ctrl), StatusID: st.id, Status: st.caption,
				StatusCode: statusCode(r), StatusDetail: r.Message,
			},
			Resources:   ocsfResources(r),
			Remediation: ocsfRemediation{Desc: r.Remediation},
			Unmapped:    map[string]any{"trailwatch_status": string(r.Status), "profiles": r.Profiles},
		}
		if r.Via != nil {
			f.Unmapped["via"] = r.Via
		}
		if r.Account != "" {
			f.Cloud.Account = &ocsfAccount{UID: r.Account, Type: "AWS Account", TypeID: 10}
		}
		findings = append(findings, f)
	}
	return writeJSONArray(w, findings, "OCSF")
}

func ocsfResources(r check.Result) []ocsfResource {
	out := []ocsfResource{}
	for _, res := range resourcesOf(r, Chain(r)) {
		out = append(out, ocsfResource{UID: res.id, Type: res.cfnType, Name: res.name, Region: res.region, CloudPartition: partition(r.Region)})
	}
	return out
}

func writeJSONArray(w io.Writer, v any, what string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write %s report: %w", what, err)
	}
	return nil
}
