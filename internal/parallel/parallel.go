// Package parallel runs per-account work with a bound on concurrency; check
// and fix share it.
//
// The bound is on accounts at work, not on accounts waiting: an account
// whose every call in flight sleeps in retry backoff (it was throttled)
// gives its slot to another account, and takes one back, ahead of accounts
// not yet started, when a call wakes. The AWS clients report those sleeps
// through Begin (internal/awsenv's retryer does), so a fleet is not held up
// by a few throttled accounts while the others could run.
package parallel

import (
	"context"
	"sync"
)

// ForEach runs fn for 0..n-1 with at most limit accounts at work at once (at
// least one), and returns when all have. Each fn gets a context derived from
// ctx that carries its slot; cancelling ctx does not stop ForEach from
// starting the rest (fn decides what an interrupted account does).
func ForEach(ctx context.Context, n, limit int, fn func(ctx context.Context, i int)) {
	items := make(chan int, n)
	for i := range n {
		items <- i
	}
	close(items)
	ForEachStream(ctx, items, limit, func(ctx context.Context, i, _ int) { fn(ctx, i) })
}

// ForEachStream is ForEach over items that arrive while the work goes on
// (an organization listed page by page): the i-th item received starts as
// soon as a slot is free, without waiting for the next, and ForEachStream
// returns when items is closed and every fn has returned. It drains items
// whatever fn does.
func ForEachStream[T any](ctx context.Context, items <-chan T, limit int, fn func(ctx context.Context, i int, item T)) {
	p := &pool{free: max(limit, 1)}
	var wg sync.WaitGroup
	i := 0
	for item := range items {
		p.acquire(nil, false)
		a := &account{pool: p, held: true}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer a.finish()
			fn(context.WithValue(ctx, accountKey{}, a), i, item)
		}(i)
		i++
	}
	wg.Wait()
}

// pool hands out slots; accounts resuming from a sleep go before accounts
// not yet started, so started work finishes first.
type pool struct {
	mu       sync.Mutex
	free     int
	resuming []chan struct{}
	starting []chan struct{}
}

// acquire takes a slot, waiting if none is free. A resuming account that
// is cancelled while waiting goes on without one: it is winding down.
func (p *pool) acquire(done <-chan struct{}, resume bool) bool {
	p.mu.Lock()
	if p.free > 0 {
		p.free--
		p.mu.Unlock()
		return true
	}
	ch := make(chan struct{})
	if resume {
		p.resuming = append(p.resuming, ch)
	} else {
		p.starting = append(p.starting, ch)
	}
	p.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-done:
		p.mu.Lock()
		defer p.mu.Unlock()
		for i, w := range p.resuming {
			if w == ch {
				p.resuming = append(p.resuming[:i], p.resuming[i+1:]...)
				return false
			}
		}
		// Handed a slot just as it gave up: keep it.
		return true
	}
}

func (p *pool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, q := range []*[]chan struct{}{&p.resuming, &p.starting} {
		if len(*q) > 0 {
			close((*q)[0])
			*q = (*q)[1:]
			return
		}
	}
	p.free++
}

type accountKey struct{}

// account is one fn's share of the pool: it holds its slot unless every
// one of its calls in flight is asleep.
type account struct {
	pool               *pool
	mu                 sync.Mutex
	held, acquiring    bool
	inflight, sleeping int
}

// settle takes or gives back the slot after a change of counts. It is
// called with a.mu held and returns with it held. While one call of the
// account waits for a slot the others go on: the account is about to hold one.
func (a *account) settle(done <-chan struct{}) {
	for !a.acquiring {
		want := a.inflight == 0 || a.sleeping < a.inflight
		switch {
		case want && !a.held:
			a.acquiring = true
			a.mu.Unlock()
			got := a.pool.acquire(done, true)
			a.mu.Lock()
			a.acquiring, a.held = false, got
			if !got {
				return
			}
			// The counts may have moved while it waited: look again.
		case !want && a.held:
			a.held = false
			a.pool.release()
			return
		default:
			return
		}
	}
}

func (a *account) finish() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.held {
		a.held = false
		a.pool.release()
	}
}

// Call is one AWS call of an account, from its first attempt to its answer.
// A nil *Call (a context without an account) does nothing.
type Call struct {
	a      *account
	asleep bool
}

// Begin marks a call of ctx's account as in flight; End must follow.
func Begin(ctx context.Context) *Call {
	a, _ := ctx.Value(accountKey{}).(*account)
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inflight++
	a.settle(ctx.Done())
	return &Call{a: a}
}

// Sleep marks the call as waiting in retry backoff.
func (c *Call) Sleep() {
	if c == nil || c.asleep {
		return
	}
	c.a.mu.Lock()
	defer c.a.mu.Unlock()
	c.asleep = true
	c.a.sleeping++
	c.a.settle(nil)
}

// Wake marks the call as working again, waiting for a slot if its account
// gave its one away.
func (c *Call) Wake(ctx context.Context) {
	if c == nil || !c.asleep {
		return
	}
	c.a.mu.Lock()
	defer c.a.mu.Unlock()
	c.asleep = false
	c.a.sleeping--
	c.a.settle(ctx.Done())
}

// End marks the call as answered.
func (c *Call) End() {
	if c == nil {
		return
	}
	c.a.mu.Lock()
	defer c.a.mu.Unlock()
	if c.asleep {
		c.asleep = false
		c.a.sleeping--
	}
	c.a.inflight--
	c.a.settle(nil)
}
