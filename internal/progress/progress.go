// Package progress shows how far a long run over many accounts has got, on
// stderr and never on stdout: at a terminal one line redrawn in place, in a
// log (CI) a plain line now and then.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Options tune a Meter; the zero value is the production behaviour.
type Options struct {
	// Live redraws one line in place (stderr is a terminal).
	Live bool
	// Every is how often a plain line is written, and how often the live
	// line's clock is redrawn while nothing finishes (default 10s plain,
	// 1s live).
	Every time.Duration
	// Now is the clock (tests pin it).
	Now func() time.Time
	// Since is when the phase began, if before Start (zero: at Start).
	Since time.Time
}

// Meter counts accounts done in one phase of a run ("check", "plan", …).
type Meter struct {
	w     io.Writer
	o     Options
	label string
	total int
	start time.Time

	mu           sync.Mutex
	done         int
	pass, fail   int
	errs, manual int
	other        int
	drawn        bool      // a live line is on screen
	lastPlain    time.Time // when the last plain line was written
	lastLive     time.Time
	stop         chan struct{}
	stopped      sync.WaitGroup
}

// liveEvery bounds how often the live line is redrawn as accounts finish.
const liveEvery = 100 * time.Millisecond

// Start begins a phase of total accounts. A Meter for one account or none
// shows nothing: a single account's run is short and its report says all.
func Start(w io.Writer, label string, total int, o Options) *Meter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Every <= 0 {
		o.Every = 10 * time.Second
		if o.Live {
			o.Every = time.Second
		}
	}
	m := &Meter{w: w, o: o, label: label, total: total, start: o.Since}
	if m.start.IsZero() {
		m.start = o.Now()
	}
	m.lastPlain = m.start
	if total < 2 {
		return m
	}
	m.stop = make(chan struct{})
	m.stopped.Add(1)
	go m.clock()
	return m
}

// clock redraws (live) or reports (plain) while nothing finishes.
func (m *Meter) clock() {
	defer m.stopped.Done()
	t := time.NewTicker(m.o.Every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.tick()
		}
	}
}

func (m *Meter) tick() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.show(true)
}

// SetTotal corrects the phase's total, which a run may learn only as it
// goes (check finds two profiles reaching one account, say).
func (m *Meter) SetTotal(n int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.total = n
}

// Done records one finished account by its status (PASS, FAIL, ERROR,
// MANUAL; any other counts apart).
func (m *Meter) Done(status string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done++
	switch status {
	case "PASS":
		m.pass++
	case "FAIL":
		m.fail++
	case "ERROR":
		m.errs++
	case "MANUAL":
		m.manual++
	default:
		m.other++
	}
	if m.total >= 2 {
		m.show(false)
	}
}

// show writes the line if it is due; forced by the clock.
func (m *Meter) show(clock bool) {
	now := m.o.Now()
	if m.o.Live {
		if !clock && now.Sub(m.lastLive) < liveEvery && m.done < m.total {
			return
		}
		m.lastLive = now
		fmt.Fprintf(m.w, "\r\033[K%s", m.line(now))
		m.drawn = true
		return
	}
	if now.Sub(m.lastPlain) < m.o.Every {
		return
	}
	m.lastPlain = now
	fmt.Fprintln(m.w, m.line(now))
}

// line is e.g. "check: 37/200 accounts, 30 pass, 5 fail, 2 error, 12s elapsed, about 53s left".
func (m *Meter) line(now time.Time) string {
	elapsed := now.Sub(m.start)
	s := fmt.Sprintf("%s: %d/%d accounts, %d pass, %d fail, %d error", m.label, m.done, m.total, m.pass, m.fail, m.errs)
	if m.manual > 0 {
		s += fmt.Sprintf(", %d manual", m.manual)
	}
	if m.other > 0 {
		s += fmt.Sprintf(", %d other", m.other)
	}
	s += ", " + round(elapsed) + " elapsed"
	if m.done > 0 && m.done < m.total {
		left := time.Duration(float64(elapsed) / float64(m.done) * float64(m.total-m.done))
		s += ", about " + round(left) + " left"
	}
	return s
}

func round(d time.Duration) string {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// Finish ends the phase: the live line is cleared, so the report and any
// prompt start on a clean line; a plain log gets a last line when it got
// any, so it says how the phase ended.
func (m *Meter) Finish() {
	if m == nil {
		return
	}
	// A meter started for fewer than two accounts has no clock, but may
	// have drawn since: SetTotal can raise its total.
	if m.stop != nil {
		close(m.stop)
		m.stopped.Wait()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.o.Live && m.drawn:
		fmt.Fprint(m.w, "\r\033[K")
	case !m.o.Live && m.lastPlain != m.start:
		fmt.Fprintln(m.w, m.line(m.o.Now()))
	}
}
