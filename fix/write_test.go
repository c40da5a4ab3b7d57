package fix

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/plan"
)

// fix can send every operation plan's table holds, and nothing else: an
// operation added to the table without a writer fails here, not at apply.
func TestWritersCoverEveryOperation(t *testing.T) {
	var ops []string
	for _, o := range plan.Operations() {
		ops = append(ops, o.Name)
	}
	slices.Sort(ops)
	require.Equal(t, ops, slices.Sorted(maps.Keys(writers)))
}
