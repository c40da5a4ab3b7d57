package check

import (
	"context"
	"sync"

	"github.com/trailwatch/trailwatch/check/pattern"
	"github.com/trailwatch/trailwatch/control"
)

// together runs independent reads of one account at once and returns when
// all have: this is how the chain's critical path stays short (reads that
// need only what an earlier read returned go side by side). A new read
// joins a step by becoming one more function here.
func together(ctx context.Context, reads ...func(ctx context.Context)) {
	fanOut(ctx, len(reads), func(ctx context.Context, i int) { reads[i](ctx) })
}

// fanOut runs fn for 0..n-1 at once (paths along the chain: trails,
// filters, metrics, alarms, topics) and returns when all have. Path 0 runs
// in the caller's goroutine, so a single path starts none. ctx passes
// through as it is: it carries the account's slot in internal/parallel,
// which every read of the account shares.
func fanOut(ctx context.Context, n int, fn func(ctx context.Context, i int)) {
	var wg sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(ctx, i)
		}()
	}
	if n > 0 {
		fn(ctx, 0)
	}
	wg.Wait()
}

// memo caches one read per key for the account's run. Paths asking for
// the same key at once wait for the first one's answer instead of asking
// AWS again.
type memo[V any] struct {
	mu sync.Mutex
	by map[string]*memoEntry[V]
}

type memoEntry[V any] struct {
	done chan struct{}
	v    V
	err  error
}

func (m *memo[V]) get(key string, read func() (V, error)) (V, error) {
	m.mu.Lock()
	e, ok := m.by[key]
	if !ok {
		if m.by == nil {
			m.by = map[string]*memoEntry[V]{}
		}
		e = &memoEntry[V]{done: make(chan struct{})}
		m.by[key] = e
		m.mu.Unlock()
		e.v, e.err = read()
		close(e.done)
		return e.v, e.err
	}
	m.mu.Unlock()
	<-e.done
	return e.v, e.err
}

// analyses are a run's pattern verdicts: a fleet repeats the same texts, so
// each (control, text) is evaluated once per run.
type analyses struct{ m sync.Map }

type analysisKey struct {
	control string
	records *control.Record // tells made-up controls of one ID apart
	text    string
}

type analysis struct {
	cov *pattern.Coverage
	err error
}

// of is text's coverage of ctrl; the Coverage is shared: read it only.
func (x *analyses) of(ctrl control.Control, text string) (*pattern.Coverage, error) {
	key := analysisKey{control: ctrl.ID, text: text}
	if len(ctrl.Records) > 0 {
		key.records = &ctrl.Records[0]
	}
	once, _ := x.m.LoadOrStore(key, sync.OnceValue(func() analysis {
		cov, err := pattern.AnalyzeFor(ctrl, text)
		return analysis{cov, err}
	}))
	a := once.(func() analysis)()
	return a.cov, a.err
}
