package control

// Trigger is a drill's harmless change for a control: one call the
// control's filter must catch, and the call that undoes it at once. A
// control with no such change has NotDrillable set and nothing else.
type Trigger struct {
	// Kind names what the drill makes; internal/drill knows each kind.
	Kind TriggerKind
	// Description is the change as a person reads it before agreeing.
	Description string
	// Event is the CloudTrail event name of the call the filter must catch
	// (the first of Calls); the drill finds its record by request ID.
	Event string
	// Calls are the IAM actions the drill makes, in order: the trigger and
	// its clean-up. docs/iam/drill-policy.json grants them.
	Calls []string
	// Reads are the IAM actions the trigger needs beyond check's (the
	// default VPC's ID).
	Reads []string
	// NotDrillable is why the control has no harmless change.
	NotDrillable string
}

// TriggerKind is a kind of harmless change.
type TriggerKind string

const (
	// TriggerStartLogging calls StartLogging on the trail the verdict
	// rests on, which is already logging: CloudTrail records the call and
	// nothing changes.
	TriggerStartLogging TriggerKind = "start-logging"
	// The others create one empty resource in the default VPC (or, for an
	// internet gateway, attached to nothing), tagged as trailwatch's, and
	// delete it at once.
	TriggerSecurityGroup   TriggerKind = "security-group"
	TriggerNetworkACL      TriggerKind = "network-acl"
	TriggerRouteTable      TriggerKind = "route-table"
	TriggerInternetGateway TriggerKind = "internet-gateway"
)

// Drillable reports whether the control has a trigger.
func (c Control) Drillable() bool { return c.Drill != nil && c.Drill.NotDrillable == "" }

// notDrillable is a trigger that says why there is none.
func notDrillable(why string) *Trigger { return &Trigger{NotDrillable: why} }

var describeVpcs = []string{"ec2:DescribeVpcs"}

// triggers are the drills of the registered controls, by ID.
var triggers = map[string]*Trigger{
	defaultID: {Kind: TriggerStartLogging, Event: "StartLogging",
		Description: "StartLogging on the trail, which is already logging: CloudTrail records the call and nothing changes",
		Calls:       []string{"cloudtrail:StartLogging"}},
	"security-group-changes": {Kind: TriggerSecurityGroup, Event: "CreateSecurityGroup",
		Description: "create an empty security group in the default VPC, tagged trailwatch:drill, and delete it at once",
		Calls:       []string{"ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup"}, Reads: describeVpcs},
	"nacl-changes": {Kind: TriggerNetworkACL, Event: "CreateNetworkAcl",
		Description: "create a network ACL in the default VPC, associated with no subnet and tagged trailwatch:drill, and delete it at once",
		Calls:       []string{"ec2:CreateNetworkAcl", "ec2:DeleteNetworkAcl"}, Reads: describeVpcs},
	"route-table-changes": {Kind: TriggerRouteTable, Event: "CreateRouteTable",
		Description: "create a route table in the default VPC, associated with no subnet and tagged trailwatch:drill, and delete it at once",
		Calls:       []string{"ec2:CreateRouteTable", "ec2:DeleteRouteTable"}, Reads: describeVpcs},
	"network-gateway-changes": {Kind: TriggerInternetGateway, Event: "CreateInternetGateway",
		Description: "create an internet gateway attached to no VPC, tagged trailwatch:drill, and delete it at once",
		Calls:       []string{"ec2:CreateInternetGateway", "ec2:DeleteInternetGateway"}},

	"unauthorized-api-calls":     notDrillable("the filter counts calls AWS refuses; trailwatch's own calls are allowed, and making one refused would mean changing IAM"),
	"console-signin-without-mfa": notDrillable("a console sign-in happens in a browser, not through an API call trailwatch could make"),
	"root-usage":                 notDrillable("only the root user's own activity counts, and trailwatch never uses the root user's credentials"),
	"iam-policy-changes":         notDrillable("every event changes who may do what in the account (IAM is global); trailwatch makes no IAM change to test an alarm"),
	"console-auth-failures":      notDrillable("a failed console sign-in happens in a browser, not through an API call trailwatch could make"),
	"cmk-disable-or-deletion":    notDrillable("disabling a key or scheduling its deletion breaks whatever the key encrypts; a key made for the drill is billed and cannot be deleted for at least 7 days"),
	"s3-bucket-policy-changes":   notDrillable("every event changes a bucket's access, CORS, lifecycle or replication; trailwatch changes no bucket to test an alarm"),
	"config-changes":             notDrillable("every event stops or reconfigures AWS Config's recording or delivery"),
	"vpc-changes":                notDrillable("creating a VPC also creates its main route table, network ACL and security group and counts against the Region's VPC quota; the other events change live networks"),
	"organizations-changes":      notDrillable("every event changes the organization: its accounts, units or policies"),
}
