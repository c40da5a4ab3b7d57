package plan

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// Each operation's request decodes into the input the table names, and the
// table finds the operation again from that input alone (as TargetOf and
// the guards do); names are unique.
func TestOperationTable(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Operations() {
		require.False(t, seen[o.Name], o.Name)
		seen[o.Name] = true
		in, err := Change{ID: "c1", Operation: o.Name, Request: json.RawMessage(`{}`)}.Input()
		require.NoError(t, err, o.Name)
		back, ok := operationOfInput(in)
		require.True(t, ok, o.Name)
		require.Equal(t, o.Name, back.Name)
		got, ok := OperationOf(o.Name)
		require.True(t, ok)
		require.Equal(t, o.Name, got.Name)
	}
	_, err := Change{ID: "c1", Operation: "sns:DeleteTopic", Request: json.RawMessage(`{}`)}.Input()
	require.ErrorContains(t, err, `unknown operation "sns:DeleteTopic"`)
}
