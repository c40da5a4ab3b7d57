// Package parallel runs per-account work with a bound on concurrency; check
// and fix share it.
package parallel

import "sync"

// ForEach runs fn for 0..n-1 with at most limit running at once (at least
// one), and returns when all have.
func ForEach(n, limit int, fn func(i int)) {
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
}
