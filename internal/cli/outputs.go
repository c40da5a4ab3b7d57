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
		return errors.New("want FORMAT=PATH, e.g. junit=results.xml")
	}
	f, err := report.ParseFormat(name)
	if err != nil {
		return err
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

// outPath is a file a flag names: the flag as typed before it in errors
// ("--report", "--output-file csv=").
type outPath struct {
	flag, path string
}

func (o outPath) String() string {
	if strings.HasSuffix(o.flag, "=") {
		return o.flag + o.path
	}
	return o.flag + " " + o.path
}

// openPending creates the temporary files for paths before anything is
// read from AWS, so a path that cannot be written stops the run early. The
// files get perm less the umask, as a file the shell creates would. Errors
// read "--flag PATH: why", naming the directory at fault, never the
// temporary file.
func openPending(paths []outPath, perm os.FileMode) ([]*pendingFile, error) {
	seen := map[string]outPath{}
	var out []*pendingFile
	for _, p := range paths {
		abs, err := filepath.Abs(p.path)
		if err != nil {
			discard(out)
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if first, ok := seen[abs]; ok {
			discard(out)
			return nil, fmt.Errorf("%s: named twice (also %s)", p, first)
		}
		seen[abs] = p
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			discard(out)
			return nil, fmt.Errorf("%s: is a directory: want a file name in it", p)
		}
		tmp, err := createTemp(filepath.Dir(abs), "."+filepath.Base(abs), perm)
		if err != nil {
			discard(out)
			return nil, fmt.Errorf("%s: %s", p, whyUnwritable(filepath.Dir(p.path), err))
		}
		out = append(out, &pendingFile{path: abs, tmp: tmp})
	}
	return out, nil
}

// whyUnwritable says why a file cannot be created in dir, about dir.
func whyUnwritable(dir string, err error) string {
	fi, serr := os.Stat(dir)
	switch {
	case errors.Is(serr, fs.ErrNotExist):
		return "directory " + dir + " does not exist"
	case serr == nil && !fi.IsDir():
		return dir + " is not a directory"
	case errors.Is(err, fs.ErrPermission):
		return "cannot write in directory " + dir + ": permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the temporary file's name means nothing to the reader
	}
	return "cannot write in directory " + dir + ": " + err.Error()
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
		// The temporary file's name means nothing to the reader.
		var le *os.LinkError
		var pe *fs.PathError
		if errors.As(err, &le) {
			err = le.Err
		} else if errors.As(err, &pe) {
			err = pe.Err
		}
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
