package drill

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A stage seen after the next one happened is given the next one's time;
// times already in order stay as they are.
func TestOrderTimes(t *testing.T) {
	at := func(s int) *time.Time { v := time.Date(2026, 12, 7, 14, 0, s, 0, time.UTC); return &v }
	stages := []Stage{{At: at(1)}, {At: at(9)}, {At: at(5)}, {At: at(5)}, {At: at(6)}}
	orderTimes(stages)
	var got []int
	for _, s := range stages {
		got = append(got, s.At.Second())
	}
	require.Equal(t, []int{1, 5, 5, 5, 6}, got)
}
