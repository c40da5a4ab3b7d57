package drill

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every field of the JSON document is described in docs/drill-json.md.
func TestJSONSchemaDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/drill-json.md")
	require.NoError(t, err)
	for _, typ := range []reflect.Type{reflect.TypeFor[Report](), reflect.TypeFor[Result](), reflect.TypeFor[Summary](),
		reflect.TypeFor[Stage](), reflect.TypeFor[Call](), reflect.TypeFor[PathNames](), reflect.TypeFor[Settlement](), reflect.TypeFor[Subscriber]()} {
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			// `name`, `results[].name` or `name[]`.
			re := regexp.MustCompile("[`.]" + regexp.QuoteMeta(name) + "[`\\[]")
			require.True(t, re.MatchString(string(doc)), "%s.%s (%s) is not described", typ.Name(), typ.Field(i).Name, name)
		}
	}
	for _, s := range Stages {
		require.Contains(t, string(doc), "`"+string(s)+"`")
	}
}
