package control

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRegistry(t *testing.T) {
	monitoring := []string{"unauthorized-api-calls", "console-signin-without-mfa", "root-usage", "iam-policy-changes",
		"cloudtrail-changes", "console-auth-failures", "cmk-disable-or-deletion", "s3-bucket-policy-changes", "config-changes",
		"security-group-changes", "nacl-changes", "network-gateway-changes", "route-table-changes", "vpc-changes",
		"organizations-changes"}
	require.Equal(t, monitoring, ids(All()), "CIS's Monitoring section, in its order")
	require.Equal(t, defaultID, Default().ID)

	made := Control{ID: "made-up", Events: []string{"CreateWidget"}}
	unregister := Register(made)
	got, ok := Lookup("made-up")
	require.True(t, ok)
	require.Equal(t, made.Events, got.Events)
	require.Equal(t, append(monitoring, "made-up"), ids(All()))
	require.Panics(t, func() { Register(made) }, "an ID registered twice")
	require.Panics(t, func() { Register(Control{ID: "no-events"}) })

	unregister()
	_, ok = Lookup("made-up")
	require.False(t, ok)
	require.Equal(t, monitoring, ids(All()))
}

func ids(cs []Control) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestJoinAnd(t *testing.T) {
	require.Equal(t, "", JoinAnd(nil))
	require.Equal(t, "A", JoinAnd([]string{"A"}))
	require.Equal(t, "A and B", JoinAnd([]string{"A", "B"}))
	require.Equal(t, "CreateTrail, UpdateTrail, DeleteTrail, StartLogging and StopLogging", Default().EventList())
}

// Controls whose records are about who calls or how a call ends, not which
// call: their records come from the callers that matter, not from all four.
var byCaller = map[string]bool{"unauthorized-api-calls": true, "console-signin-without-mfa": true,
	"root-usage": true, "console-auth-failures": true}

// The error code each service refuses a call with, as CloudTrail logs it.
var refusedWith = map[string]string{"ec2.amazonaws.com": "Client.UnauthorizedOperation", "s3.amazonaws.com": "AccessDenied",
	"iam.amazonaws.com": "AccessDenied", "kms.amazonaws.com": "AccessDeniedException", "config.amazonaws.com": "AccessDeniedException",
	"organizations.amazonaws.com": "AccessDenied", "lambda.amazonaws.com": "AccessDenied", "cloudtrail.amazonaws.com": "AccessDenied"}

// Every record is a JSON object of its event; every event a control must
// catch has records (for most, from every caller); refusals carry their
// service's error code.
func TestRecordsCoverEveryEventAndCaller(t *testing.T) {
	for _, c := range All() {
		t.Run(c.ID, func(t *testing.T) {
			callers := map[string]map[string]bool{}
			for _, r := range c.Records {
				var doc map[string]any
				require.NoError(t, json.Unmarshal([]byte(r.Message), &doc), r.Message)
				require.Equal(t, r.Event, doc["eventName"])
				_, hasCode := doc["errorCode"]
				_, hasMessage := doc["errorMessage"]
				require.Equal(t, r.Failed, hasMessage, r.Message)
				if hasCode {
					require.Equal(t, refusedWith[doc["eventSource"].(string)], doc["errorCode"], r.Message)
				}
				if r.Kind == LeaveOut {
					if !byCaller[c.ID] {
						require.NotContains(t, c.Events, r.Event, "a record it may leave out is not one it must catch")
					}
					continue
				}
				require.Contains(t, c.Events, r.Event)
				if r.Kind == Catch {
					if callers[r.Event] == nil {
						callers[r.Event] = map[string]bool{}
					}
					callers[r.Event][r.Caller] = true
				}
			}
			for _, e := range c.Events {
				require.NotEmpty(t, callers[e], e)
				if !byCaller[c.ID] {
					require.Len(t, callers[e], len(Callers()), e)
				}
			}
		})
	}
}

func TestExactText(t *testing.T) {
	c := Control{Pattern: "{ $.a = 1 }"}
	require.Equal(t, c.Pattern, c.ExactText())
	c.SecurityHubPattern = "{ $.a = 2 }"
	require.Equal(t, c.SecurityHubPattern, c.ExactText())
}
