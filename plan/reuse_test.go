package plan

import (
	"context"
	"encoding/json"
	"github.com/trailwatch/trailwatch/check"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/require"
)

const (
	ownGroup = "trailwatch-cloudtrail"
	ownRole  = "trailwatch-cloudtrail-logs"
)

// requireDepsInPlan holds every depends_on to changes planned before it:
// fix applies in order and a dependency that is not in the plan is a
// promise nobody keeps.
func requireDepsInPlan(t *testing.T, a AccountPlan) {
	t.Helper()
	var seen []string
	for _, c := range a.Changes {
		for _, d := range c.DependsOn {
			require.Contains(t, seen, d, "%s depends on %s, which is not planned before it (%s)", c.ID, d, changeIDs(a))
		}
		seen = append(seen, c.ID)
	}
}

// requireReadAccepts saves the plan and reads it back: plan.Read refuses a
// change no fingerprint covers, which a reused group or role must not trip.
func requireReadAccepts(t *testing.T, a AccountPlan) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "plan.json")
	writeFile(t, path, New("1.2.3", planTime, Options{}, []AccountPlan{a}))
	_, err := Read(path)
	require.NoError(t, err)
}

// A failed fix (the trail update denied, say) leaves the log group and role
// it created; the re-run plans with them rather than around them.
func TestLogWiringReusesWhatAnEarlierRunCreated(t *testing.T) {
	t.Run("our group and our role for this trail", func(t *testing.T) {
		w := newWorld()
		w.addGroup(ownGroup, true)
		w.addRole(ownRole, true, testTrail)
		a := build(t, w, finding(check.NoCloudWatchLogs), Options{WireLogs: true})
		require.Empty(t, a.Blocked)
		require.Equal(t, "create:sns:CreateTopic:topic create:sns:Subscribe:subscribe-1 update:iam:PutRolePolicy:log-role-policy "+
			"update:cloudtrail:UpdateTrail:trail create:logs:PutMetricFilter:filter create:cloudwatch:PutMetricAlarm:alarm", changeIDs(a))
		requireDepsInPlan(t, a)
		require.Empty(t, change(t, a, "log-role-policy").DependsOn)
		require.Equal(t, []string{"log-role-policy"}, change(t, a, "trail").DependsOn)
		require.Empty(t, change(t, a, "filter").DependsOn, "the group is there already")

		perms := request(t, change(t, a, "log-role-policy"))
		require.Equal(t, ownRole, perms["RoleName"])
		require.Contains(t, perms["PolicyDocument"], `"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:trailwatch-cloudtrail:log-stream:*"`)
		trail := request(t, change(t, a, "trail"))
		require.Equal(t, "arn:aws:logs:us-east-1:111111111111:log-group:trailwatch-cloudtrail:*", trail["CloudWatchLogsLogGroupArn"])
		require.Equal(t, "arn:aws:iam::111111111111:role/trailwatch-cloudtrail-logs", trail["CloudWatchLogsRoleArn"])
		require.Equal(t, ownGroup, request(t, change(t, a, "filter"))["logGroupName"])
		require.Equal(t, 1, w.calls["logs:ListTagsForResource"], "one tag read for the one same-named group")

		// What is reused is fingerprinted as it was read, so fix refuses
		// to write to it if it changed meanwhile.
		for _, c := range a.Changes {
			r, err := c.Resource()
			require.NoError(t, err)
			if r.Key != "" {
				require.NotEmpty(t, a.Guards(r), c.ID)
			}
		}
		require.NotEqual(t, Absent, a.Guards(Resource{kindRole, "global", ownRole})[0].Hash)
		requireReadAccepts(t, a)
	})

	t.Run("our group, retention asked for", func(t *testing.T) {
		for name, tc := range map[string]struct {
			has    *int32
			want   string
			before any
		}{
			"never expires":      {nil, "update:logs:PutRetentionPolicy:log-retention", nil},
			"other retention":    {aws.Int32(7), "update:logs:PutRetentionPolicy:log-retention", int32(7)},
			"the same retention": {aws.Int32(30), "", nil},
		} {
			t.Run(name, func(t *testing.T) {
				w := newWorld()
				w.addGroup(ownGroup, true)
				if tc.has != nil {
					w.retention[ownGroup] = *tc.has
				}
				a := build(t, w, finding(check.NoCloudWatchLogs), Options{WireLogs: true, RetentionDays: 30})
				require.NotContains(t, changeIDs(a), "CreateLogGroup")
				requireDepsInPlan(t, a)
				if tc.want == "" {
					require.NotContains(t, changeIDs(a), "PutRetentionPolicy")
					return
				}
				require.Contains(t, changeIDs(a), tc.want)
				c := change(t, a, "log-retention")
				require.Empty(t, c.DependsOn)
				require.Equal(t, tc.before, c.Before["RetentionInDays"])
				require.Equal(t, 30.0, request(t, c)["retentionInDays"])
				requireReadAccepts(t, a)
			})
		}
	})

	t.Run("our role, a new group: the policy follows the group", func(t *testing.T) {
		w := newWorld()
		w.addGroup(ownGroup, false)
		w.addRole(ownRole, true, testTrail)
		a := build(t, w, finding(check.NoCloudWatchLogs), Options{WireLogs: true, RetentionDays: 7})
		require.Equal(t, "trailwatch-cloudtrail-2", request(t, change(t, a, "log-group"))["logGroupName"])
		require.Equal(t, []string{"log-group"}, change(t, a, "log-retention").DependsOn)
		require.NotContains(t, changeIDs(a), "CreateRole")
		require.Contains(t, request(t, change(t, a, "log-role-policy"))["PolicyDocument"], ":log-group:trailwatch-cloudtrail-2:log-stream:*")
		require.Equal(t, []string{"log-group", "log-role-policy"}, change(t, a, "trail").DependsOn)
		requireDepsInPlan(t, a)
		requireReadAccepts(t, a)
	})
}

// Only what trailwatch created, for this trail, is reused; anything else of
// the name is someone's and the next free name is taken.
func TestLogWiringNeverReusesOthers(t *testing.T) {
	otherTrail := "arn:aws:cloudtrail:us-east-1:111111111111:trail/audit"
	cases := map[string]struct {
		groupOurs bool
		role      func(w *world)
		newGroup  string
		newRole   string
	}{
		"untagged group and role of the names": {false, func(w *world) { w.addRole(ownRole, false, testTrail) }, ownGroup + "-2", ownRole + "-2"},
		"our role, for another trail":          {true, func(w *world) { w.addRole(ownRole, true, otherTrail) }, "", ownRole + "-2"},
		"our role, its trust policy widened": {true, func(w *world) {
			w.addRole(ownRole, true, testTrail)
			r := w.roles[ownRole]
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole",` +
				`"Condition":{"StringEquals":{"aws:SourceArn":"` + testTrail + `"}}},` +
				`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`
			r.AssumeRolePolicyDocument = aws.String(url.QueryEscape(doc))
			w.roles[ownRole] = r
		}, "", ownRole + "-2"},
		"our role, no source condition": {true, func(w *world) {
			w.addRole(ownRole, true, testTrail)
			r := w.roles[ownRole]
			r.AssumeRolePolicyDocument = aws.String(url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`))
			w.roles[ownRole] = r
		}, "", ownRole + "-2"},
		"a role trusting this trail, not tagged": {true, func(w *world) { w.addRole(ownRole, false, testTrail) }, "", ownRole + "-2"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := newWorld()
			w.addGroup(ownGroup, tc.groupOurs)
			tc.role(w)
			a := build(t, w, finding(check.NoCloudWatchLogs), Options{WireLogs: true})
			require.Empty(t, a.Blocked)
			if tc.newGroup == "" {
				require.NotContains(t, changeIDs(a), "CreateLogGroup")
			} else {
				require.Equal(t, tc.newGroup, request(t, change(t, a, "log-group"))["logGroupName"])
			}
			require.Equal(t, tc.newRole, request(t, change(t, a, "log-role"))["RoleName"])
			require.Equal(t, Create, change(t, a, "log-role-policy").Action)
			require.Equal(t, tc.newRole, request(t, change(t, a, "log-role-policy"))["RoleName"])
			for _, c := range a.Changes {
				if c.Operation == "iam:PutRolePolicy" || c.Operation == "iam:CreateRole" {
					require.NotEqual(t, ownRole, request(t, c)["RoleName"], "%s writes to a role that is not ours for this trail", c.ID)
				}
			}
			requireDepsInPlan(t, a)
			requireReadAccepts(t, a)
		})
	}

	t.Run("every name taken by groups not ours: blocked", func(t *testing.T) {
		w := newWorld()
		w.addGroup(ownGroup, false)
		for i := 2; i <= 9; i++ {
			w.addGroup(ownGroup+"-"+string(rune('0'+i)), false)
		}
		a := build(t, w, finding(check.NoCloudWatchLogs), Options{WireLogs: true})
		require.Empty(t, a.Changes)
		require.Contains(t, a.Blocked, "are all taken by log groups trailwatch did not create")
	})
}

func TestTrustsOnly(t *testing.T) {
	ours := trustPolicy(testTrail)
	for doc, want := range map[string]bool{
		ours:                  true,
		url.QueryEscape(ours): true,
		strings.ReplaceAll(url.QueryEscape(ours), "+", "%20"):                               true,
		strings.ReplaceAll(ours, `"sts:AssumeRole"`, `["sts:AssumeRole"]`):                  true,
		trustPolicy(testTrail + "x"):                                                        false,
		strings.ReplaceAll(ours, `"Allow"`, `"Deny"`):                                       false,
		strings.ReplaceAll(ours, `cloudtrail.amazonaws.com`, `logs.amazonaws.com`):          false,
		strings.ReplaceAll(ours, `"sts:AssumeRole"`, `["sts:AssumeRole","sts:TagSession"]`): false,
		strings.ReplaceAll(ours, `"StringEquals"`, `"StringLike"`):                          false,
		`{"Statement":{"Effect":"Allow"}}`:                                                  false,
		"not json":                                                                          false,
		"":                                                                                  false,
	} {
		require.Equal(t, want, trustsOnly(doc, testTrail), doc)
	}
}

// A role's last use changes whenever CloudTrail delivers with it: not a
// change anyone made, so not a stale plan. Its tags are.
func TestRoleFingerprintIgnoresLastUse(t *testing.T) {
	w := newWorld()
	w.addRole(ownRole, true, testTrail)
	a := build(t, w, finding(check.NoCloudWatchLogs), Options{WireLogs: true})
	r := w.readers(t)
	stale, err := Verify(context.Background(), r, a)
	require.NoError(t, err)
	require.Empty(t, stale)

	role := w.roles[ownRole]
	role.RoleLastUsed = &iamtypes.RoleLastUsed{LastUsedDate: aws.Time(time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)), Region: aws.String(testRegion)}
	w.roles[ownRole] = role
	stale, err = Verify(context.Background(), r, a)
	require.NoError(t, err)
	require.Empty(t, stale)

	role.Tags = slices.DeleteFunc(slices.Clone(role.Tags), func(tag iamtypes.Tag) bool { return aws.ToString(tag.Key) == ManagedByKey })
	w.roles[ownRole] = role
	stale, err = Verify(context.Background(), r, a)
	require.NoError(t, err)
	require.Len(t, stale, 1)
	require.Equal(t, kindRole, stale[0].Kind)
}

// The trust policy wireLogs writes is the one trustsOnly recognises.
func TestCreatedRoleIsRecognisedAsOurs(t *testing.T) {
	a := build(t, newWorld(), finding(check.NoCloudWatchLogs), Options{WireLogs: true})
	doc := request(t, change(t, a, "log-role"))["AssumeRolePolicyDocument"].(string)
	require.True(t, trustsOnly(doc, testTrail))
	var tags []iamtypes.Tag
	raw, err := json.Marshal(request(t, change(t, a, "log-role"))["Tags"])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &tags))
	require.Contains(t, tags, iamtypes.Tag{Key: aws.String(ManagedByKey), Value: aws.String(ManagedByValue)})
}
