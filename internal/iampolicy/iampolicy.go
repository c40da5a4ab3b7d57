// Package iampolicy reads the IAM policies under docs/iam and derives the
// actions an interface of SDK methods calls, so tests can hold the two
// equal: a policy that grants less breaks users, one that grants more is
// not least privilege.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"reflect"
	"slices"
)

// Actions returns the actions a policy file allows, sorted.
func Actions(file string) ([]string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Statement []struct {
			Effect string
			Action []string
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []string
	for _, s := range doc.Statement {
		if s.Effect != "Allow" {
			return nil, fmt.Errorf("%s: only Allow statements are expected, got %q", file, s.Effect)
		}
		out = append(out, s.Action...)
	}
	slices.Sort(out)
	return out, nil
}

// Called returns service:Action for every method of the given interfaces,
// the service read off the package of the method's input type (the SDK's
// service/cloudwatchlogs is IAM's "logs").
func Called(interfaces ...reflect.Type) []string {
	var out []string
	for _, typ := range interfaces {
		for i := range typ.NumMethod() {
			m := typ.Method(i)
			service := path.Base(m.Type.In(1).Elem().PkgPath())
			if service == "cloudwatchlogs" {
				service = "logs"
			}
			action := service + ":" + m.Name
			if !slices.Contains(out, action) {
				out = append(out, action)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Without returns a minus b.
func Without(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
