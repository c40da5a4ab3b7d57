// Package wrap breaks text to a terminal's width at word boundaries. A
// word is never split: ARNs, names and quoted values stay whole and can be
// copied as printed; one longer than the width gets a line of its own.
// Renderers write to a Writer as to any io.Writer, so their output without
// a terminal (width 0) is byte for byte what it always was.
package wrap

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Writer wraps each line written through it to Width columns. A line is
// held until its newline arrives (Flush writes a last partial one).
// Continuation rows are indented past the line's own indentation, so a
// wrapped line still reads as one item.
type Writer struct {
	w     io.Writer
	width int
	buf   bytes.Buffer
}

// New returns w itself when width is 0 or less (no terminal: no wrapping),
// else a Writer wrapping to width columns.
func New(w io.Writer, width int) io.Writer {
	if width <= 0 {
		return w
	}
	return &Writer{w: w, width: width}
}

// Hang is how much deeper than its line a continuation row is indented.
const Hang = 4

func (w *Writer) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf.Next(i + 1))
		if _, err := io.WriteString(w.w, Line(strings.TrimSuffix(line, "\n"), w.width)+"\n"); err != nil {
			return len(p), err
		}
	}
}

// Flush writes a last line that has no newline.
func (w *Writer) Flush() error {
	if w.buf.Len() == 0 {
		return nil
	}
	line := w.buf.String()
	w.buf.Reset()
	_, err := io.WriteString(w.w, Line(line, w.width))
	return err
}

// Line wraps one line (no newline in it) to width columns and returns the
// rows joined by newlines. Runs of spaces inside a row (a table's padding)
// are kept; at a break they are dropped.
func Line(line string, width int) string {
	return wrapLine(line, width, Hang)
}

// Paragraph wraps prose: its lines are joined into one and wrapped to
// width with no hanging indent. Width 0 or less returns s as it is, its
// own line breaks kept.
func Paragraph(s string, width int) string {
	if width <= 0 {
		return s
	}
	return wrapLine(strings.Join(strings.Split(s, "\n"), " "), width, 0)
}

func wrapLine(line string, width, hang int) string {
	if width <= 0 || Width(line) <= width {
		return line
	}
	body := strings.TrimLeft(line, " ")
	lead := len(line) - len(body)
	indent := lead + hang
	if indent > width/2 {
		indent = min(lead, width/2)
	}
	var rows []string
	row, rowWidth := line[:lead], lead
	for i, tok := range tokens(body) {
		sep, word := tok[0], tok[1]
		ww := Width(word)
		switch {
		case i == 0 && lead+ww > width:
			// Too long to fit even at the line's indentation: on a row of
			// its own from the first column, unbroken.
			row, rowWidth = word, ww
		case i == 0 || rowWidth+len(sep)+ww <= width:
			row += sep + word
			rowWidth += len(sep) + ww
		default:
			rows = append(rows, row)
			pad := indent
			if pad+ww > width {
				pad = 0
			}
			row, rowWidth = strings.Repeat(" ", pad)+word, pad+ww
		}
	}
	rows = append(rows, row)
	return strings.Join(rows, "\n")
}

// tokens splits s into (spaces before, word) pairs; the first has no
// spaces before it.
func tokens(s string) [][2]string {
	var out [][2]string
	for len(s) > 0 {
		body := strings.TrimLeft(s, " ")
		sep := s[:len(s)-len(body)]
		if body == "" {
			break
		}
		end := strings.IndexByte(body, ' ')
		if end < 0 {
			end = len(body)
		}
		out = append(out, [2]string{sep, body[:end]})
		s = body[end:]
	}
	return out
}

// ansi matches the colour sequences trailwatch's palette writes; text from
// AWS is escaped before it is drawn, so no other sequence reaches here.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Width is how many columns s takes: its runes, colour sequences aside.
func Width(s string) int {
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = ansi.ReplaceAllString(s, "")
	}
	return utf8.RuneCountInString(s)
}
