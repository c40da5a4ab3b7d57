package sandbox

import (
	"encoding/xml"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// queryProtocol is awsQuery: a form-encoded request (Action, Version,
// lists as X.member.N, maps as X.entry.N.key/value, structures as X.Y) and
// an XML response wrapped in <ActionResponse><ActionResult>.
type queryProtocol struct{}

func (queryProtocol) decode(body []byte, r *http.Request) (map[string]any, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("request body is not form-encoded: %w", err)
	}
	if r.Method == http.MethodGet {
		form = r.URL.Query()
	}
	return decodeQuery(form), nil
}

// decodeQuery builds the nested input from flat Query keys.
func decodeQuery(form url.Values) map[string]any {
	root := map[string]any{}
	for key, vals := range form {
		if len(vals) == 0 {
			continue
		}
		node := root
		parts := strings.Split(key, ".")
		for i, p := range parts {
			if i == len(parts)-1 {
				node[p] = vals[0]
				break
			}
			child, ok := node[p].(map[string]any)
			if !ok {
				child = map[string]any{}
				node[p] = child
			}
			node = child
		}
	}
	return normalizeQuery(root).(map[string]any)
}

// normalizeQuery turns {"member": {"1": a, "2": b}} into [a, b] and
// {"entry": {"1": {"key": k, "value": v}}} into {k: v}. A list or map sent
// as "X=" (empty) decodes as the empty string, which the accessors treat as
// absent.
func normalizeQuery(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if members, ok := m["member"].(map[string]any); ok && len(m) == 1 {
		return indexed(members)
	}
	if entries, ok := m["entry"].(map[string]any); ok && len(m) == 1 {
		out := map[string]any{}
		for _, e := range indexed(entries) {
			if em, ok := e.(map[string]any); ok {
				out[fmt.Sprint(em["key"])] = em["value"]
			}
		}
		return out
	}
	for k, x := range m {
		m[k] = normalizeQuery(x)
	}
	return m
}

// indexed orders {"1": a, "10": b, "2": c} numerically.
func indexed(m map[string]any) []any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, _ := strconv.Atoi(keys[i])
		b, _ := strconv.Atoi(keys[j])
		return a < b
	})
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, normalizeQuery(m[k]))
	}
	return out
}

func (queryProtocol) writeOutput(w http.ResponseWriter, req *request, out map[string]any) {
	var b strings.Builder
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, req.action, queryNamespaces[req.service])
	if out != nil {
		fmt.Fprintf(&b, "<%sResult>", req.action)
		writeXMLFields(&b, out)
		fmt.Fprintf(&b, "</%sResult>", req.action)
	}
	fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", req.id, req.action)
	writeXML(w, req, http.StatusOK, b.String())
}

func (queryProtocol) writeError(w http.ResponseWriter, req *request, e *apiError) {
	var b strings.Builder
	fmt.Fprintf(&b, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>`, queryNamespaces[req.service], fault(e))
	xmlText(&b, e.Code)
	b.WriteString("</Code><Message>")
	xmlText(&b, e.Message)
	fmt.Fprintf(&b, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", req.id)
	writeXML(w, req, e.Status, b.String())
}

func writeXML(w http.ResponseWriter, req *request, status int, body string) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", req.id)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// writeXMLFields writes a structure's members as elements, in name order.
func writeXMLFields(b *strings.Builder, m map[string]any) {
	for _, k := range sortedKeys(m) {
		if m[k] == nil {
			continue
		}
		writeXMLElement(b, k, m[k])
	}
}

func writeXMLElement(b *strings.Builder, name string, v any) {
	switch v := v.(type) {
	case *time.Time:
		if v == nil {
			return
		}
		writeXMLElement(b, name, *v)
		return
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
	}
	fmt.Fprintf(b, "<%s>", name)
	switch v := v.(type) {
	case map[string]any:
		writeXMLFields(b, v)
	case stringMap:
		for _, k := range sortedKeys(v) {
			b.WriteString("<entry><key>")
			xmlText(b, k)
			b.WriteString("</key><value>")
			xmlText(b, v[k])
			b.WriteString("</value></entry>")
		}
	case []any:
		for _, x := range v {
			writeXMLElement(b, "member", x)
		}
	case []string:
		for _, x := range v {
			writeXMLElement(b, "member", x)
		}
	case []map[string]any:
		for _, x := range v {
			writeXMLElement(b, "member", x)
		}
	case time.Time:
		b.WriteString(v.UTC().Format("2006-01-02T15:04:05.000Z"))
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	case string:
		xmlText(b, v)
	default:
		xmlText(b, fmt.Sprint(v))
	}
	fmt.Fprintf(b, "</%s>", name)
}

func xmlText(b *strings.Builder, s string) {
	_ = xml.EscapeText(b, []byte(s))
}
