package plan

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzAddStatement: whatever policy text a topic holds, adding CloudWatch's
// statement either refuses or yields valid JSON that still holds every
// original statement byte for byte, plus the new one.
func FuzzAddStatement(f *testing.F) {
	for _, seed := range []string{
		userPolicy,
		`{"Statement":{"Sid":"A"}}`,
		`{"Statement":[]}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"]\"["}],"Id":"x"}`,
		`{"Statement":[{"Sid":"A"}],"Statement":[]}`,
		`[]`, `{`, `{"Statement":"x"}`, "{\"Statement\" :\n[ {} ,{ } ]\n}",
	} {
		f.Add(seed)
	}
	stmt := cloudWatchStatement(userTopic, "aws", testRegion, testAccount)
	f.Fuzz(func(t *testing.T, doc string) {
		got, err := addStatement(doc, stmt)
		if err != nil {
			return
		}
		if !json.Valid([]byte(got)) {
			t.Fatalf("invalid JSON from %q: %q", doc, got)
		}
		var before, after struct{ Statement json.RawMessage }
		if json.Unmarshal([]byte(doc), &before) != nil || json.Unmarshal([]byte(got), &after) != nil {
			t.Fatalf("policy no longer decodes: %q → %q", doc, got)
		}
		var list []json.RawMessage
		if err := json.Unmarshal(after.Statement, &list); err != nil || len(list) == 0 {
			t.Fatalf("Statement is not a list: %q", got)
		}
		if string(list[len(list)-1]) != stmt {
			t.Fatalf("the new statement is not last: %q", got)
		}
		if !strings.Contains(got, strings.TrimSpace(string(before.Statement[1:len(before.Statement)-1]))) && before.Statement[0] == '[' {
			t.Fatalf("the original statements were rewritten: %q → %q", doc, got)
		}
	})
}
