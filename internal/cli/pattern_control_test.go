package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/control"
)

// pattern --control explains any control, by any of its names; the JSON
// verdict says too_broad for a pattern background activity sets off, and
// strict says whether the text is a prescribed one.
func TestPatternCommandControl(t *testing.T) {
	cis13Unauthorized := `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress != "delivery.logs.amazonaws.com") || ($.eventName != "HeadBucket") }`
	sg, _ := control.Lookup("security-group-changes")
	for name, tc := range map[string]struct {
		control, pattern string
		code             int
		verdict, id      string
		strict           bool
	}{
		"Security Hub's root text":          {"CloudWatch.1", mustControl(t, "root-usage").ExactText(), exitOK, "match", "root-usage", true},
		"by CIS number":                     {"4.15", mustControl(t, "organizations-changes").Pattern, exitOK, "match", "organizations-changes", true},
		"CIS v1.3's unauthorized text":      {"unauthorized-api-calls", cis13Unauthorized, exitFindings, "too_broad", "unauthorized-api-calls", false},
		"the empty pattern":                 {"CloudWatch.7", "", exitFindings, "too_broad", "cmk-disable-or-deletion", false},
		"Security Hub's six-name SG text":   {"CloudWatch.10", sg.ExactText(), exitFindings, "no_match", "security-group-changes", true},
		"CIS v5's seven-name SG text":       {"CloudWatch.10", sg.Pattern, exitOK, "match", "security-group-changes", true},
		"a missing IAM name":                {"4.4", `{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)}`, exitFindings, "no_match", "iam-policy-changes", false},
		"the KMS source alone is too broad": {"cmk-disable-or-deletion", `{ $.eventSource = kms.amazonaws.com }`, exitFindings, "too_broad", "cmk-disable-or-deletion", false},
	} {
		t.Run(name, func(t *testing.T) {
			r := runPattern(t, "", "--output", "json", "--control", tc.control, tc.pattern)
			require.Equal(t, tc.code, r.code, r.stderr)
			var out coverageOutput
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &out))
			require.Equal(t, tc.verdict, out.Verdict)
			require.Equal(t, tc.id, out.Control)
			require.Equal(t, tc.strict, out.Strict)
			if tc.verdict == "too_broad" {
				require.NotEmpty(t, out.Background)
			}
		})
	}
}

func mustControl(t *testing.T, id string) control.Control {
	t.Helper()
	c, ok := control.Lookup(id)
	require.True(t, ok, id)
	return c
}

func TestPatternCommandControlText(t *testing.T) {
	r := runPattern(t, "", "--control", "CloudWatch.12", mustControl(t, "network-gateway-changes").Pattern)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, "control: network-gateway-changes")
	require.Contains(t, r.stdout, "  DetachInternetGateway caught")
	require.Contains(t, r.stdout, "strict           yes")
	require.Contains(t, r.stdout, "verdict: catches every event of network-gateway-changes (6)")
}

func TestPatternCommandUnknownControl(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"a typo":            {[]string{"--control", "root-usgae", "x"}, `did you mean "root-usage"?`},
		"Security Hub typo": {[]string{"--control", "CloudWatch.55", "x"}, `unknown control "CloudWatch.55"`},
		"several":           {[]string{"--control", "all", "x"}, "pattern explains one control"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runPattern(t, "", tc.args...)
			require.Equal(t, exitUsage, r.code, r.stderr)
			require.Contains(t, r.stderr, tc.want)
			require.Empty(t, r.stdout)
		})
	}
}
