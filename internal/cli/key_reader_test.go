package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The line editor knows one spelling of Home, End and the arrows; the
// others terminals send are rewritten to it, and Ctrl-C is noted so it can
// cancel the run while Ctrl-D cancels only the prompt.
func TestKeyReader(t *testing.T) {
	for _, tc := range []struct {
		in, want    string
		interrupted bool
	}{
		{"abc", "abc", false},
		{"ab\x1b[4~c", "ab\x05c", false},
		{"\x1bOH\x1b[1~\x1b[7~", "\x01\x01\x01", false},
		{"\x1bOF\x1b[8~", "\x05\x05", false},
		{"\x1bOA\x1bOD", "\x1b[A\x1b[D", false},
		{"\x1b[D\x1b[3~", "\x1b[D\x1b[3~", false},
		{"x\x03", "x\x03", true},
		{"\x04", "\x04", false},
	} {
		r := &keyReader{r: strings.NewReader(tc.in)}
		buf := make([]byte, 64)
		n, err := r.Read(buf)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, string(buf[:n]), "%q", tc.in)
		require.Equal(t, tc.interrupted, r.interrupted, "%q", tc.in)
		_, err = r.Read(buf)
		require.ErrorIs(t, err, io.EOF)
		require.True(t, r.hungUp, "a closed terminal is noted")
	}
}
