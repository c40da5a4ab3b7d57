package wrap

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLine(t *testing.T) {
	arn := "arn:aws:sns:us-east-1:111111111111:trailwatch-cloudtrail-changes"
	for _, tc := range []struct {
		name  string
		line  string
		width int
		want  []string
	}{
		{"fits: unchanged, padding kept", "  ✓ topic    + sns:CreateTopic  applied", 80, []string{"  ✓ topic    + sns:CreateTopic  applied"}},
		{"no terminal: unchanged", strings.Repeat("word ", 40), 0, []string{strings.Repeat("word ", 40)}},
		{"breaks at spaces, continuation indented past the line", "  one two three four five six", 16,
			[]string{"  one two three", "      four five", "      six"}},
		{"a value longer than the width gets its own row, whole", "  topic " + arn + " created", 40,
			[]string{"  topic", arn, "      created"}},
		{"a long first word starts at the first column", "    " + arn, 40, []string{arn}},
		{"colour sequences take no columns", "\x1b[32m+\x1b[0m aaaa bbbb", 11, []string{"\x1b[32m+\x1b[0m aaaa bbbb"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Split(Line(tc.line, tc.width), "\n")
			require.Equal(t, tc.want, got)
			for _, row := range got {
				if !strings.Contains(row, arn) && tc.width > 0 {
					require.LessOrEqual(t, Width(row), tc.width, row)
				}
			}
			// Every word is there, whole and in order.
			require.Equal(t, strings.Fields(tc.line), strings.Fields(strings.Join(got, " ")))
		})
	}
}

func TestWriterHoldsLinesUntilTheirNewline(t *testing.T) {
	var b bytes.Buffer
	w := New(&b, 10)
	_, err := w.Write([]byte("aaa bbb"))
	require.NoError(t, err)
	require.Empty(t, b.String())
	_, err = w.Write([]byte(" ccc\nddd"))
	require.NoError(t, err)
	require.Equal(t, "aaa bbb\n    ccc\n", b.String())
	require.NoError(t, w.(*Writer).Flush())
	require.Equal(t, "aaa bbb\n    ccc\nddd", b.String())
}

func TestNewWithoutWidthIsTheWriterItself(t *testing.T) {
	var b bytes.Buffer
	require.Same(t, &b, New(&b, 0))
}

// Prose is reflowed: its own line breaks give way to the width's.
func TestParagraph(t *testing.T) {
	text := "the sandbox plays an account: a trail delivers,\na filter names all five changes"
	require.Equal(t, "the sandbox plays an account: a trail\ndelivers, a filter names all five\nchanges", Paragraph(text, 38))
	require.Equal(t, text, Paragraph(text, 0), "no terminal: as written")
}
