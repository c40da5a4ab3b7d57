package report

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkWriteFormats1000 renders a 1,000-account report in each format:
// the cost check adds after the accounts are read.
func BenchmarkWriteFormats1000(b *testing.B) {
	rep := bigFleet(b, 1000)
	for _, f := range []Format{CSV, JUnit, OCSF, ASFF} {
		b.Run(string(f), func(b *testing.B) {
			for b.Loop() {
				require.NoError(b, Write(io.Discard, f, rep, plain))
			}
		})
	}
	b.Run("html", func(b *testing.B) {
		for b.Loop() {
			require.NoError(b, WriteHTML(io.Discard, rep))
		}
	})
}
