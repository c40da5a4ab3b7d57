package sandbox

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"
)

// CloudTrail (JSON 1.1, target CloudTrail_20131101): trails, their logging
// status and event selectors.
//
// A trail lives in its home region's state. Multi-region trails show up as
// "shadow trails" in the owner's other regions, and organization trails in
// the member accounts; both are computed on read, never copied, so a change
// in the home region is seen everywhere at once.

type trail struct {
	Name                       string `json:"name"`
	Account                    string `json:"account"`
	HomeRegion                 string `json:"homeRegion"`
	S3BucketName               string `json:"s3BucketName"`
	S3KeyPrefix                string `json:"s3KeyPrefix,omitempty"`
	SnsTopicName               string `json:"snsTopicName,omitempty"`
	KmsKeyID                   string `json:"kmsKeyId,omitempty"`
	IncludeGlobalServiceEvents bool   `json:"includeGlobalServiceEvents"`
	IsMultiRegion              bool   `json:"isMultiRegionTrail"`
	IsOrganization             bool   `json:"isOrganizationTrail"`
	LogFileValidation          bool   `json:"logFileValidationEnabled"`
	LogGroupArn                string `json:"cloudWatchLogsLogGroupArn,omitempty"`
	RoleArn                    string `json:"cloudWatchLogsRoleArn,omitempty"`
	Tags                       []tag  `json:"tags,omitempty"`

	// Exactly one of the two selector kinds is in effect.
	EventSelectors          []eventSelector    `json:"eventSelectors,omitempty"`
	AdvancedEventSelectors  []advancedSelector `json:"advancedEventSelectors,omitempty"`
	HasCustomEventSelectors bool               `json:"hasCustomEventSelectors,omitempty"`

	// Status. Scenarios set these to model a trail that stopped logging or
	// whose CloudWatch Logs delivery fails (e.g. the role lost permission).
	IsLogging                         bool       `json:"isLogging"`
	StartLoggingTime                  *time.Time `json:"startLoggingTime,omitempty"`
	StopLoggingTime                   *time.Time `json:"stopLoggingTime,omitempty"`
	LatestCloudWatchLogsDeliveryError string     `json:"latestCloudWatchLogsDeliveryError,omitempty"`
	LatestCloudWatchLogsDeliveryTime  *time.Time `json:"latestCloudWatchLogsDeliveryTime,omitempty"`
}

type eventSelector struct {
	ReadWriteType                 string         `json:"readWriteType"`
	IncludeManagementEvents       bool           `json:"includeManagementEvents"`
	DataResources                 []dataResource `json:"dataResources,omitempty"`
	ExcludeManagementEventSources []string       `json:"excludeManagementEventSources,omitempty"`
}

type dataResource struct {
	Type   string   `json:"type"`
	Values []string `json:"values,omitempty"`
}

type advancedSelector struct {
	Name           string          `json:"name,omitempty"`
	FieldSelectors []fieldSelector `json:"fieldSelectors"`
}

type fieldSelector struct {
	Field         string   `json:"field"`
	Equals        []string `json:"equals,omitempty"`
	StartsWith    []string `json:"startsWith,omitempty"`
	EndsWith      []string `json:"endsWith,omitempty"`
	NotEquals     []string `json:"notEquals,omitempty"`
	NotStartsWith []string `json:"notStartsWith,omitempty"`
	NotEndsWith   []string `json:"notEndsWith,omitempty"`
}

// fieldSelectorOps are the AdvancedFieldSelector operators, wire name → field.
var fieldSelectorOps = []struct {
	name string
	get  func(f *fieldSelector) *[]string
}{
	{"Equals", func(f *fieldSelector) *[]string { return &f.Equals }},
	{"StartsWith", func(f *fieldSelector) *[]string { return &f.StartsWith }},
	{"EndsWith", func(f *fieldSelector) *[]string { return &f.EndsWith }},
	{"NotEquals", func(f *fieldSelector) *[]string { return &f.NotEquals }},
	{"NotStartsWith", func(f *fieldSelector) *[]string { return &f.NotStartsWith }},
	{"NotEndsWith", func(f *fieldSelector) *[]string { return &f.NotEndsWith }},
}

// Limits from the CloudTrail API reference and quotas: five classic event
// selectors per trail, 500 conditions across advanced selectors, 250 data
// resources across classic selectors.
const (
	ctMaxEventSelectors     = 5
	ctMaxAdvancedConditions = 500
	ctMaxDataResources      = 250
)

var (
	trailNameRE       = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)
	adjacentSpecialRE = regexp.MustCompile(`[._-]{2}`)
	trailArnRE        = regexp.MustCompile(`^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)$`)
	logGroupRE        = regexp.MustCompile(`^arn:aws[a-z-]*:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(:\*)?$`)
	roleArnRE         = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[^/]+/)*([\w+=,.@-]+)$`)
	// The advanced event selector fields of the API reference
	// (AdvancedFieldSelector.Field).
	advancedFields = []string{"eventCategory", "eventSource", "eventName", "eventType", "readOnly",
		"resources.type", "resources.ARN", "errorCode", "sessionCredentialFromConsole",
		"userIdentity.arn", "vpcEndpointId"}
	managementSources = []string{"kms.amazonaws.com", "rdsdata.amazonaws.com"}
)

func init() {
	for action, h := range map[string]handlerFunc{
		"CreateTrail":       ctCreateTrail,
		"DeleteTrail":       ctDeleteTrail,
		"DescribeTrails":    ctDescribeTrails,
		"GetTrailStatus":    ctGetTrailStatus,
		"StartLogging":      ctStartLogging,
		"StopLogging":       ctStopLogging,
		"GetEventSelectors": ctGetEventSelectors,
		"PutEventSelectors": ctPutEventSelectors,
		"UpdateTrail":       ctUpdateTrail,
	} {
		register("cloudtrail", action, h)
	}
	onNewRegion(func(r *regionState) {
		if r.Trails == nil {
			r.Trails = map[string]*trail{}
		}
	})
}

func (t *trail) arn() string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", t.HomeRegion, t.Account, t.Name)
}

func checkTrailName(name string) *apiError {
	ok := len(name) >= 3 && len(name) <= 128 && trailNameRE.MatchString(name) &&
		!adjacentSpecialRE.MatchString(name) && net.ParseIP(name) == nil
	if !ok {
		return badRequest("InvalidTrailNameException", "Trail name %s is not valid. Trail names must be 3-128 characters of letters, numbers, periods, underscores and dashes, start and end with a letter or number, have no adjacent special characters and not look like an IP address.", name)
	}
	return nil
}

// visible reports whether caller (account, region) sees t: its own trails
// with home there, its multi-region trails anywhere (shadows), and the
// organization trails of its organization's management account.
func (st *state) trailVisible(t *trail, account, region string) bool {
	if t.HomeRegion != region && !t.IsMultiRegion {
		return false
	}
	if t.Account == account {
		return true
	}
	org := st.orgOf(account)
	return t.IsOrganization && org != nil && org.ManagementAccount == t.Account
}

// trailsSeenFrom lists every trail visible from (account, region), home
// trails first, each group sorted by name.
func (st *state) trailsSeenFrom(account, region string) []*trail {
	owners := []string{account}
	if org := st.orgOf(account); org != nil && org.ManagementAccount != account {
		owners = append(owners, org.ManagementAccount)
	}
	var home, shadows []*trail
	for _, owner := range owners {
		a := st.account(owner)
		if a == nil {
			continue
		}
		for _, r := range a.regionNames() {
			trails := a.region(r).Trails
			names := make([]string, 0, len(trails))
			for n := range trails {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				t := trails[n]
				switch {
				case !st.trailVisible(t, account, region):
				case t.Account == account && t.HomeRegion == region:
					home = append(home, t)
				default:
					shadows = append(shadows, t)
				}
			}
		}
	}
	return append(home, shadows...)
}

// lookupTrail resolves a Name/TrailName parameter (a name or a trail ARN)
// as seen from the caller. A name finds the caller's trail with that name
// in this region, its home or a shadow; shadowsByName=false restricts names
// to home trails (GetTrailStatus: "to get the status of a shadow trail …
// you must specify its ARN").
func (st *state) lookupTrail(c *call, key string, shadowsByName bool) (*trail, *apiError) {
	ref := c.str(key)
	if ref == "" {
		return nil, badRequest("InvalidTrailNameException", "Trail name or ARN can't be empty.")
	}
	if strings.HasPrefix(ref, "arn:") {
		m := trailArnRE.FindStringSubmatch(ref)
		if m == nil {
			return nil, badRequest("CloudTrailARNInvalidException", "%s is not a valid trail ARN: expected arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME.", ref)
		}
		if a := st.account(m[2]); a != nil {
			if t := a.region(m[1]).Trails[m[3]]; t != nil && st.trailVisible(t, c.Account, c.Region) {
				return t, nil
			}
		}
		return nil, badRequest("TrailNotFoundException", "Unknown trail: %s for the user: %s", ref, c.Account)
	}
	if err := checkTrailName(ref); err != nil {
		return nil, err
	}
	for _, t := range st.trailsSeenFrom(c.Account, c.Region) {
		if t.Name == ref && t.Account == c.Account && (shadowsByName || t.HomeRegion == c.Region) {
			return t, nil
		}
	}
	return nil, badRequest("TrailNotFoundException", "Unknown trail: %s for the user: %s", ref, c.Account)
}

// writableTrail resolves the trail of a write operation: only its home
// region and owner may change it.
func (st *state) writableTrail(c *call, key string) (*trail, *apiError) {
	t, err := st.lookupTrail(c, key, true)
	if err != nil {
		return nil, err
	}
	if t.Account != c.Account {
		return nil, badRequest("NotOrganizationMasterAccountException", "This operation can be performed only by the management account of the organization that owns trail %s.", t.arn())
	}
	if t.HomeRegion != c.Region {
		return nil, badRequest("InvalidHomeRegionException", "This operation must be called from the trail's home region, %s.", t.HomeRegion)
	}
	return t, nil
}

// checkOrganizationTrail enforces that only an organization's management
// account creates organization trails. The trail operations declare the
// older NotOrganizationMasterAccountException, not the
// NotOrganizationManagementAccountException of event data stores.
func (st *state) checkOrganizationTrail(account string) *apiError {
	org := st.orgOf(account)
	if org == nil {
		return badRequest("OrganizationsNotInUseException", "This account is not a member of an organization.")
	}
	if org.ManagementAccount != account {
		return badRequest("NotOrganizationMasterAccountException", "The request can only be made by the management account of the organization.")
	}
	return nil
}

// checkLogsDelivery validates a CloudWatchLogsLogGroupArn/RoleArn pair:
// both or neither, the log group must exist and the role must exist in IAM.
func (st *state) checkLogsDelivery(groupArn, roleArn string) *apiError {
	switch {
	case groupArn == "" && roleArn == "":
		return nil
	case groupArn == "":
		return badRequest("InvalidCloudWatchLogsLogGroupArnException", "You must specify a log group ARN together with the role ARN.")
	case roleArn == "":
		return badRequest("InvalidCloudWatchLogsRoleArnException", "You must specify a role ARN together with the log group ARN.")
	}
	m := logGroupRE.FindStringSubmatch(groupArn)
	if m == nil || st.logGroup(m[2], m[1], m[3]) == nil {
		return badRequest("InvalidCloudWatchLogsLogGroupArnException", "Access denied. Check the log group ARN %s: it must name an existing log group.", groupArn)
	}
	r := roleArnRE.FindStringSubmatch(roleArn)
	if r == nil {
		return badRequest("InvalidCloudWatchLogsRoleArnException", "%s is not a valid role ARN.", roleArn)
	}
	if a := st.account(r[1]); a == nil || a.Roles[r[2]] == nil {
		return badRequest("InvalidCloudWatchLogsRoleArnException", "Access denied. Verify in IAM that the role %s exists and has adequate permissions.", roleArn)
	}
	return nil
}

func ctCreateTrail(st *state, c *call) (map[string]any, error) {
	name := c.str("Name")
	if err := checkTrailName(name); err != nil {
		return nil, err
	}
	for _, t := range st.trailsSeenFrom(c.Account, c.Region) {
		if t.Name == name && t.Account == c.Account {
			return nil, badRequest("TrailAlreadyExistsException", "Trail %s already exists for customer: %s", name, c.Account)
		}
	}
	t := &trail{Name: name, Account: c.Account, HomeRegion: c.Region, IncludeGlobalServiceEvents: true,
		EventSelectors: []eventSelector{{ReadWriteType: "All", IncludeManagementEvents: true}}}
	if err := st.applyTrailInput(t, c); err != nil {
		return nil, err
	}
	if t.S3BucketName == "" {
		return nil, badRequest("InvalidS3BucketNameException", "S3BucketName is required.")
	}
	for _, it := range c.list("TagsList") {
		m, _ := it.(map[string]any)
		tc := c.sub(m)
		t.Tags = append(t.Tags, tag{Key: tc.str("Key"), Value: tc.str("Value")})
	}
	st.account(c.Account).region(c.Region).Trails[name] = t
	return t.configOut(), nil
}

// applyTrailInput sets the fields CreateTrail and UpdateTrail share, those
// present in the request only, and validates the result.
func (st *state) applyTrailInput(t *trail, c *call) *apiError {
	strs := []struct {
		key string
		dst *string
	}{{"S3BucketName", &t.S3BucketName}, {"S3KeyPrefix", &t.S3KeyPrefix}, {"SnsTopicName", &t.SnsTopicName}, {"KmsKeyId", &t.KmsKeyID}}
	for _, s := range strs {
		if c.has(s.key) {
			*s.dst = c.str(s.key)
		}
	}
	bools := []struct {
		key string
		dst *bool
	}{{"IncludeGlobalServiceEvents", &t.IncludeGlobalServiceEvents}, {"IsMultiRegionTrail", &t.IsMultiRegion},
		{"IsOrganizationTrail", &t.IsOrganization}, {"EnableLogFileValidation", &t.LogFileValidation}}
	for _, b := range bools {
		v, ok, err := c.boolean(b.key)
		if err != nil {
			return err
		}
		if ok {
			*b.dst = v
		}
	}
	if t.IsMultiRegion && !t.IncludeGlobalServiceEvents {
		return badRequest("InvalidParameterCombinationException", "Multi-Region trail must include global service events.")
	}
	if t.IsOrganization {
		if err := st.checkOrganizationTrail(c.Account); err != nil {
			return err
		}
	}
	if c.has("CloudWatchLogsLogGroupArn") || c.has("CloudWatchLogsRoleArn") {
		group, role := c.str("CloudWatchLogsLogGroupArn"), c.str("CloudWatchLogsRoleArn")
		if err := st.checkLogsDelivery(group, role); err != nil {
			return err
		}
		t.LogGroupArn, t.RoleArn = group, role
	}
	return nil
}

// configOut is the trail as CreateTrail and UpdateTrail return it.
func (t *trail) configOut() map[string]any {
	out := map[string]any{
		"Name":                       t.Name,
		"TrailARN":                   t.arn(),
		"S3BucketName":               t.S3BucketName,
		"IncludeGlobalServiceEvents": t.IncludeGlobalServiceEvents,
		"IsMultiRegionTrail":         t.IsMultiRegion,
		"IsOrganizationTrail":        t.IsOrganization,
		"LogFileValidationEnabled":   t.LogFileValidation,
	}
	set := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	set("S3KeyPrefix", t.S3KeyPrefix)
	set("KmsKeyId", t.KmsKeyID)
	set("CloudWatchLogsLogGroupArn", t.LogGroupArn)
	set("CloudWatchLogsRoleArn", t.RoleArn)
	if t.SnsTopicName != "" {
		out["SnsTopicName"] = t.SnsTopicName
		out["SnsTopicARN"] = fmt.Sprintf("arn:aws:sns:%s:%s:%s", t.HomeRegion, t.Account, t.SnsTopicName)
	}
	return out
}

// describeOut is the trail as DescribeTrails lists it.
func (t *trail) describeOut() map[string]any {
	out := t.configOut()
	out["HomeRegion"] = t.HomeRegion
	out["HasCustomEventSelectors"] = t.HasCustomEventSelectors
	out["HasInsightSelectors"] = false
	return out
}

func ctDescribeTrails(st *state, c *call) (map[string]any, error) {
	includeShadows, ok, err := c.boolean("includeShadowTrails")
	if err != nil {
		return nil, err
	}
	if !ok {
		includeShadows = true
	}
	seen := st.trailsSeenFrom(c.Account, c.Region)
	refs := c.strings("trailNameList")
	list := []any{}
	for _, t := range seen {
		shadow := t.HomeRegion != c.Region || t.Account != c.Account
		switch {
		case len(refs) == 0 && shadow && !includeShadows:
			continue
		case len(refs) > 0 && !slices.Contains(refs, t.arn()) && (shadow || !slices.Contains(refs, t.Name)):
			// Names select the caller's trails in this region only; other
			// regions' and accounts' trails are selected by ARN.
			continue
		}
		list = append(list, t.describeOut())
	}
	return map[string]any{"trailList": list}, nil
}

func ctGetTrailStatus(st *state, c *call) (map[string]any, error) {
	t, err := st.lookupTrail(c, "Name", false)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"IsLogging": t.IsLogging}
	if t.LatestCloudWatchLogsDeliveryError != "" {
		out["LatestCloudWatchLogsDeliveryError"] = t.LatestCloudWatchLogsDeliveryError
	}
	if t.LatestCloudWatchLogsDeliveryTime != nil {
		out["LatestCloudWatchLogsDeliveryTime"] = *t.LatestCloudWatchLogsDeliveryTime
	}
	if t.StartLoggingTime != nil {
		out["StartLoggingTime"] = *t.StartLoggingTime
		out["TimeLoggingStarted"] = t.StartLoggingTime.Format("2006-01-02T15:04:05Z")
	}
	if t.StopLoggingTime != nil {
		out["StopLoggingTime"] = *t.StopLoggingTime
		out["TimeLoggingStopped"] = t.StopLoggingTime.Format("2006-01-02T15:04:05Z")
	}
	return out, nil
}

func ctStartLogging(st *state, c *call) (map[string]any, error) {
	t, err := st.writableTrail(c, "Name")
	if err != nil {
		return nil, err
	}
	now := st.clock()
	t.IsLogging, t.StartLoggingTime = true, &now
	return map[string]any{}, nil
}

func ctStopLogging(st *state, c *call) (map[string]any, error) {
	t, err := st.writableTrail(c, "Name")
	if err != nil {
		return nil, err
	}
	t.stop(st.clock())
	return map[string]any{}, nil
}

// stop turns logging off at the given time.
func (t *trail) stop(at time.Time) {
	t.IsLogging, t.StopLoggingTime = false, &at
}

func ctDeleteTrail(st *state, c *call) (map[string]any, error) {
	t, err := st.writableTrail(c, "Name")
	if err != nil {
		return nil, err
	}
	delete(st.account(t.Account).region(t.HomeRegion).Trails, t.Name)
	return map[string]any{}, nil
}

func ctUpdateTrail(st *state, c *call) (map[string]any, error) {
	t, err := st.writableTrail(c, "Name")
	if err != nil {
		return nil, err
	}
	// Validate on a copy so that a rejected update changes nothing.
	next := *t
	if err := st.applyTrailInput(&next, c); err != nil {
		return nil, err
	}
	if next.S3BucketName == "" {
		return nil, badRequest("InvalidS3BucketNameException", "S3BucketName can't be empty.")
	}
	*t = next
	return t.configOut(), nil
}

func ctGetEventSelectors(st *state, c *call) (map[string]any, error) {
	t, err := st.lookupTrail(c, "TrailName", true)
	if err != nil {
		return nil, err
	}
	return t.selectorsOut(), nil
}

func (t *trail) selectorsOut() map[string]any {
	out := map[string]any{"TrailARN": t.arn()}
	if len(t.AdvancedEventSelectors) > 0 {
		sels := []any{}
		for _, s := range t.AdvancedEventSelectors {
			fields := []any{}
			for _, f := range s.FieldSelectors {
				fo := map[string]any{"Field": f.Field}
				for _, op := range fieldSelectorOps {
					if v := *op.get(&f); len(v) > 0 {
						fo[op.name] = stringsOut(v)
					}
				}
				fields = append(fields, fo)
			}
			so := map[string]any{"FieldSelectors": fields}
			if s.Name != "" {
				so["Name"] = s.Name
			}
			sels = append(sels, so)
		}
		out["AdvancedEventSelectors"] = sels
		return out
	}
	sels := []any{}
	for _, s := range t.EventSelectors {
		drs := []any{}
		for _, d := range s.DataResources {
			drs = append(drs, map[string]any{"Type": d.Type, "Values": stringsOut(d.Values)})
		}
		sels = append(sels, map[string]any{
			"ReadWriteType":                 s.ReadWriteType,
			"IncludeManagementEvents":       s.IncludeManagementEvents,
			"DataResources":                 drs,
			"ExcludeManagementEventSources": stringsOut(s.ExcludeManagementEventSources),
		})
	}
	out["EventSelectors"] = sels
	return out
}

func ctPutEventSelectors(st *state, c *call) (map[string]any, error) {
	t, err := st.writableTrail(c, "TrailName")
	if err != nil {
		return nil, err
	}
	// The SDK declares no InvalidParameterCombinationException here: AWS
	// reports the mix-up as InvalidEventSelectorsException.
	classic, advanced := c.has("EventSelectors"), c.has("AdvancedEventSelectors")
	if classic == advanced {
		return nil, invalidSelectors("Specify either EventSelectors or AdvancedEventSelectors, but not both.")
	}
	if classic {
		sels, err := parseEventSelectors(c)
		if err != nil {
			return nil, err
		}
		t.EventSelectors, t.AdvancedEventSelectors = sels, nil
	} else {
		sels, err := parseAdvancedSelectors(c)
		if err != nil {
			return nil, err
		}
		t.EventSelectors, t.AdvancedEventSelectors = nil, sels
	}
	t.HasCustomEventSelectors = true
	return t.selectorsOut(), nil
}

func invalidSelectors(format string, args ...any) *apiError {
	return badRequest("InvalidEventSelectorsException", format, args...)
}

func parseEventSelectors(c *call) ([]eventSelector, *apiError) {
	items := c.list("EventSelectors")
	if len(items) > ctMaxEventSelectors {
		return nil, invalidSelectors("A trail can have at most %d event selectors; got %d.", ctMaxEventSelectors, len(items))
	}
	var out []eventSelector
	resources := 0
	for _, it := range items {
		m, _ := it.(map[string]any)
		s := c.sub(m)
		sel := eventSelector{ReadWriteType: s.str("ReadWriteType"), IncludeManagementEvents: true,
			ExcludeManagementEventSources: s.strings("ExcludeManagementEventSources")}
		if sel.ReadWriteType == "" {
			sel.ReadWriteType = "All"
		}
		if !slices.Contains([]string{"ReadOnly", "WriteOnly", "All"}, sel.ReadWriteType) {
			return nil, invalidSelectors("ReadWriteType %s is not valid: use ReadOnly, WriteOnly or All.", sel.ReadWriteType)
		}
		if v, ok, err := s.boolean("IncludeManagementEvents"); err != nil {
			return nil, err
		} else if ok {
			sel.IncludeManagementEvents = v
		}
		for _, src := range sel.ExcludeManagementEventSources {
			if !slices.Contains(managementSources, src) {
				return nil, invalidSelectors("ExcludeManagementEventSources value %s is not valid: use %s.", src, strings.Join(managementSources, " or "))
			}
		}
		for _, d := range s.list("DataResources") {
			dm, _ := d.(map[string]any)
			dc := c.sub(dm)
			dr := dataResource{Type: dc.str("Type"), Values: dc.strings("Values")}
			if dr.Type == "" {
				return nil, invalidSelectors("A data resource needs a Type.")
			}
			resources += len(dr.Values)
			sel.DataResources = append(sel.DataResources, dr)
		}
		out = append(out, sel)
	}
	if resources > ctMaxDataResources {
		return nil, invalidSelectors("A trail can have at most %d data resources across its event selectors.", ctMaxDataResources)
	}
	return out, nil
}

func parseAdvancedSelectors(c *call) ([]advancedSelector, *apiError) {
	var out []advancedSelector
	conditions := 0
	for _, it := range c.list("AdvancedEventSelectors") {
		m, _ := it.(map[string]any)
		s := c.sub(m)
		sel := advancedSelector{Name: s.str("Name")}
		hasCategory := false
		for _, f := range s.list("FieldSelectors") {
			fm, _ := f.(map[string]any)
			fc := c.sub(fm)
			fs := fieldSelector{Field: fc.str("Field")}
			if !slices.Contains(advancedFields, fs.Field) {
				return nil, invalidSelectors("Field %s is not a valid advanced event selector field.", fs.Field)
			}
			n := 0
			for _, op := range fieldSelectorOps {
				vals := fc.strings(op.name)
				*op.get(&fs) = vals
				n += len(vals)
			}
			if n == 0 {
				return nil, invalidSelectors("Field selector %s must have at least one operator with a value.", fs.Field)
			}
			conditions += n
			hasCategory = hasCategory || fs.Field == "eventCategory"
			sel.FieldSelectors = append(sel.FieldSelectors, fs)
		}
		if !hasCategory {
			return nil, invalidSelectors("Each advanced event selector must have an eventCategory field selector.")
		}
		out = append(out, sel)
	}
	if len(out) == 0 {
		return nil, invalidSelectors("AdvancedEventSelectors must not be empty.")
	}
	if conditions > ctMaxAdvancedConditions {
		return nil, invalidSelectors("Advanced event selectors can have at most %d conditions in total.", ctMaxAdvancedConditions)
	}
	return out, nil
}
