package sandbox

import (
	"fmt"
	"regexp"
	"sort"
	"time"
)

// state is the whole emulated world: accounts, their regions and resources.
// It is plain data so /_sandbox/state can dump it as JSON and load it back;
// the Server's mutex guards it and handlers always run with it held.
type state struct {
	Accounts map[string]*account `json:"accounts"`
	// AccessKeys maps every access key ID the sandbox accepts to its account:
	// the long-term keys of each account and the temporary keys AssumeRole hands out.
	AccessKeys map[string]string `json:"accessKeys"`
	// Sessions describes the temporary keys among AccessKeys: which role
	// session they stand for.
	Sessions map[string]*roleSession `json:"sessions,omitempty"`
	// Organization is nil when no account belongs to an organization.
	Organization *organization `json:"organization,omitempty"`
	// TestMetricFilterAnswer overrides logs:TestMetricFilter for tests of
	// check --verify-patterns (logs_pattern.go reads it):
	// "" evaluates with the pattern engine, "none" matches no event, "all"
	// matches every event.
	TestMetricFilterAnswer string `json:"testMetricFilterAnswer,omitempty"`
	// Seq numbers generated IDs (subscriptions, temporary keys) so that runs
	// are reproducible.
	Seq int64 `json:"seq"`

	now func() time.Time // the Server's clock
}

// clock is the current time as the sandbox sees it (pinned in tests).
func (st *state) clock() time.Time {
	if st.now == nil {
		return time.Now().UTC()
	}
	return st.now().UTC()
}

// account is one AWS account. IAM is global, so roles live here; everything
// regional lives in Regions.
type account struct {
	ID      string                  `json:"id"`
	Roles   map[string]*iamRole     `json:"roles,omitempty"` // by role name
	Regions map[string]*regionState `json:"regions,omitempty"`
}

// roleSession is an assumed role, as AssumeRole handed it out.
type roleSession struct {
	RoleARN     string    `json:"roleArn"`
	RoleID      string    `json:"roleId"`
	SessionName string    `json:"sessionName"`
	Expires     time.Time `json:"expires"`
}

// organization is the AWS Organization the member accounts belong to
// (organizations.go serves it).
type organization struct {
	ID                string   `json:"id"`
	ManagementAccount string   `json:"managementAccount"`
	Members           []string `json:"members"` // account IDs, management included
	// DelegatedAdmins are members that may list the organization too.
	DelegatedAdmins []string `json:"delegatedAdmins,omitempty"`
	// RootID is the one root; empty: derived from ID.
	RootID string     `json:"rootId,omitempty"`
	Units  []*orgUnit `json:"units,omitempty"`
	// Parent is a member's OU; members not in it sit in the root.
	Parent map[string]string `json:"parent,omitempty"`
	// States are members not ACTIVE (SUSPENDED, PENDING_CLOSURE, CLOSED).
	States map[string]string `json:"states,omitempty"`
	Names  map[string]string `json:"names,omitempty"`
}

// orgUnit is an organizational unit; Parent is the root's or another OU's ID.
type orgUnit struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Parent string `json:"parent"`
}

// regionState holds one account's resources in one region. Each service
// owns a section; add your fields to your section (JSON-taggable plain data,
// maps keyed by name or ARN) and make maps non-nil with onNewRegion.
type regionState struct {
	// SNS (sns.go)
	Topics        map[string]*snsTopic        `json:"topics,omitempty"`        // by topic ARN
	Subscriptions map[string]*snsSubscription `json:"subscriptions,omitempty"` // by subscription ARN

	// CloudTrail (cloudtrail.go)
	Trails map[string]*trail `json:"trails,omitempty"` // trails whose home region this is, by name

	// CloudWatch Logs (logs.go)
	LogGroups map[string]*logGroup `json:"logGroups,omitempty"` // by name

	// CloudWatch (cloudwatch.go)
	Alarms map[string]*metricAlarm `json:"alarms,omitempty"` // metric alarms by name

	// The pipeline (pipeline.go): metric datapoints the filters emitted and
	// the alarms' history, oldest first.
	Datapoints   []datapoint        `json:"datapoints,omitempty"`
	AlarmHistory []alarmHistoryItem `json:"alarmHistory,omitempty"`

	// EC2 (ec2.go): the default VPC and the drill's inert resources, by ID
	VPCs             map[string]*ec2VPC      `json:"vpcs,omitempty"`
	SecurityGroups   map[string]*ec2Resource `json:"securityGroups,omitempty"`
	NetworkACLs      map[string]*ec2Resource `json:"networkAcls,omitempty"`
	RouteTables      map[string]*ec2Resource `json:"routeTables,omitempty"`
	InternetGateways map[string]*ec2Resource `json:"internetGateways,omitempty"`

	// KMS (kms.go)
	Keys    map[string]*kmsKey `json:"keys,omitempty"`    // by key ID
	Aliases map[string]string  `json:"aliases,omitempty"` // alias name (alias/…) → key ID
}

// regionInits make a region's maps non-nil. They run each time a region is
// reached through account.region, so they also repair regions loaded from a
// state file that omitted empty maps; each must only fill nil fields.
var regionInits []func(r *regionState)

// onNewRegion registers an initializer for regionState fields; call it from init().
func onNewRegion(f func(r *regionState)) { regionInits = append(regionInits, f) }

func init() {
	onNewRegion(func(r *regionState) {
		if r.Topics == nil {
			r.Topics = map[string]*snsTopic{}
		}
		if r.Subscriptions == nil {
			r.Subscriptions = map[string]*snsSubscription{}
		}
	})
}

func newState() *state {
	return &state{Accounts: map[string]*account{}, AccessKeys: map[string]string{}, Sessions: map[string]*roleSession{}}
}

// addAccount creates the account (if new) and makes accessKey authenticate as it.
func (st *state) addAccount(id, accessKey string) *account {
	a := st.Accounts[id]
	if a == nil {
		a = &account{ID: id}
		st.Accounts[id] = a
	}
	if accessKey != "" {
		st.AccessKeys[accessKey] = id
	}
	return a
}

// account returns an existing account, or nil.
func (st *state) account(id string) *account {
	a := st.Accounts[id]
	if a != nil && a.Roles == nil {
		a.Roles = map[string]*iamRole{}
	}
	return a
}

// region returns the account's state in region r, creating it on first use.
func (a *account) region(r string) *regionState {
	if a.Regions == nil {
		a.Regions = map[string]*regionState{}
	}
	rs := a.Regions[r]
	if rs == nil {
		rs = &regionState{}
		a.Regions[r] = rs
	}
	for _, f := range regionInits {
		f(rs)
	}
	return rs
}

// regionNames lists the regions the account has state in, sorted, for
// handlers that must look across regions (e.g. multi-region trails).
func (a *account) regionNames() []string {
	names := make([]string, 0, len(a.Regions))
	for r := range a.Regions {
		names = append(names, r)
	}
	sort.Strings(names)
	return names
}

// orgOf returns the organization the account belongs to, or nil.
func (st *state) orgOf(accountID string) *organization {
	if st.Organization == nil {
		return nil
	}
	for _, m := range st.Organization.Members {
		if m == accountID {
			return st.Organization
		}
	}
	return nil
}

// nextID returns a new sequence number for generated identifiers.
func (st *state) nextID() int64 {
	st.Seq++
	return st.Seq
}

var accountIDRE = regexp.MustCompile(`^\d{12}$`)

// validate checks a loaded state's references, so a hand-written state file
// fails at load time rather than in the middle of a request.
func (st *state) validate() error {
	if st.Accounts == nil {
		st.Accounts = map[string]*account{}
	}
	if st.AccessKeys == nil {
		st.AccessKeys = map[string]string{}
	}
	if st.Sessions == nil {
		st.Sessions = map[string]*roleSession{}
	}
	for id, a := range st.Accounts {
		if !accountIDRE.MatchString(id) {
			return fmt.Errorf("account %q: want a 12-digit account ID", id)
		}
		if a == nil || a.ID != id {
			return fmt.Errorf("account %q: id field must equal its key", id)
		}
	}
	for key, id := range st.AccessKeys {
		if st.Accounts[id] == nil {
			return fmt.Errorf("access key %q: unknown account %q", key, id)
		}
	}
	if err := checkTestAnswer(st.TestMetricFilterAnswer); err != nil {
		return err
	}
	if o := st.Organization; o != nil {
		if err := o.validate(st); err != nil {
			return err
		}
	}
	return nil
}
