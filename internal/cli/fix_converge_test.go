package cli

// End-to-end convergence of `fix --wire-logs` (docs/design.md, "Re-running
// converges", docs/fix.md): a run whose trail update fails leaves the log
// group and delivery role it created, and the next run reuses them — never
// a log group or role trailwatch did not create.

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/plan"
	"github.com/trailwatch/trailwatch/sandbox"
)

const (
	convergeTrail = "arn:aws:cloudtrail:us-east-1:111111111111:trail/management-events"
	convergeGroup = "trailwatch-cloudtrail"
	convergeRole  = "trailwatch-cloudtrail-logs"
	denyTrailEdit = "cloudtrail:UpdateTrail"
)

// convergeNames lists the names of a dump section (log groups of the
// default region, or the default account's roles) that start with prefix.
func convergeNames(section map[string]any, prefix string) []string {
	var out []string
	for name := range section {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func convergeRoles(dump map[string]any) map[string]any {
	return safetyMap(safetyDig(dump, "accounts", safetyAccount, "roles"))
}

func convergeGroups(dump map[string]any) map[string]any {
	return safetyMap(safetyDig(safetyRegionOf(dump), "logGroups"))
}

// convergeFailThenRerun runs fix --wire-logs with the trail update denied
// (exit 3), then again with access restored (exit 0, PASS), and returns the
// second run's writes.
func convergeFailThenRerun(t *testing.T, srv *sandbox.Server) []string {
	t.Helper()
	srv.SetFaults(sandbox.Faults{AccessDenied: []sandbox.DeniedOperation{{Operation: denyTrailEdit}}})
	journal := filepath.Join(t.TempDir(), "journal.jsonl")
	args := []string{"--yes", "--wire-logs", "--notify", safetySQS}
	code, out, stderr := runFixSafety(t, journal, args...)
	require.Equal(t, exitFailed, code, out+stderr)
	steps, rollback := safetySteps(out)
	require.Empty(t, rollback)
	var got []string
	for _, s := range steps {
		got = append(got, s.mark+" "+s.id)
	}
	// The scenario's alarm, topic and subscriber work on the metric the new
	// filter emits: delivery and the filter are all that is planned.
	require.Equal(t, []string{"✓ log-group", "✓ log-role", "✓ log-role-policy", "✗ trail", "- filter"}, got, out)

	srv.SetFaults(sandbox.Faults{})
	n := len(srv.Requests())
	code, out, stderr = runFixSafety(t, journal, args...)
	require.Equal(t, exitOK, code, out+stderr)
	require.Contains(t, out, "check: FAIL NO_CLOUDWATCH_LOGS → PASS")
	return safetyWritesSince(srv, n)
}

// The trail update is denied after the group and role were created; the
// re-run reuses both (tagged, the role trusting this trail) and ends PASS.
func TestFixConvergeWireLogsReusesOwnGroupAndRole(t *testing.T) {
	srv := startSandbox(t, "no-cloudwatch-logs")
	writes := convergeFailThenRerun(t, srv)
	require.NotContains(t, writes, "logs:CreateLogGroup")
	require.NotContains(t, writes, "iam:CreateRole")
	require.Equal(t, []string{"iam:PutRolePolicy", "cloudtrail:UpdateTrail", "logs:PutMetricFilter"}, writes,
		"only what is missing: the policy is rewritten on our own role, then the rest of the chain")

	dump := safetyDump(t, srv)
	require.Equal(t, []string{convergeGroup}, convergeNames(convergeGroups(dump), "trailwatch-"), "one trailwatch log group, no -2")
	require.Equal(t, []string{convergeRole}, convergeNames(convergeRoles(dump), "trailwatch-"), "one trailwatch role, no -2")
	trail := safetyDig(safetyRegionOf(dump), "trails", "management-events")
	require.Equal(t, "arn:aws:logs:us-east-1:111111111111:log-group:"+convergeGroup+":*", safetyDig(trail, "cloudWatchLogsLogGroupArn"))
	require.Equal(t, "arn:aws:iam::111111111111:role/"+convergeRole, safetyDig(trail, "cloudWatchLogsRoleArn"))

	// A third run has nothing left to do.
	n := len(srv.Requests())
	code, out, stderr := runFixSafety(t, filepath.Join(t.TempDir(), "journal.jsonl"), "--yes", "--wire-logs", "--notify", safetySQS)
	require.Equal(t, exitOK, code, out+stderr)
	require.Empty(t, safetyWritesSince(srv, n))
}

// A log group and role of trailwatch's names that trailwatch did not create
// (untagged) are someone else's: fix takes the next free names, leaves the
// user's untouched, and a failed run's -2 resources are what the re-run
// reuses.
func TestFixConvergeNeverReusesSomeoneElsesGroupOrRole(t *testing.T) {
	srv := startSandbox(t, "no-cloudwatch-logs")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceArn":"` + convergeTrail + `"}}}]}`
	seedSafety(t, srv, func(r map[string]any) {
		safetySection(r, "logGroups")[convergeGroup] = map[string]any{"name": convergeGroup, "created": "2024-01-02T03:04:05Z",
			"retentionDays": 14, "tags": map[string]string{"team": "soc"}}
	})
	// Roles are per account, beside the regions.
	dump := safetyDump(t, srv)
	roles := safetyDig(dump, "accounts", safetyAccount).(map[string]any)
	safetySection(roles, "roles")[convergeRole] = map[string]any{"name": convergeRole, "id": "AROAUSERSROLE000000001", "path": "/",
		"assumeRolePolicyDocument": trust, "maxSessionDuration": 3600, "created": "2024-01-02T03:04:05Z",
		"tags": []map[string]string{{"key": "team", "value": "soc"}}}
	raw, err := json.Marshal(dump)
	require.NoError(t, err)
	require.NoError(t, srv.LoadState(raw))
	before := safetyDump(t, srv)
	require.NotNil(t, safetyDig(convergeRoles(before), convergeRole), "the user's role was seeded")

	writes := convergeFailThenRerun(t, srv)
	require.Equal(t, []string{"iam:PutRolePolicy", "cloudtrail:UpdateTrail", "logs:PutMetricFilter"}, writes)

	after := safetyDump(t, srv)
	safetyKeptAll(t, before, after, "trails/management-events")
	require.Equal(t, []string{convergeGroup, convergeGroup + "-2"}, convergeNames(convergeGroups(after), "trailwatch-"))
	require.Equal(t, []string{convergeRole, convergeRole + "-2"}, convergeNames(convergeRoles(after), "trailwatch-"))
	require.Empty(t, safetyDig(convergeRoles(after), convergeRole, "policies"), "nothing was written to the user's role")
	trail := safetyDig(safetyRegionOf(after), "trails", "management-events")
	require.Equal(t, "arn:aws:logs:us-east-1:111111111111:log-group:"+convergeGroup+"-2:*", safetyDig(trail, "cloudWatchLogsLogGroupArn"))
	require.Equal(t, "arn:aws:iam::111111111111:role/"+convergeRole+"-2", safetyDig(trail, "cloudWatchLogsRoleArn"))
	require.True(t, safetyTagged(safetyDig(convergeRoles(after), convergeRole+"-2", "tags")))
	require.Equal(t, plan.ManagedByValue, safetyDig(convergeGroups(after), convergeGroup+"-2", "tags", plan.ManagedByKey))
}
