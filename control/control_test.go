package control

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRegistry(t *testing.T) {
	require.Equal(t, []string{defaultID}, ids(All()), "by default only the CloudTrail-changes control")
	require.Equal(t, defaultID, Default().ID)

	made := Control{ID: "made-up", Events: []string{"CreateWidget"}}
	unregister := Register(made)
	got, ok := Lookup("made-up")
	require.True(t, ok)
	require.Equal(t, made.Events, got.Events)
	require.Equal(t, []string{defaultID, "made-up"}, ids(All()))
	require.Panics(t, func() { Register(made) }, "an ID registered twice")
	require.Panics(t, func() { Register(Control{ID: "no-events"}) })

	unregister()
	_, ok = Lookup("made-up")
	require.False(t, ok)
	require.Equal(t, []string{defaultID}, ids(All()))
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

// Every record a control must catch is a JSON object of one of its events,
// from every caller; each failed one carries the service's error code.
func TestRecordsCoverEveryEventAndCaller(t *testing.T) {
	for _, c := range All() {
		t.Run(c.ID, func(t *testing.T) {
			callers := map[string]map[string]bool{}
			for _, r := range c.Records {
				var doc map[string]any
				require.NoError(t, json.Unmarshal([]byte(r.Message), &doc), r.Message)
				require.Equal(t, r.Event, doc["eventName"])
				_, hasError := doc["errorCode"]
				require.Equal(t, r.Failed, hasError, r.Message)
				if !r.Must {
					require.NotContains(t, c.Events, r.Event, "a record it may leave out is not one it must catch")
					continue
				}
				require.Contains(t, c.Events, r.Event)
				if !r.Failed {
					if callers[r.Event] == nil {
						callers[r.Event] = map[string]bool{}
					}
					callers[r.Event][r.Caller] = true
				}
			}
			for _, e := range c.Events {
				require.Len(t, callers[e], len(Callers()), e)
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
