package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/trailwatch/trailwatch/report"
)

// outputFiles collects --output-file FORMAT=PATH, one value per use of the
// flag (a custom flag value: urfave/cli's slices split on commas, which paths
// may contain).
type outputFiles []outputFile

type outputFile struct {
	format report.Format
	path   string
}

func (o *outputFiles) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok || path == "" {
		return fmt.Errorf("%q: want FORMAT=PATH, e.g. junit=results.xml", v)
	}
	f, err := report.ParseFormat(name)
	if err != nil {
		return fmt.Errorf("%q: %w", v, err)
	}
	*o = append(*o, outputFile{format: f, path: path})
	return nil
}

func (o *outputFiles) String() string {
	parts := make([]string, len(*o))
	for i, f := range *o {
		parts[i] = string(f.format) + "=" + f.path
	}
	return strings.Join(parts, ", ")
}

// pendingFile is a report file being written: its bytes go to a temporary
// file beside it, renamed over the path only when the whole report is
// written, so a failed or interrupted run never leaves a half report behind.
type pendingFile struct {
	path string
	tmp  *os.File
}

// openPending creates the temporary files for paths before anything is
// read from AWS, so a path that cannot be written stops the run early. The
// files get perm less the umask, as a file the shell creates would.
func openPending(paths []string, perm os.FileMode) ([]*pendingFile, error) {
	seen := map[string]bool{}
	var out []*pendingFile
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			discard(out)
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if seen[abs] {
			discard(out)
			return nil, fmt.Errorf("%s: named twice", p)
		}
		seen[abs] = true
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			discard(out)
			return nil, fmt.Errorf("%s: is a directory", p)
		}
		tmp, err := createTemp(filepath.Dir(abs), "."+filepath.Base(abs), perm)
		if err != nil {
			discard(out)
			return nil, fmt.Errorf("%s: cannot write there: %w", p, err)
		}
		out = append(out, &pendingFile{path: abs, tmp: tmp})
	}
	return out, nil
}

// commit writes the report with write and moves it into place.
func (p *pendingFile) commit(write func(io.Writer) error) error {
	err := write(p.tmp)
	if cerr := p.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(p.tmp.Name(), p.path)
	}
	if err != nil {
		os.Remove(p.tmp.Name())
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	return nil
}

// createTemp is os.CreateTemp with a mode of the caller's (CreateTemp's is
// always 0600): the kernel applies the umask, so a user whose umask keeps
// files private gets private reports.
func createTemp(dir, prefix string, perm os.FileMode) (*os.File, error) {
	for {
		f, err := os.OpenFile(filepath.Join(dir, prefix+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp"),
			os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}

// discard removes temporary files that will not be committed.
func discard(files []*pendingFile) {
	for _, p := range files {
		p.tmp.Close()
		os.Remove(p.tmp.Name()) // already gone once committed
	}
}
