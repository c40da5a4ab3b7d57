// Package style carries the colour decision from the command layer to the
// renderers, so check, plan and fix never import a terminal library.
package style

// Palette paints text; every function is the identity when colour is off.
type Palette struct {
	Good  func(string) string // held links, PASS, created resources
	Bad   func(string) string // missing links, FAIL, errors
	Warn  func(string) string // MANUAL, indeterminate, pending
	Faint func(string) string // secondary detail
	Bold  func(string) string // headings
}

// Plain is the palette for pipes, files, NO_COLOR and tests.
func Plain() Palette {
	id := func(s string) string { return s }
	return Palette{Good: id, Bad: id, Warn: id, Faint: id, Bold: id}
}
