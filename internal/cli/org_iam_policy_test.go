package cli

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/internal/iampolicy"
	"github.com/trailwatch/trailwatch/internal/org"
)

func policyFile(t *testing.T, name string) []string {
	t.Helper()
	actions, err := iampolicy.Actions(repoFile("docs/iam/" + name))
	require.NoError(t, err)
	return actions
}

// The seat's policy grants exactly the Organizations reads discovery makes
// and the AssumeRole into the member roles, for the default role and the
// template's two.
func TestOrgSeatPolicyMatchesCode(t *testing.T) {
	want := iampolicy.Called(reflect.TypeFor[org.API](), reflect.TypeFor[stscreds.AssumeRoleAPIClient]())
	require.Equal(t, want, policyFile(t, "org-seat-policy.json"))

	var doc struct {
		Statement []struct{ Action, Resource any }
	}
	raw, err := os.ReadFile(repoFile("docs/iam/org-seat-policy.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &doc))
	var roles []any
	for _, s := range doc.Statement {
		if slices.Contains(s.Action.([]any), any("sts:AssumeRole")) {
			roles = s.Resource.([]any)
		}
	}
	require.ElementsMatch(t, []any{"arn:aws:iam::*:role/" + defaultRoleName, "arn:aws:iam::*:role/trailwatch-audit",
		"arn:aws:iam::*:role/trailwatch-fix"}, roles)
}

// template is the part of docs/iam/member-roles.template.json the tests read.
type template struct {
	Parameters map[string]any
	Resources  map[string]struct {
		Type       string
		Condition  string
		Properties struct {
			RoleName                 string
			AssumeRolePolicyDocument map[string]any
			Policies                 []struct {
				PolicyDocument struct {
					Statement []map[string]any
				}
			}
		}
	}
}

// The StackSet's roles grant what the documented policies grant, no more:
// trailwatch-audit check's and plan's reads, trailwatch-fix those and fix's
// writes (its iam:PassRole statement as fix's policy has it); both trust
// the seat account alone, with the external ID when one is given.
func TestMemberRolesTemplateMatchesPolicies(t *testing.T) {
	raw, err := os.ReadFile(repoFile("docs/iam/member-roles.template.json"))
	require.NoError(t, err)
	var tpl template
	require.NoError(t, json.Unmarshal(raw, &tpl))
	reads := append(policyFile(t, "check-policy.json"), policyFile(t, "plan-policy.json")...)
	slices.Sort(reads)
	fixWrites := policyFile(t, "fix-policy.json")

	granted := func(name string) []string {
		var out []string
		for _, p := range tpl.Resources[name].Properties.Policies {
			for _, s := range p.PolicyDocument.Statement {
				require.Equal(t, "Allow", s["Effect"])
				for _, a := range s["Action"].([]any) {
					out = append(out, a.(string))
				}
			}
		}
		slices.Sort(out)
		return out
	}
	require.Equal(t, reads, granted("AuditRole"))
	want := append(slices.Clone(reads), fixWrites...)
	slices.Sort(want)
	require.Equal(t, want, granted("FixRole"))
	require.Equal(t, "WantFixRole", tpl.Resources["FixRole"].Condition, "the fix role is opt-in")

	var fixPolicy struct{ Statement []map[string]any }
	b, err := os.ReadFile(repoFile("docs/iam/fix-policy.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &fixPolicy))
	fixStatements := tpl.Resources["FixRole"].Properties.Policies[0].PolicyDocument.Statement
	require.Contains(t, fixStatements, fixPolicy.Statement[len(fixPolicy.Statement)-1], "iam:PassRole keeps its resource and condition")

	for name, role := range map[string]string{"AuditRole": "trailwatch-audit", "FixRole": "trailwatch-fix"} {
		r := tpl.Resources[name]
		require.Equal(t, "AWS::IAM::Role", r.Type)
		require.Equal(t, role, r.Properties.RoleName)
		trust, err := json.Marshal(r.Properties.AssumeRolePolicyDocument)
		require.NoError(t, err)
		require.Contains(t, string(trust), `"Fn::Sub":"arn:${AWS::Partition}:iam::${SeatAccountId}:root"`)
		require.Contains(t, string(trust), `"sts:ExternalId":{"Ref":"ExternalId"}`)
	}
	require.Contains(t, tpl.Parameters, "SeatAccountId")
}
