package parallel

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestForEachRunsEachOnceWithinTheLimit(t *testing.T) {
	for _, limit := range []int{0, 1, 3} {
		var running, peak atomic.Int32
		var mu sync.Mutex
		seen := map[int]int{}
		release := make(chan struct{})
		done := make(chan struct{})
		go func() {
			ForEach(10, limit, func(i int) {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				<-release
				running.Add(-1)
				mu.Lock()
				seen[i]++
				mu.Unlock()
			})
			close(done)
		}()
		for range 10 {
			release <- struct{}{}
		}
		<-done
		require.Len(t, seen, 10)
		for i, n := range seen {
			require.Equal(t, 1, n, "index %d", i)
		}
		require.LessOrEqual(t, peak.Load(), int32(max(limit, 1)), "limit %d", limit)
	}
}
