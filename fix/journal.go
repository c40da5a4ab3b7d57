package fix

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Entry is one line of the journal: one write fix made (or tried), with
// what it sent and what came back.
type Entry struct {
	Time      time.Time `json:"time"`
	Account   string    `json:"account"`
	Profile   string    `json:"profile,omitempty"`
	Region    string    `json:"region"`
	Change    string    `json:"change"`
	Operation string    `json:"operation"`
	Target    string    `json:"target"`
	Request   any       `json:"request"`
	// Result is "ok" or "error".
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Journal appends entries as JSON lines. It is safe for concurrent use by
// the accounts of one run; each line is written whole, with O_APPEND, so
// concurrent runs sharing a file do not interleave within a line.
type Journal struct {
	mu        sync.Mutex
	f         *os.File
	path      string
	abandoned bool
	written   int
}

// OpenJournal opens (creating it and its directory if needed) the journal
// at path. It is private to the user: it holds account IDs and endpoints.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	return &Journal{f: f, path: path}, nil
}

// Path is where the journal is written.
func (j *Journal) Path() string { return j.path }

// Record appends one entry and syncs it to disk, so the evidence survives
// a crash right after the write it records.
func (j *Journal) Record(e Entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.abandoned {
		return fmt.Errorf("journal %s: %w", j.path, errAbandoned)
	}
	if _, err := j.f.Write(line); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.written++
	return nil
}

// Written is how many entries this run recorded.
func (j *Journal) Written() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.written
}

// Abandon stops the journal when the process is about to exit at once: an
// entry being written is finished and synced first, later ones are refused.
func (j *Journal) Abandon() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.abandoned = true
}

var errAbandoned = errors.New("abandoned: the run is exiting")

// Close closes the journal file.
func (j *Journal) Close() error { return j.f.Close() }

// DefaultJournalPath is $XDG_STATE_HOME/trailwatch/journal.jsonl, else
// ~/.local/state/trailwatch/journal.jsonl (the XDG base directory rule).
func DefaultJournalPath(getenv func(string) string) (string, error) {
	if dir := getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "trailwatch", "journal.jsonl"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", errors.New("no home directory for the journal: pass --journal FILE")
		}
		home = h
	}
	return filepath.Join(home, ".local", "state", "trailwatch", "journal.jsonl"), nil
}
