package plan

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// View is what a decoded request sends, member by member, under the SDK's
// field names: the "after" of a change. It keeps exactly the members the
// SDK serialises — a nil pointer or slice is not sent and is left out, a
// pointer to "" or false and an empty non-nil list are sent and kept, and a
// value-typed field is sent only when it is not its zero value — so two
// requests that differ on the wire never have the same view. The diff, the
// prompt and a plan file's "after" are all drawn from it.
func View(in any) map[string]any {
	v := reflect.ValueOf(in)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	m, _ := plain(v).(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	// Normalised through JSON, so a view computed now and one read back
	// from a file compare (and render) alike.
	raw, err := json.Marshal(m)
	if err != nil {
		return m
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return m
	}
	return out
}

// plain turns an SDK value into maps, lists and scalars, keeping only what
// the SDK would send. It returns nil for "not sent".
func plain(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		e := v.Elem()
		if e.Kind() != reflect.Struct {
			// A pointer is sent even when it points at a zero value.
			return scalar(e)
		}
		return plain(e)
	case reflect.Struct:
		m := map[string]any{}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			if x := member(fv); x != nil {
				m[f.Name] = x
			}
		}
		return m
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range v.Len() {
			out[i] = plain(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[fmt.Sprint(k.Interface())] = plain(v.MapIndex(k))
		}
		return out
	}
	return scalar(v)
}

// member is one struct field: value-typed fields the SDK sends only when set.
func member(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map, reflect.Struct:
		return plain(v)
	}
	if v.IsZero() {
		return nil
	}
	return scalar(v)
}

func scalar(v reflect.Value) any {
	switch v.Kind() {
	case reflect.String:
		return v.String() // enums too, as their wire value
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.Struct, reflect.Slice, reflect.Map:
		return plain(v)
	}
	return fmt.Sprint(v.Interface())
}

// TargetOf is what a change writes, named as a plan names it, derived from
// the decoded request alone (with the change's region and the account):
// a plan file's "target" must say the same.
func TargetOf(account string, c Change, in any) (string, error) {
	if op, ok := operationOfInput(in); ok {
		target, _ := op.target(account, c, in)
		return target, nil
	}
	return "", fmt.Errorf("change %s: no target for %s", c.ID, c.Operation)
}

// arnFor builds the ARN a create will have. The partition is the one the
// plan wrote (aws, aws-cn, aws-us-gov): it is not in the request, and a
// wrong one is caught when AWS answers with the real ARN.
func arnFor(planned, service, region, account, resource string) string {
	return "arn:" + partitionOf(planned) + ":" + service + ":" + region + ":" + account + ":" + resource
}

// roleARNFor is a role's ARN; a role's path is not in PutRolePolicy's
// request, so the planned ARN's path is kept when its name matches.
func roleARNFor(planned, account, path, name string) string {
	prefix := "arn:" + partitionOf(planned) + ":iam::" + account + ":role"
	if path == "" {
		path = "/"
		if rest, ok := strings.CutPrefix(planned, prefix); ok && strings.HasSuffix(rest, "/"+name) {
			path = strings.TrimSuffix(rest, name)
		}
	}
	return prefix + path + name
}
