package parallel

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
			ForEach(context.Background(), 10, limit, func(_ context.Context, i int) {
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

// With one slot, account 0 sleeping in backoff lets account 1 run; when
// account 0 wakes it goes before account 2, which has not started.
func TestSleepingAccountGivesUpItsSlot(t *testing.T) {
	var mu sync.Mutex
	var events []string
	log := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, s)
	}
	asleep := make(chan struct{})
	wake := make(chan struct{})
	oneRunning := make(chan struct{})
	ForEach(context.Background(), 3, 1, func(ctx context.Context, i int) {
		log("start " + string(rune('0'+i)))
		switch i {
		case 0:
			c := Begin(ctx)
			c.Sleep()
			close(asleep)
			<-wake
			c.Wake(ctx)
			log("woke 0")
			c.End()
		case 1:
			close(oneRunning)
			c := Begin(ctx)
			close(wake) // account 0 now waits for this slot
			time.Sleep(20 * time.Millisecond)
			c.End()
		}
		log("end " + string(rune('0'+i)))
	})
	<-asleep
	<-oneRunning
	require.Equal(t, []string{"start 0", "start 1", "end 1", "woke 0", "end 0", "start 2", "end 2"}, events)
}

// A call that is not asleep keeps its account's slot even while another of
// the account's calls sleeps.
func TestAccountKeepsSlotWhileACallWorks(t *testing.T) {
	var started atomic.Int32
	release := make(chan struct{})
	go func() {
		ForEach(context.Background(), 2, 1, func(ctx context.Context, i int) {
			started.Add(1)
			if i == 1 {
				return
			}
			sleeper, worker := Begin(ctx), Begin(ctx)
			sleeper.Sleep()
			<-release
			worker.End()
			sleeper.End()
		})
	}()
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, int32(1), started.Load(), "account 1 waits: account 0 still has a call at work")
	close(release)
	require.Eventually(t, func() bool { return started.Load() == 2 }, time.Second, time.Millisecond)
}

// Without an account in the context, calls are not counted (and a nil
// call's methods do nothing).
func TestCallWithoutAccount(t *testing.T) {
	c := Begin(context.Background())
	require.Nil(t, c)
	c.Sleep()
	c.Wake(context.Background())
	c.End()
}
