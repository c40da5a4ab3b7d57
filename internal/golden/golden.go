// Package golden compares rendered output with files under a package's
// testdata/, or rewrites them when its tests run with -update. It is for
// tests only; one flag serves every package that uses it.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Update reports whether the tests run with -update.
func Update() bool { return *update }

// Check compares got with testdata/name, after rewriting the file under
// -update.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test with -update to create %s", path)
	require.Equal(t, string(want), string(got))
}
