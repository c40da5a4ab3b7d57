package check

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/awserr"
)

const (
	mgmt     = "111111111111"
	member   = "222222222222"
	orgTrail = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org"
	mgmtLogs = "arn:aws:logs:us-east-1:111111111111:log-group:central"
)

// seenOrgTrail is the organization trail as a member sees it: owned elsewhere.
func seenOrgTrail() TrailEvidence {
	return TrailEvidence{ARN: orgTrail, Name: "org", Account: mgmt, MultiRegion: true, OrganizationTrail: true,
		Note: "trail " + orgTrail + " belongs to account " + mgmt + " (an organization trail)"}
}

func ownTrail(failed Reason) TrailEvidence {
	return TrailEvidence{ARN: "arn:aws:cloudtrail:us-east-1:222222222222:trail/own", Name: "own", Account: member, MultiRegion: true, Failed: failed}
}

func manualMember(trails ...TrailEvidence) Result {
	return Result{Account: member, Status: Manual, OtherAccount: mgmt, Message: "manual", Trails: trails}
}

func owner(status Status, reason Reason, trails ...TrailEvidence) Result {
	return Result{Account: mgmt, Status: status, Reason: reason, Message: "owner says " + string(reason), Trails: trails}
}

func ownerOrgTrail(failed Reason) TrailEvidence {
	return TrailEvidence{ARN: orgTrail, Name: "org", Account: mgmt, MultiRegion: true, OrganizationTrail: true,
		LogGroupARN: mgmtLogs, LogGroupAccount: mgmt, Failed: failed, Complete: failed == ""}
}

func TestResolveOrganizationTrails(t *testing.T) {
	for _, tc := range []struct {
		name       string
		results    []Result
		wantStatus Status
		wantReason Reason
		wantVia    string // Via.Kind, "" for none
		wantInMsg  string
	}{
		{"owner passes", []Result{owner(Pass, "", ownerOrgTrail("")), manualMember(seenOrgTrail())},
			Pass, "", "organization_trail", "via organization trail " + orgTrail + " of account " + mgmt},
		{"owner fails", []Result{owner(Fail, NoAlarm, ownerOrgTrail(NoAlarm)), manualMember(seenOrgTrail())},
			Fail, NoAlarm, "organization_trail", "owner says NO_ALARM"},
		{"owner not in the run", []Result{manualMember(seenOrgTrail())}, Manual, "", "", "manual"},
		{"owner could not be read", []Result{{Account: mgmt, Status: Error, Trails: []TrailEvidence{}}, manualMember(seenOrgTrail())},
			Manual, "", "", "manual"},
		{"own chain fails earlier: the organization trail decides", []Result{owner(Fail, NoAlarm, ownerOrgTrail(NoAlarm)),
			manualMember(ownTrail(TrailNotLogging), seenOrgTrail())}, Fail, NoAlarm, "organization_trail", "via organization trail"},
		{"own chain fails further: the organization trail still decides, to be fixed once", []Result{owner(Fail, NoAlarm, ownerOrgTrail(NoAlarm)),
			manualMember(ownTrail(NoConfirmedSubscriber), seenOrgTrail())}, Fail, NoAlarm, "organization_trail", "via organization trail"},
		{"own chain passes: it decides", []Result{owner(Fail, NoAlarm, ownerOrgTrail(NoAlarm)),
			manualMember(TrailEvidence{ARN: "own", Account: member, MultiRegion: true, Complete: true, Note: "own chain holds"}, seenOrgTrail())}, Pass, "", "", "own chain holds"},
		{"a tie goes to the owner, fixed once", []Result{owner(Fail, NoAlarm, ownerOrgTrail(NoAlarm)),
			manualMember(ownTrail(NoAlarm), seenOrgTrail())}, Fail, NoAlarm, "organization_trail", "via organization trail"},
		{"an indeterminate own filter still needs a person when the owner fails", []Result{owner(Fail, NoAlarm, ownerOrgTrail(NoAlarm)),
			manualMember(TrailEvidence{ARN: "own", Account: member, Note: "indeterminate"}, seenOrgTrail())}, Manual, "", "", "manual"},
		{"but not when the owner passes", []Result{owner(Pass, "", ownerOrgTrail("")),
			manualMember(TrailEvidence{ARN: "own", Account: member, Note: "indeterminate"}, seenOrgTrail())}, Pass, "", "organization_trail", ""},
		{"log group owner passes", []Result{owner(Pass, "", ownerOrgTrail("")),
			manualMember(TrailEvidence{ARN: "own", Name: "own", Account: member, MultiRegion: true, LogGroupARN: mgmtLogs, LogGroupAccount: mgmt, Note: "delivers elsewhere"})},
			Pass, "", "log_group", "delivers to log group " + mgmtLogs},
		{"log group owner fails downstream", []Result{owner(Fail, NoConfirmedSubscriber, ownerOrgTrail(NoConfirmedSubscriber)),
			manualMember(TrailEvidence{ARN: "own", Name: "own", Account: member, MultiRegion: true, LogGroupARN: mgmtLogs, LogGroupAccount: mgmt, Note: "delivers elsewhere"})},
			Fail, NoConfirmedSubscriber, "log_group", ""},
		{"log group owner's trail fails before the group: unknown", []Result{owner(Fail, TrailNotLogging, ownerOrgTrail(TrailNotLogging)),
			manualMember(TrailEvidence{ARN: "own", Name: "own", Account: member, MultiRegion: true, LogGroupARN: mgmtLogs, LogGroupAccount: mgmt, Note: "delivers elsewhere"})},
			Manual, "", "", "manual"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ownerBefore := tc.results[0]
			resolveOrganizationTrails(tc.results)
			got := tc.results[len(tc.results)-1]
			require.Equal(t, member, got.Account)
			require.Equal(t, tc.wantStatus, got.Status)
			require.Equal(t, tc.wantReason, got.Reason)
			require.Contains(t, got.Message, tc.wantInMsg)
			if tc.wantVia == "" {
				require.Nil(t, got.Via)
			} else {
				require.NotNil(t, got.Via)
				require.Equal(t, tc.wantVia, got.Via.Kind)
				require.Equal(t, mgmt, got.Via.Account)
				require.Empty(t, got.OtherAccount)
			}
			if len(tc.results) > 1 {
				require.Equal(t, ownerBefore, tc.results[0], "the owner's own result is never changed")
			}
		})
	}
}

// memberWithCentralTopic is a member whose own chain runs to an alarm
// notifying a topic of the management account.
func memberWithCentralTopic(coverage string) Result {
	ev := TrailEvidence{ARN: "own", Name: "own", Account: member, MultiRegion: true,
		LogGroupARN: "arn:aws:logs:us-east-1:222222222222:log-group:own", LogGroupAccount: member, Note: "alarm notifies a topic elsewhere",
		Filters: []FilterEvidence{{Name: "f", Coverage: coverage, Metrics: []MetricEvidence{{Name: "m", Alarms: []AlarmEvidence{{Name: "a", CanFire: true,
			Topics: []TopicEvidence{{ARN: centralTopic, Account: mgmt}}}}}}}}}
	return manualMember(ev)
}

const centralTopic = "arn:aws:sns:us-east-1:111111111111:security"

func ownerReadTopic(confirmed int) Result {
	tr := ownerOrgTrail("")
	tr.Filters = []FilterEvidence{{Name: "f", Coverage: "match", Metrics: []MetricEvidence{{Name: "m", Alarms: []AlarmEvidence{{Name: "a", CanFire: true,
		Topics: []TopicEvidence{{ARN: centralTopic, Account: mgmt, Confirmed: confirmed}}}}}}}}
	if confirmed == 0 {
		tr.Complete, tr.Failed = false, NoConfirmedSubscriber
		return owner(Fail, NoConfirmedSubscriber, tr)
	}
	return owner(Pass, "", tr)
}

func TestResolveCentralTopic(t *testing.T) {
	for _, tc := range []struct {
		name       string
		results    []Result
		wantStatus Status
		wantReason Reason
	}{
		{"confirmed where it lives", []Result{ownerReadTopic(2), memberWithCentralTopic("match")}, Pass, ""},
		{"unconfirmed where it lives", []Result{ownerReadTopic(0), memberWithCentralTopic("match")}, Fail, NoConfirmedSubscriber},
		{"owner never read it", []Result{owner(Pass, "", ownerOrgTrail("")), memberWithCentralTopic("match")}, Manual, ""},
		{"indeterminate coverage still needs a person", []Result{ownerReadTopic(0), memberWithCentralTopic("unknown")}, Manual, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resolveOrganizationTrails(tc.results)
			got := tc.results[1]
			require.Equal(t, tc.wantStatus, got.Status, got.Message)
			require.Equal(t, tc.wantReason, got.Reason)
			if tc.wantStatus != Manual {
				require.Equal(t, &Via{Kind: "topic", ARN: centralTopic, Account: mgmt}, got.Via)
			}
		})
	}
}

// Targets with a known account skip GetCallerIdentity; one whose Connect
// fails is that account's ERROR, with its error code, unless another
// target already reaches the account; Select leaves accounts out before
// anything is assumed.
func TestRunKnownAccounts(t *testing.T) {
	a := compliant()
	a.denied["sts:GetCallerIdentity"] = "AccessDenied" // never asked: the account is known
	refused := &coded{msg: "sts:AssumeRole on arn:aws:iam::444444444444:role/R refused: AccessDenied: no"}
	connects := 0
	failing := func(context.Context) error { connects++; return refused }
	rep := Run(context.Background(), []Target{
		{Profile: "seat", Region: home, Clients: a.fake(t).clients, Account: acct},
		{Profile: "seat", Region: home, Account: acct, RoleARN: "arn:aws:iam::" + acct + ":role/R", Connect: failing},
		{Profile: "seat", Region: home, Account: "444444444444", RoleARN: "arn:aws:iam::444444444444:role/R", Connect: failing},
		{Profile: "seat", Region: home, Account: "555555555555", Connect: failing},
	}, Options{Parallel: 1, Select: func(id string) bool { return id != "555555555555" }})
	require.Len(t, rep.Results, 2)
	require.Equal(t, Pass, rep.Results[0].Status, "reached by the seat itself; the refused duplicate is dropped")
	require.Equal(t, "444444444444", rep.Results[1].Account)
	require.Equal(t, Error, rep.Results[1].Status)
	require.Equal(t, "ASSUME_ROLE_FAILED", rep.Results[1].ErrorCode)
	require.Equal(t, refused.msg, rep.Results[1].Message)
	require.Equal(t, "let the seat assume the role", rep.Results[1].Remediation, "the error's own problem, whole")
	require.Equal(t, "arn:aws:iam::444444444444:role/R", rep.Results[1].RoleARN)
	require.Equal(t, 2, connects, "the account Select drops is never connected")
}

type coded struct{ msg string }

func (c *coded) Error() string { return c.msg }
func (c *coded) Problem() (awserr.Problem, bool) {
	return awserr.Problem{Code: awserr.AssumeRoleFailed, Message: c.msg, Remediation: "let the seat assume the role"}, true
}

// Progress sees a member's settled verdict as soon as its owner is done.
func TestProgressSeesSettledMembers(t *testing.T) {
	owner := compliant()
	member := compliant()
	member.account = other
	member.trails[0].IsOrganizationTrail = aws.Bool(true)
	var seen []Status
	rep := Run(context.Background(), []Target{
		{Profile: "owner", Region: home, Clients: owner.fake(t).clients},
		{Profile: "member", Region: home, Clients: member.fake(t).clients},
	}, Options{Parallel: 1, Progress: func(_, _ int, r Result) { seen = append(seen, r.Status) }})
	require.Equal(t, []Status{Pass, Pass}, seen)
	require.Equal(t, Pass, rep.Results[1].Status)
	require.NotNil(t, rep.Results[1].Via)
}
