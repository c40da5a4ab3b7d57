package control

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every control says how it is drilled or why it is not; a trigger's calls
// are events the control must catch, so the filter counts the drill.
func TestTriggers(t *testing.T) {
	drillable := 0
	for _, c := range All() {
		require.NotNil(t, c.Drill, "%s: a drill or the reason there is none", c.ID)
		if !c.Drillable() {
			require.NotEmpty(t, c.Drill.NotDrillable, c.ID)
			require.Empty(t, c.Drill.Calls, c.ID)
			continue
		}
		drillable++
		d := c.Drill
		require.NotEmpty(t, d.Kind, c.ID)
		require.NotEmpty(t, d.Description, c.ID)
		require.Equal(t, d.Event, strings.SplitN(d.Calls[0], ":", 2)[1], "%s: the first call is the event the filter must catch", c.ID)
		for _, call := range d.Calls {
			require.Contains(t, c.Events, strings.SplitN(call, ":", 2)[1], "%s: %s is an event the control catches", c.ID, call)
		}
	}
	require.Equal(t, 5, drillable)
	require.True(t, Default().Drillable())
	require.False(t, Control{ID: "made-up"}.Drillable())
	require.True(t, slices.Contains(Default().Drill.Calls, "cloudtrail:StartLogging"))
}
