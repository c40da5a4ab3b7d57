package check

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/control"
)

// worldFor is the compliant world with its one filter carrying text, on
// the control's chain.
func worldFor(text string) *world {
	w := compliant()
	w.filters[home+" "+group] = []logstypes.MetricFilter{filter("cis", text)}
	return w
}

func mustLookup(t *testing.T, id string) control.Control {
	t.Helper()
	c, ok := control.Lookup(id)
	require.True(t, ok, id)
	return c
}

// Console sign-in is a global service event: a trail that leaves global
// service events out fails that control, and not CloudTrail's.
func TestGlobalServiceEventsPerControl(t *testing.T) {
	signin := mustLookup(t, "console-signin-without-mfa")
	w := worldFor(signin.Pattern)
	w.trails[0].IncludeGlobalServiceEvents = aws.Bool(false)
	r, _ := w.run(t, Options{Control: signin})
	require.Equal(t, ManagementEventsNotCaptured, r.Reason, r.Message)
	require.Contains(t, r.Message, "global service events")

	w = compliant()
	w.trails[0].IncludeGlobalServiceEvents = aws.Bool(false)
	r, _ = w.run(t, Options{})
	require.Equal(t, Pass, r.Status, r.Message)
}

// Security Hub's six-name security-group text is exact but misses
// ModifySecurityGroupRules: FAIL on meaning, the message saying what CIS
// v5.0 added; CIS v5.0's seven-name text PASSes, --strict included.
func TestSecurityGroupTexts(t *testing.T) {
	sg := mustLookup(t, "security-group-changes")
	r, _ := worldFor(sg.ExactText()).run(t, Options{Control: sg, Strict: true})
	require.Equal(t, NoMatchingFilter, r.Reason, r.Message)
	require.Contains(t, r.Message, "ModifySecurityGroupRules")
	require.Contains(t, r.Message, "CIS v5.0")
	require.True(t, r.Trails[0].Filters[0].Exact)

	r, _ = worldFor(sg.Pattern).run(t, Options{Control: sg, Strict: true})
	require.Equal(t, Pass, r.Status, r.Message)
	require.NotContains(t, r.Message, "Security Hub will reject")
}

// CIS v1.3's unauthorized-API text OR-s two != terms: it catches every
// refused call and nearly everything else. FILTER_TOO_BROAD, naming what it
// matches.
func TestUnauthorizedCIS13TextIsTooBroad(t *testing.T) {
	c := mustLookup(t, "unauthorized-api-calls")
	text := `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress != "delivery.logs.amazonaws.com") || ($.eventName != "HeadBucket") }`
	r, _ := worldFor(text).run(t, Options{Control: c})
	require.Equal(t, FilterTooBroad, r.Reason, r.Message)
	require.Contains(t, r.Message, "background activity")
	require.NotEmpty(t, r.Trails[0].Filters[0].Background)
	link, ok := r.Reason.Link()
	require.True(t, ok)
	require.Equal(t, LinkFilter, link)
}

// An organization trail settles each member result with its owner's
// verdict on the same control: the owner passing one control and failing
// another passes and fails the member the same way.
func TestResolveOrganizationTrailsPerControl(t *testing.T) {
	of := func(r Result, id string) Result { r.ControlID = id; return r }
	results := []Result{
		of(owner(Pass, "", ownerOrgTrail("")), "root-usage"),
		of(owner(Fail, NoAlarm, ownerOrgTrail(NoAlarm)), "cloudtrail-changes"),
		of(manualMember(seenOrgTrail()), "root-usage"),
		of(manualMember(seenOrgTrail()), "cloudtrail-changes"),
	}
	resolveOrganizationTrails(results)
	require.Equal(t, Pass, results[2].Status, results[2].Message)
	require.Equal(t, "root-usage", results[2].ControlID)
	require.Equal(t, Fail, results[3].Status, results[3].Message)
	require.Equal(t, NoAlarm, results[3].Reason)
	require.Equal(t, "cloudtrail-changes", results[3].ControlID)
}

// organizations-changes has no Security Hub control: a passing filter
// whose text is not CIS's says so without naming Security Hub.
func TestNotExactWithoutSecurityHub(t *testing.T) {
	org := mustLookup(t, "organizations-changes")
	reordered := `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "UpdateOrganizationalUnit") || ($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy")) }`
	r, _ := worldFor(reordered).run(t, Options{Control: org})
	require.Equal(t, Pass, r.Status, r.Message)
	require.Contains(t, r.Message, "not CIS's recommended one")
	require.NotContains(t, r.Message, "Security Hub")

	r, _ = worldFor(org.Pattern).run(t, Options{Control: org, Strict: true})
	require.Equal(t, Pass, r.Status, r.Message)
}
