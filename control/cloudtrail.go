package control

// The CloudTrail-changes control: CIS 3.5 / 4.5 / 5.5, Security Hub
// CloudWatch.5. Its records, pattern and names are what every golden file
// was made with: change none of them without regenerating those.

const (
	trailName = "my-trail"
	trailARN  = "arn:aws:cloudtrail:us-east-1:111122223333:trail/my-trail"
	bucket    = "my-trail-bucket"

	cloudtrailSource = "cloudtrail.amazonaws.com"
)

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

func cloudtrailChanges() Control {
	trail := trailResponse{Name: trailName, S3BucketName: bucket, IncludeGlobalServiceEvents: true,
		IsMultiRegionTrail: true, TrailARN: trailARN, LogFileValidationEnabled: true}
	call := func(event string, params, response any) Call {
		return Call{Source: cloudtrailSource, Event: event, Params: params, Response: response, Resource: trailARN}
	}
	calls := []Call{
		call("CreateTrail", trailParams{Name: trailName, S3BucketName: bucket, IncludeGlobalServiceEvents: ptr(true),
			IsMultiRegionTrail: true, EnableLogFileValidation: ptr(true), IsOrganizationTrail: ptr(false)}, trail),
		call("UpdateTrail", trailParams{Name: trailName, S3BucketName: bucket, IsMultiRegionTrail: true}, trail),
		call("DeleteTrail", nameParam{Name: trailARN}, nil),
		call("StartLogging", nameParam{Name: trailARN}, nil),
		call("StopLogging", nameParam{Name: trailARN}, nil),
	}
	describe := call("DescribeTrails", describeParams{TrailNameList: []string{}, IncludeShadowTrails: true}, nil)
	describe.ReadOnly = true
	key := kmsResponse{}
	key.KeyMetadata.KeyID = "1234abcd-12ab-34cd-56ef-1234567890ab"
	createKey := Call{Source: "kms.amazonaws.com", Event: "CreateKey",
		Params: kmsParams{KeyUsage: "ENCRYPT_DECRYPT", KeySpec: "SYMMETRIC_DEFAULT"}, Response: key}

	c := Control{
		ID:          defaultID,
		Title:       "Ensure CloudTrail configuration changes are monitored",
		SecurityHub: "CloudWatch.5",
		CIS: []CISNumber{
			{ID: "3.5", From: "1.2.0", To: "1.2.0"},
			{ID: "4.5", From: "1.3.0", To: "5.0.0"},
			{ID: "5.5", From: "6.0.0"},
		},
		Records: append(MustCatch(calls...),
			MayLeaveOut(describe, CallerIAMUser),
			MayLeaveOut(describe, CallerAssumedRole),
			MayLeaveOut(createKey, CallerIAMUser),
		),
		Pattern:          "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
		NameStem:         "cloudtrail-changes",
		Namespace:        "CISBenchmark",
		MetricName:       "CloudTrailConfigChanges",
		AlarmDescription: "CIS AWS 4.5: a CloudTrail configuration change (CreateTrail, UpdateTrail, DeleteTrail, StartLogging, StopLogging). Managed by trailwatch.",
		Trail:            TrailNeeds{EventSources: []string{cloudtrailSource}},
	}
	for _, call := range calls {
		c.Events = append(c.Events, call.Event)
	}
	return c
}
