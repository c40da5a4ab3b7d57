package control

import (
	"slices"
	"strings"
)

// The CIS AWS Foundations Benchmark's Monitoring section: fifteen controls of
// one shape. Numbers: v1.2 section 3, v1.3–v5.0 section 4, v6.0+ section 5.
// Texts: Security Hub's where Security Hub has the control ("AWS Security Hub
// controls for CloudWatch"), else CIS's latest; published variants are in
// the tests.

// cis numbers a control n of the Monitoring section in every numbering;
// v12 is false for a control CIS v1.2 did not have.
func cis(n string, v12 bool) []CISNumber {
	out := []CISNumber{{ID: "4." + n, From: "1.3.0", To: "5.0.0"}, {ID: "5." + n, From: "6.0.0"}}
	if v12 {
		out = append([]CISNumber{{ID: "3." + n, From: "1.2.0", To: "1.2.0"}}, out...)
	}
	return out
}

// refusal is a service's refusal of a call: its error code and message.
type refusal struct{ code, message string }

var (
	ec2Refusal  = refusal{"Client.UnauthorizedOperation", "You are not authorized to perform this operation."}
	iamRefusal  = refusal{"AccessDenied", ""}
	s3Refusal   = refusal{"AccessDenied", "Access Denied"}
	kmsRefusal  = refusal{"AccessDeniedException", ""}
	jsonRefusal = refusal{"AccessDeniedException", ""}
)

// service is where a control's calls go: its event source, the resource a
// refusal names and how it refuses.
type service struct {
	source   string
	resource string
	refusal  refusal
}

var (
	ec2Service    = service{"ec2.amazonaws.com", "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-0a1b2c3d4e5f67890", ec2Refusal}
	iamService    = service{"iam.amazonaws.com", "arn:aws:iam::111122223333:role/app", iamRefusal}
	s3Service     = service{"s3.amazonaws.com", "arn:aws:s3:::my-data-bucket", s3Refusal}
	kmsService    = service{"kms.amazonaws.com", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", kmsRefusal}
	configService = service{"config.amazonaws.com", "arn:aws:config:us-east-1:111122223333:config-recorder/default", jsonRefusal}
	orgService    = service{"organizations.amazonaws.com", "arn:aws:organizations::111122223333:root/o-a1b2c3d4e5/r-ab12", iamRefusal}
)

// call is one call to s with the given requestParameters.
func (s service) call(event string, params any) Call {
	return Call{Source: s.source, Event: event, Params: params, Resource: s.resource,
		ErrorCode: s.refusal.code, ErrorMessage: s.refusal.message}
}

// calls are calls to s, each with a parameter naming the resource.
func (s service) calls(param, value string, events ...string) []Call {
	out := make([]Call, len(events))
	for i, e := range events {
		out[i] = s.call(e, map[string]string{param: value})
	}
	return out
}

// eventsControl is a control that must catch a list of calls.
func eventsControl(c Control, calls []Call, leaveOut ...Record) Control {
	for _, call := range calls {
		c.Events = append(c.Events, call.Event)
	}
	c.Records = append(MustCatch(calls...), leaveOut...)
	return c
}

// orOfNames is `{ ($.eventName = A) || … }`, the shape of most texts.
func orOfNames(events ...string) string {
	clauses := make([]string, len(events))
	for i, e := range events {
		clauses[i] = "($.eventName = " + e + ")"
	}
	return "{ " + strings.Join(clauses, " || ") + " }"
}

func alarmDescription(number, what string) string {
	return "CIS AWS " + number + ": " + what + ". Managed by trailwatch."
}

func unauthorizedAPICalls() Control {
	callers := Callers()
	iamUser, role := callers[0], callers[2]
	c := Control{
		ID: "unauthorized-api-calls", Title: "Ensure unauthorized API calls are monitored", SecurityHub: "CloudWatch.2",
		CIS:      cis("1", true),
		Pattern:  `{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`,
		NameStem: "unauthorized-api-calls", Namespace: "CISBenchmark", MetricName: "UnauthorizedAPICalls",
		AlarmDescription: alarmDescription("4.1", "API calls refused for lack of permission"),
	}
	refused := []Call{
		ec2Service.call("RunInstances", map[string]any{"instanceType": "t3.micro", "minCount": 1, "maxCount": 1}),
		s3Service.call("GetBucketPolicy", map[string]string{"bucketName": "my-data-bucket", "Host": "my-data-bucket.s3.us-east-1.amazonaws.com"}),
		iamService.call("ListUsers", nil),
		kmsService.call("Decrypt", map[string]string{"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
		{Source: "lambda.amazonaws.com", Event: "ListFunctions20150331", Resource: "*", ErrorCode: "AccessDenied"},
	}
	for _, call := range refused {
		c.Events = append(c.Events, call.Event)
		// Identity policies refuse IAM users and role sessions; root and
		// services calling for themselves are not refused this way.
		c.Records = append(c.Records, call.Record(iamUser, true), call.Record(role, true))
	}
	headBucket := s3Service.call("HeadBucket", map[string]string{"bucketName": "my-data-bucket"})
	delivery := s3Service.call("PutObject", map[string]string{"bucketName": "my-trail-bucket", "key": "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/log.json.gz"})
	c.Records = append(c.Records,
		kind(headBucket.Record(iamUser, true), LeaveOut),
		kind(delivery.Record(ServiceCaller("delivery.logs.amazonaws.com"), true), LeaveOut))
	return c
}

func consoleSigninWithoutMFA() Control {
	callers := Callers()
	iamUser, root, role := callers[0], callers[1], callers[2]
	c := Control{
		ID: "console-signin-without-mfa", Title: "Ensure management console sign-in without MFA is monitored", SecurityHub: "CloudWatch.3",
		CIS:     cis("2", true),
		Events:  []string{"ConsoleLogin"},
		Pattern: `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }`,
		Records: []Record{
			signin(iamUser, "No", ""),
			kind(signin(iamUser, "Yes", ""), LeaveOut),
			kind(signin(root, "No", ""), LeaveOut),
			kind(signin(role, "No", ""), LeaveOut),
			kind(signin(iamUser, "No", "Failed authentication"), LeaveOut),
		},
		NameStem: "console-signin-without-mfa", Namespace: "CISBenchmark", MetricName: "ConsoleSigninWithoutMFA",
		AlarmDescription: alarmDescription("4.2", "a console sign-in without MFA"),
		Trail:            TrailNeeds{EventSources: []string{"signin.amazonaws.com"}, GlobalServiceEvents: true},
	}
	return c
}

func rootUsage() Control {
	callers := Callers()
	iamUser, root := callers[0], callers[1]
	rootAPI := iamService.call("CreateAccessKey", nil)
	rootConsoleAction := iamService.call("UpdateAccountPasswordPolicy", map[string]any{"minimumPasswordLength": 14})
	signinInvoked := root
	signinInvoked.identity.InvokedBy = "signin.amazonaws.com"
	serviceEvent := Call{Source: "kms.amazonaws.com", Event: "RotateKey", EventType: "AwsServiceEvent"}
	return Control{
		ID: "root-usage", Title: `Ensure usage of the "root" account is monitored`, SecurityHub: "CloudWatch.1",
		CIS:     append([]CISNumber{{ID: "1.1", From: "1.2.0", To: "1.2.0"}, {ID: "1.7", From: "1.4.0", To: "1.4.0"}}, cis("3", true)...),
		Events:  []string{"ConsoleLogin", "CreateAccessKey"},
		Pattern: `{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`,
		Records: []Record{
			signin(root, "Yes", ""),
			rootAPI.Record(root, false),
			kind(rootConsoleAction.Record(signinInvoked, false), LeaveOut),
			kind(serviceEvent.Record(ServiceCaller("kms.amazonaws.com"), false), LeaveOut),
			kind(rootAPI.Record(iamUser, false), LeaveOut),
		},
		NameStem: "root-usage", Namespace: "CISBenchmark", MetricName: "RootAccountUsage",
		AlarmDescription: alarmDescription("4.3", `a use of the "root" account`),
		Trail:            TrailNeeds{GlobalServiceEvents: true},
	}
}

func iamPolicyChanges() Control {
	iamEvents := []string{"DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy",
		"CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy",
		"AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy"}
	iamPattern := "{" + strings.ReplaceAll(strings.ReplaceAll(strings.Trim(orOfNames(iamEvents...), "{} "), " = ", "="), " || ", "||") + "}"
	c := eventsControl(Control{
		ID: "iam-policy-changes", Title: "Ensure IAM policy changes are monitored", SecurityHub: "CloudWatch.4",
		CIS: cis("4", true), Pattern: iamPattern,
		NameStem: "iam-policy-changes", Namespace: "CISBenchmark", MetricName: "IAMPolicyChanges",
		AlarmDescription: alarmDescription("4.4", "an IAM policy change"),
		Trail:            TrailNeeds{EventSources: []string{"iam.amazonaws.com"}, GlobalServiceEvents: true},
	}, iamService.calls("policyArn", "arn:aws:iam::111122223333:policy/app", iamEvents...),
		MayLeaveOut(iamService.call("GetPolicy", map[string]string{"policyArn": "arn:aws:iam::111122223333:policy/app"}), CallerIAMUser))
	return c
}

func consoleAuthFailures() Control {
	callers := Callers()
	iamUser, root := callers[0], callers[1]
	c := Control{
		ID: "console-auth-failures", Title: "Ensure AWS Management Console authentication failures are monitored", SecurityHub: "CloudWatch.6",
		CIS:     cis("6", true),
		Events:  []string{"ConsoleLogin"},
		Pattern: `{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }`,
		Records: []Record{
			signin(iamUser, "No", "Failed authentication"),
			signin(root, "No", "Failed authentication"),
			// An unknown user name fails with another message; CIS's text
			// misses it, which is worth saying, not a failure of the text.
			kind(signin(iamUser, "No", "No username found in supplied account"), Attempt),
			kind(signin(iamUser, "Yes", ""), LeaveOut),
		},
		NameStem: "console-auth-failures", Namespace: "CISBenchmark", MetricName: "ConsoleAuthenticationFailures",
		AlarmDescription: alarmDescription("4.6", "a failed console sign-in"),
		Trail:            TrailNeeds{EventSources: []string{"signin.amazonaws.com"}, GlobalServiceEvents: true},
	}
	return c
}

func cmkDisableOrDeletion() Control {
	keyParams := map[string]string{"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}
	c := eventsControl(Control{
		ID: "cmk-disable-or-deletion", Title: "Ensure disabling or scheduled deletion of customer created CMKs is monitored", SecurityHub: "CloudWatch.7",
		CIS:      cis("7", true),
		Pattern:  `{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }`,
		NameStem: "cmk-disable-or-deletion", Namespace: "CISBenchmark", MetricName: "DisableOrDeleteCMK",
		AlarmDescription: alarmDescription("4.7", "a customer managed key disabled or scheduled for deletion"),
		Trail:            TrailNeeds{EventSources: []string{"kms.amazonaws.com"}},
	}, []Call{kmsService.call("DisableKey", keyParams), kmsService.call("ScheduleKeyDeletion", map[string]any{"keyId": keyParams["keyId"], "pendingWindowInDays": 7})},
		MayLeaveOut(kmsService.call("DescribeKey", keyParams), CallerIAMUser))
	return c
}

func s3BucketPolicyChanges() Control {
	s3Events := []string{"PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
		"DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication"}
	c := eventsControl(Control{
		ID: "s3-bucket-policy-changes", Title: "Ensure S3 bucket policy changes are monitored", SecurityHub: "CloudWatch.8",
		CIS:      cis("8", true),
		Pattern:  "{ ($.eventSource = s3.amazonaws.com) && (" + strings.Trim(orOfNames(s3Events...), "{} ") + ") }",
		NameStem: "s3-bucket-policy-changes", Namespace: "CISBenchmark", MetricName: "S3BucketPolicyChanges",
		AlarmDescription: alarmDescription("4.8", "an S3 bucket policy change"),
		Trail:            TrailNeeds{EventSources: []string{"s3.amazonaws.com"}},
	}, s3Service.calls("bucketName", "my-data-bucket", s3Events...),
		MayLeaveOut(s3Service.call("GetBucketPolicy", map[string]string{"bucketName": "my-data-bucket"}), CallerIAMUser))
	return c
}

func configChanges() Control {
	configEvents := []string{"StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"}
	c := eventsControl(Control{
		ID: "config-changes", Title: "Ensure AWS Config configuration changes are monitored", SecurityHub: "CloudWatch.9",
		CIS:      cis("9", true),
		Pattern:  `{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }`,
		NameStem: "config-changes", Namespace: "CISBenchmark", MetricName: "AWSConfigChanges",
		AlarmDescription: alarmDescription("4.9", "an AWS Config configuration change"),
		Trail:            TrailNeeds{EventSources: []string{"config.amazonaws.com"}},
	}, configService.calls("configurationRecorderName", "default", configEvents...),
		MayLeaveOut(configService.call("DescribeConfigurationRecorders", nil), CallerIAMUser))
	return c
}

func securityGroupChanges() Control {
	sgEvents := []string{"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
		"RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup", "ModifySecurityGroupRules"}
	c := eventsControl(Control{
		ID: "security-group-changes", Title: "Ensure security group changes are monitored", SecurityHub: "CloudWatch.10",
		CIS: cis("10", true),
		// CIS v5.0 added ModifySecurityGroupRules, which changes rules without
		// the Authorize/Revoke calls; Security Hub's text predates it.
		Pattern:            orOfNames(sgEvents...),
		SecurityHubPattern: orOfNames(sgEvents[:6]...),
		NameStem:           "security-group-changes", Namespace: "CISBenchmark", MetricName: "SecurityGroupChanges",
		AlarmDescription: alarmDescription("4.10", "a security group change"),
		Trail:            TrailNeeds{EventSources: []string{"ec2.amazonaws.com"}},
	}, ec2Service.calls("groupId", "sg-0123456789abcdef0", sgEvents...),
		MayLeaveOut(ec2Service.call("DescribeSecurityGroups", nil), CallerIAMUser))
	return c
}

func naclChanges() Control {
	naclEvents := []string{"CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
		"ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"}
	c := eventsControl(Control{
		ID: "nacl-changes", Title: "Ensure Network Access Control Lists (NACL) changes are monitored", SecurityHub: "CloudWatch.11",
		CIS: cis("11", true), Pattern: orOfNames(naclEvents...),
		NameStem: "nacl-changes", Namespace: "CISBenchmark", MetricName: "NACLChanges",
		AlarmDescription: alarmDescription("4.11", "a network ACL change"),
		Trail:            TrailNeeds{EventSources: []string{"ec2.amazonaws.com"}},
	}, ec2Service.calls("networkAclId", "acl-0123456789abcdef0", naclEvents...),
		MayLeaveOut(ec2Service.call("DescribeNetworkAcls", nil), CallerIAMUser))
	return c
}

func networkGatewayChanges() Control {
	gatewayEvents := []string{"CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
		"DeleteInternetGateway", "DetachInternetGateway"}
	c := eventsControl(Control{
		ID: "network-gateway-changes", Title: "Ensure changes to network gateways are monitored", SecurityHub: "CloudWatch.12",
		CIS: cis("12", true), Pattern: orOfNames(gatewayEvents...),
		NameStem: "network-gateway-changes", Namespace: "CISBenchmark", MetricName: "NetworkGatewayChanges",
		AlarmDescription: alarmDescription("4.12", "a network gateway change"),
		Trail:            TrailNeeds{EventSources: []string{"ec2.amazonaws.com"}},
	}, ec2Service.calls("internetGatewayId", "igw-0123456789abcdef0", gatewayEvents...),
		MayLeaveOut(ec2Service.call("DescribeInternetGateways", nil), CallerIAMUser))
	return c
}

func routeTableChanges() Control {
	routeEvents := []string{"CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
		"DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable"}
	c := eventsControl(Control{
		ID: "route-table-changes", Title: "Ensure route table changes are monitored", SecurityHub: "CloudWatch.13",
		CIS: cis("13", true), Pattern: orOfNames(routeEvents...),
		NameStem: "route-table-changes", Namespace: "CISBenchmark", MetricName: "RouteTableChanges",
		AlarmDescription: alarmDescription("4.13", "a route table change"),
		Trail:            TrailNeeds{EventSources: []string{"ec2.amazonaws.com"}},
	}, ec2Service.calls("routeTableId", "rtb-0123456789abcdef0", routeEvents...),
		MayLeaveOut(ec2Service.call("DescribeRouteTables", nil), CallerIAMUser))
	return c
}

func vpcChanges() Control {
	vpcEvents := []string{"CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
		"CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection"}
	classicLink := []string{"AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink"}
	var classicRecords []Record
	for _, call := range ec2Service.calls("vpcId", "vpc-0a1b2c3d4e5f67890", classicLink...) {
		// EC2-Classic was retired in 2022: nobody can make these calls now.
		classicRecords = append(classicRecords, MayLeaveOut(call, CallerIAMUser))
	}
	c := eventsControl(Control{
		ID: "vpc-changes", Title: "Ensure VPC changes are monitored", SecurityHub: "CloudWatch.14",
		CIS: cis("14", true), Pattern: orOfNames(append(slices.Clone(vpcEvents), classicLink...)...),
		NameStem: "vpc-changes", Namespace: "CISBenchmark", MetricName: "VPCChanges",
		AlarmDescription: alarmDescription("4.14", "a VPC change"),
		Trail:            TrailNeeds{EventSources: []string{"ec2.amazonaws.com"}},
	}, ec2Service.calls("vpcId", "vpc-0a1b2c3d4e5f67890", vpcEvents...), classicRecords...)
	return c
}

func organizationsChanges() Control {
	orgEvents := []string{"AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy",
		"DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy",
		"DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount",
		"RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit"}
	quoted := make([]string, len(orgEvents))
	for i, e := range orgEvents {
		quoted[i] = `"` + e + `"`
	}
	c := eventsControl(Control{
		ID: "organizations-changes", Title: "Ensure AWS Organizations changes are monitored",
		CIS:      cis("15", false),
		Pattern:  "{ ($.eventSource = organizations.amazonaws.com) && (" + strings.Trim(orOfNames(quoted...), "{} ") + ") }",
		NameStem: "organizations-changes", Namespace: "CISBenchmark", MetricName: "OrganizationsChanges",
		AlarmDescription: alarmDescription("4.15", "an AWS Organizations change"),
		Trail:            TrailNeeds{EventSources: []string{"organizations.amazonaws.com"}, GlobalServiceEvents: true},
	}, orgService.calls("policyId", "p-examplepolicyid111", orgEvents...),
		MayLeaveOut(orgService.call("DescribeOrganization", nil), CallerIAMUser))
	return c
}

// monitoringControls are CIS's Monitoring controls other than
// cloudtrail-changes, in the section's order.
func monitoringControls() []Control {
	return []Control{unauthorizedAPICalls(), consoleSigninWithoutMFA(), rootUsage(), iamPolicyChanges(),
		consoleAuthFailures(), cmkDisableOrDeletion(), s3BucketPolicyChanges(), configChanges(), securityGroupChanges(),
		naclChanges(), networkGatewayChanges(), routeTableChanges(), vpcChanges(), organizationsChanges()}
}

// The fifteen register in the Monitoring section's order.
func init() {
	ms := monitoringControls()
	for _, c := range slices.Concat(ms[:4], []Control{cloudtrailChanges()}, ms[4:]) {
		c.Drill = triggers[c.ID]
		Register(c)
	}
}
