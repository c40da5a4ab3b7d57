package check

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The path of each golden result is the chain its verdict rests on, and
// a result read back from its JSON has the same path.
func TestPathFollowsTheVerdict(t *testing.T) {
	rep := goldenReport(t)
	for _, r := range rep.Results {
		p := r.Path()
		switch r.Status {
		case Pass:
			require.True(t, p.Trail.Complete, r.Account)
			if r.Via != nil {
				continue // the rest of the chain is the owner's
			}
			require.NotNil(t, p.Topic, r.Account)
			require.True(t, p.Alarm.CanFire, r.Account)
			require.Positive(t, p.Topic.Confirmed, r.Account)
		case Fail:
			require.NotNil(t, p.Trail, r.Account)
			require.Equal(t, r.Reason, p.Trail.Failed, r.Account)
		}
		b, err := json.Marshal(r)
		require.NoError(t, err)
		var back Result
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, p, back.Path(), r.Account)
	}
	require.Equal(t, Path{}, Result{Status: Error}.Path())
}

// Every reason names the link it breaks, in chain order.
func TestEveryReasonHasALink(t *testing.T) {
	last := 0
	for _, r := range Reasons {
		l, ok := r.Link()
		require.True(t, ok, r)
		i := slices.Index(Links, l)
		require.GreaterOrEqual(t, i, last, r)
		last = i
	}
	_, ok := Reason("A_REASON_ADDED_LATER").Link()
	require.False(t, ok)
}
