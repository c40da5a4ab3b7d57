package report

import (
	"html/template"
	"strings"
)

// breakable is s as HTML with a line-break opportunity (<wbr>) after each
// ':', '/' and '_', so an ARN or a reason such as NO_CONFIRMED_SUBSCRIBER
// wraps between its parts in a narrow cell instead of in the middle of a
// name. <wbr> adds no character: a copied ARN stays whole.
func breakable(s string) template.HTML {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(template.HTMLEscapeString(string(r)))
		if r == ':' || r == '/' || r == '_' {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String())
}
