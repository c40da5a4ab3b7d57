package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/internal/termsafe"
)

var plain = style.Plain()

// validText names every account with its status and ends with the summary.
func validText(t *testing.T, b []byte, rep check.Report) {
	text := string(b)
	for _, r := range rep.Results {
		require.Contains(t, text, string(r.Status))
		if r.Account != "" {
			require.Contains(t, text, r.Account)
		}
	}
	require.Contains(t, text, fmt.Sprintf("%d accounts: %d pass, %d fail", rep.Summary.Accounts, rep.Summary.Pass, rep.Summary.Fail))
}

// terminalInert: nothing a terminal acts on — C0 and C1 controls, DEL,
// bidi overrides and isolates, line and paragraph separators.
func terminalInert(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}

// validJSON decodes back to the same report.
func validJSON(t *testing.T, b []byte, rep check.Report) {
	var back check.Report
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, rep, back)
}

// validCSV parses the CSV back: a header, then one row per result with the
// account's fields, every row as wide as the header.
func validCSV(t *testing.T, b []byte, rep check.Report) {
	r := csv.NewReader(bytes.NewReader(b))
	rows, err := r.ReadAll() // also fails on rows of a different width
	require.NoError(t, err)
	require.Equal(t, csvHeader, rows[0])
	require.Len(t, rows, len(rep.Results)+1)
	col := func(name string) int { return slices.Index(csvHeader, name) }
	for i, res := range rep.Results {
		row := rows[i+1]
		require.Equal(t, res.Account, row[col("account")])
		require.Equal(t, string(res.Status), row[col("status")])
		require.Equal(t, string(res.Reason), row[col("reason")])
		require.Equal(t, inertCell(termsafe.Escape(res.Message)), row[col("message")])
		for _, cell := range row {
			require.True(t, terminalInert(cell), "cell %q carries a control character", cell)
		}
		require.Equal(t, rep.CheckedAt.Format(time.RFC3339), row[col("checked_at")])
	}
}

// xmlNode is a generic element, so JUnit output is checked against the
// element rules rather than against the structs that wrote it.
type xmlNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xmlNode  `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n xmlNode) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n xmlNode) count(name string) int {
	c := 0
	for _, ch := range n.Children {
		if ch.XMLName.Local == name {
			c++
		}
	}
	return c
}

// validJUnit checks the rules CI servers read JUnit XML by (the Ant JUnit
// schema and Jenkins' reading of it): testsuites > testsuite > testcase;
// the counts add up; a test case has a name, a classname and a decimal time
// and at most one of failure, error or skipped; failures and errors carry
// message and type.
func validJUnit(t *testing.T, b []byte, rep check.Report) {
	require.True(t, bytes.HasPrefix(b, []byte(xml.Header)))
	var root xmlNode
	dec := xml.NewDecoder(bytes.NewReader(b))
	require.NoError(t, dec.Decode(&root))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		cd, ok := tok.(xml.CharData)
		require.True(t, ok && len(bytes.TrimSpace(cd)) == 0, "one root element, got %v after it", tok)
	}
	require.Equal(t, "testsuites", root.XMLName.Local)
	num := func(n xmlNode, name string) int {
		v, ok := n.attr(name)
		require.True(t, ok, "%s needs %s", n.XMLName.Local, name)
		i, err := strconv.Atoi(v)
		require.NoError(t, err, "%s.%s", n.XMLName.Local, name)
		return i
	}
	decimal := func(n xmlNode, name string) {
		v, ok := n.attr(name)
		require.True(t, ok, "%s needs %s", n.XMLName.Local, name)
		_, err := strconv.ParseFloat(v, 64)
		require.NoError(t, err)
	}
	tests, failures, errs, skipped := 0, 0, 0, 0
	var cases []xmlNode
	for _, suite := range root.Children {
		require.Equal(t, "testsuite", suite.XMLName.Local)
		name, _ := suite.attr("name")
		require.NotEmpty(t, name)
		ts, _ := suite.attr("timestamp")
		require.Regexp(t, `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`, ts, "timestamp without time zone, as the schema says")
		decimal(suite, "time")
		f, e, s := 0, 0, 0
		for _, c := range suite.Children {
			switch c.XMLName.Local {
			case "properties":
				for _, p := range c.Children {
					require.Equal(t, "property", p.XMLName.Local)
					_, hasName := p.attr("name")
					_, hasValue := p.attr("value")
					require.True(t, hasName && hasValue)
				}
				continue
			case "system-out", "system-err":
				continue
			}
			require.Equal(t, "testcase", c.XMLName.Local)
			for _, a := range []string{"name", "classname"} {
				v, ok := c.attr(a)
				require.True(t, ok && v != "", "testcase needs %s", a)
			}
			decimal(c, "time")
			outcomes := c.count("failure") + c.count("error") + c.count("skipped")
			require.LessOrEqual(t, outcomes, 1)
			for _, ch := range c.Children {
				switch ch.XMLName.Local {
				case "failure", "error":
					for _, a := range []string{"message", "type"} {
						v, ok := ch.attr(a)
						require.True(t, ok && v != "", "%s needs %s", ch.XMLName.Local, a)
					}
				case "skipped", "system-out", "system-err":
				default:
					t.Fatalf("unexpected element %s in testcase", ch.XMLName.Local)
				}
			}
			f += c.count("failure")
			e += c.count("error")
			s += c.count("skipped")
			cases = append(cases, c)
		}
		require.Equal(t, suite.count("testcase"), num(suite, "tests"))
		require.Equal(t, f, num(suite, "failures"))
		require.Equal(t, e, num(suite, "errors"))
		require.Equal(t, s, num(suite, "skipped"))
		tests, failures, errs, skipped = tests+suite.count("testcase"), failures+f, errs+e, skipped+s
	}
	require.Equal(t, []int{tests, failures, errs, skipped}, []int{num(root, "tests"), num(root, "failures"), num(root, "errors"), num(root, "skipped")})

	require.Len(t, cases, len(rep.Results))
	for i, res := range rep.Results {
		c := cases[i]
		require.Contains(t, mustAttr(t, c, "name"), res.Account)
		switch res.Status {
		case check.Fail:
			require.Equal(t, string(res.Reason), mustAttr(t, c.Children[0], "type"))
			require.Equal(t, termsafe.Escape(res.Message), mustAttr(t, c.Children[0], "message"))
			require.Contains(t, c.Children[0].Text, res.Remediation)
		case check.Pass:
			require.Empty(t, c.Children)
		}
	}
}

func mustAttr(t *testing.T, n xmlNode, name string) string {
	v, ok := n.attr(name)
	require.True(t, ok, "%s needs %s", n.XMLName.Local, name)
	return v
}

// field reads a required attribute of a decoded JSON object and checks its
// JSON type: "string", "int", "object", "array".
func field(t *testing.T, obj map[string]any, name, typ string) any {
	t.Helper()
	v, ok := obj[name]
	require.True(t, ok, "missing required %s in %v", name, keysOf(obj))
	switch typ {
	case "string":
		s, ok := v.(string)
		require.True(t, ok, "%s: want a string, got %T", name, v)
		require.NotEmpty(t, strings.TrimSpace(s), "%s is blank", name)
	case "int":
		f, ok := v.(float64)
		require.True(t, ok && f == math.Trunc(f), "%s: want an integer, got %v", name, v)
	case "object":
		_, ok := v.(map[string]any)
		require.True(t, ok, "%s: want an object, got %T", name, v)
	case "array":
		_, ok := v.([]any)
		require.True(t, ok, "%s: want an array, got %T", name, v)
	}
	return v
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func decodeArray(t *testing.T, b []byte) []map[string]any {
	var out []map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

var (
	productARN  = regexp.MustCompile(`^arn:aws(-[a-z-]+)?:securityhub:[a-z0-9-]+:(\d{12}):product/(\d{12})/default$`)
	asffNSpaces = []string{"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors", "Sensitive Data Identifications"}
)

// validASFF checks every field BatchImportFindings requires of an
// AwsSecurityFinding, with its type and limits, and the Compliance status
// values; Ids are unique and every identified account has one.
func validASFF(t *testing.T, b []byte, rep check.Report) {
	findings := decodeArray(t, b)
	want := 0
	for _, r := range rep.Results {
		if r.Account != "" {
			want++
		}
	}
	require.Len(t, findings, want)
	ids := map[string]bool{}
	for _, f := range findings {
		require.Equal(t, "2018-10-08", field(t, f, "SchemaVersion", "string"))
		id := field(t, f, "Id", "string").(string)
		require.LessOrEqual(t, len(id), 512)
		require.False(t, ids[id], "duplicate Id %s", id)
		ids[id] = true
		account := field(t, f, "AwsAccountId", "string").(string)
		require.Regexp(t, `^\d{12}$`, account)
		m := productARN.FindStringSubmatch(field(t, f, "ProductArn", "string").(string))
		require.NotNil(t, m, "ProductArn %v", f["ProductArn"])
		require.Equal(t, []string{account, account}, m[2:], "the account's default product")
		require.LessOrEqual(t, len(field(t, f, "GeneratorId", "string").(string)), 512)
		types := field(t, f, "Types", "array").([]any)
		require.NotEmpty(t, types)
		for _, ty := range types {
			parts := strings.Split(ty.(string), "/")
			require.Len(t, parts, 3, "namespace/category/classifier")
			require.Contains(t, asffNSpaces, parts[0])
		}
		for _, ts := range []string{"CreatedAt", "UpdatedAt"} {
			_, err := time.Parse(time.RFC3339Nano, field(t, f, ts, "string").(string))
			require.NoError(t, err)
		}
		sev := field(t, f, "Severity", "object").(map[string]any)
		require.Contains(t, []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}, field(t, sev, "Label", "string"))
		fpf := field(t, f, "FindingProviderFields", "object").(map[string]any)
		require.Equal(t, sev, field(t, fpf, "Severity", "object"))
		require.Equal(t, types, field(t, fpf, "Types", "array"))
		require.NotContains(t, f, "Region", "Security Hub sets Region itself")
		require.LessOrEqual(t, len([]rune(field(t, f, "Title", "string").(string))), 256)
		require.LessOrEqual(t, len([]rune(field(t, f, "Description", "string").(string))), 1024)
		res := field(t, f, "Resources", "array").([]any)
		require.NotEmpty(t, res)
		require.LessOrEqual(t, len(res), 32)
		for _, r := range res {
			obj, ok := r.(map[string]any)
			require.True(t, ok)
			field(t, obj, "Type", "string")
			field(t, obj, "Id", "string")
		}
		comp := field(t, f, "Compliance", "object").(map[string]any)
		require.Contains(t, []string{"PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"}, field(t, comp, "Status", "string"))
		rec := field(t, field(t, f, "Remediation", "object").(map[string]any), "Recommendation", "object").(map[string]any)
		require.LessOrEqual(t, len([]rune(field(t, rec, "Text", "string").(string))), 512)
		pf := field(t, f, "ProductFields", "object").(map[string]any)
		require.LessOrEqual(t, len(pf), 50)
		for k, v := range pf {
			require.LessOrEqual(t, len(k), 128)
			require.IsType(t, "", v)
			require.LessOrEqual(t, len([]rune(v.(string))), 2048, "ProductFields[%s]", k)
		}
	}
}

var ocsfSeverities = []float64{0, 1, 2, 3, 4, 5, 6, 99}

// validOCSF checks the attributes OCSF 1.1.0 requires of a Compliance
// Finding (class 2003) and of the objects it requires, with their types;
// and the compliance status mapping.
func validOCSF(t *testing.T, b []byte, rep check.Report) {
	findings := decodeArray(t, b)
	require.Len(t, findings, len(rep.Results))
	wantStatus := map[check.Status]float64{check.Pass: 1, check.Fail: 3, check.Error: 0, check.Manual: 99}
	for i, f := range findings {
		activity := field(t, f, "activity_id", "int").(float64)
		require.Contains(t, []float64{0, 1, 2, 3, 99}, activity)
		require.Equal(t, 2.0, field(t, f, "category_uid", "int"))
		require.Equal(t, 2003.0, field(t, f, "class_uid", "int"))
		require.Equal(t, 2003*100+activity, field(t, f, "type_uid", "int"))
		require.Equal(t, float64(rep.CheckedAt.UnixMilli()), field(t, f, "time", "int"))
		require.Contains(t, ocsfSeverities, field(t, f, "severity_id", "int"))
		md := field(t, f, "metadata", "object").(map[string]any)
		require.Equal(t, OCSFVersion, field(t, md, "version", "string"))
		prod := field(t, md, "product", "object").(map[string]any)
		field(t, prod, "name", "string")
		field(t, prod, "vendor_name", "string")
		cloud := field(t, f, "cloud", "object").(map[string]any)
		field(t, cloud, "provider", "string")
		fi := field(t, f, "finding_info", "object").(map[string]any)
		field(t, fi, "uid", "string")
		field(t, fi, "title", "string")
		comp := field(t, f, "compliance", "object").(map[string]any)
		standards := field(t, comp, "standards", "array").([]any)
		require.NotEmpty(t, standards)
		for _, s := range standards {
			require.IsType(t, "", s)
		}
		require.Equal(t, wantStatus[rep.Results[i].Status], field(t, comp, "status_id", "int"))
		if rep.Results[i].Status != check.Pass {
			require.Equal(t, rep.Results[i].Message, field(t, comp, "status_detail", "string"))
		}
		if st, ok := f["status_id"]; ok {
			require.Contains(t, []float64{0, 1, 2, 3, 4, 5, 99}, st)
		}
		for _, r := range field(t, f, "resources", "array").([]any) {
			obj := r.(map[string]any)
			field(t, obj, "uid", "string")
			field(t, obj, "type", "string")
		}
	}
}
