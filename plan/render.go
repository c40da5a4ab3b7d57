package plan

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/trailwatch/trailwatch/internal/style"
)

// RenderText draws the plan as a Terraform-like diff for people: one block per
// account, "+" for what will be created, "~" for what will be updated with
// changed attributes shown old → new, and a summary line.
func RenderText(w io.Writer, p Plan, pal style.Palette) error {
	var b strings.Builder
	for _, a := range p.Accounts {
		renderAccount(&b, a, pal)
	}
	create, update, accounts := p.Counts()
	rest := unplanned(p)
	switch {
	case create+update == 0 && rest == "":
		b.WriteString(pal.Bold("No changes.") + " Nothing to create or update.\n")
	case create+update == 0:
		b.WriteString(pal.Bold("No changes planned.") + " " + pal.Warn(rest) + "\n")
	default:
		fmt.Fprintf(&b, "%s %d to create, %d to update in %d %s.", pal.Bold("Plan:"), create, update, accounts, plural(accounts, "account", "accounts"))
		if rest != "" {
			b.WriteString(" " + pal.Warn(rest))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// unplanned says which accounts the plan leaves as they are although they
// are not compliant, so the last line never reads as if all were well.
func unplanned(p Plan) string {
	person, unknown := 0, 0
	for _, a := range p.Accounts {
		switch {
		case len(a.Changes) > 0:
		case a.Status == "FAIL" || a.Status == "MANUAL":
			person++
		case a.Status != "PASS":
			unknown++
		}
	}
	var parts []string
	if person > 0 {
		parts = append(parts, fmt.Sprintf("%d %s a person", person, plural(person, "account needs", "accounts need")))
	}
	if unknown > 0 {
		n := fmt.Sprintf("%d %s", unknown, plural(unknown, "account", "accounts"))
		if person > 0 {
			n = fmt.Sprint(unknown)
		}
		parts = append(parts, n+" could not be evaluated")
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, " and ") + ": see above."
}

// RenderAccount draws one account's block of the diff, as RenderText does.
func RenderAccount(w io.Writer, a AccountPlan, pal style.Palette) error {
	var b strings.Builder
	renderAccount(&b, a, pal)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func renderAccount(b *strings.Builder, a AccountPlan, pal style.Palette) {
	head := "Account " + a.Account
	if len(a.Profiles) > 0 {
		head += " (" + plural(len(a.Profiles), "profile ", "profiles ") + strings.Join(a.Profiles, ", ") + ")"
	}
	b.WriteString(pal.Bold(head))
	switch {
	case a.Blocked != "":
		fmt.Fprintf(b, ": %s\n  %s\n\n", pal.Warn("no changes planned"), a.Blocked)
		return
	case len(a.Changes) == 0:
		fmt.Fprintf(b, ": %s\n\n", pal.Good("compliant, no changes"))
		return
	}
	b.WriteString("\n")
	if a.Trail != "" {
		fmt.Fprintf(b, "  %s\n", pal.Faint("trail "+a.Trail+", changes in "+a.Region+", check: "+a.Status+" "+a.Reason))
	}
	for _, c := range a.Changes {
		b.WriteString("\n")
		sign := pal.Good("+")
		if c.Action == Update {
			sign = pal.Warn("~")
		}
		fmt.Fprintf(b, "  %s %s %s\n", sign, pal.Bold(c.Operation), c.Target)
		keys := slices.Sorted(mapKeys(c.After, c.Before))
		width := 0
		for _, k := range keys {
			width = max(width, len(k))
		}
		for _, k := range keys {
			after, inAfter := c.After[k]
			before, inBefore := c.Before[k]
			line := value(after)
			if c.Action == Update && inBefore && !reflect.DeepEqual(before, after) {
				line = value(before) + " → " + value(after)
				if !inAfter {
					line = value(before) + " → (removed)"
				}
			}
			fmt.Fprintf(b, "      %-*s = %s\n", width, k, line)
		}
		meta := "change " + c.ID
		if len(c.DependsOn) > 0 {
			meta += ", after " + strings.Join(c.DependsOn, ", ")
		}
		fmt.Fprintf(b, "      %s\n", pal.Faint(restores(c)+" ("+meta+")"))
	}
	b.WriteString("\n")
}

// restores names the link of the chain a change puts back, in the order
// events travel: trail → log group → filter → alarm → topic → subscriber.
func restores(c Change) string {
	link := ""
	switch c.Operation {
	case "logs:CreateLogGroup", "logs:PutRetentionPolicy", "iam:CreateRole", "iam:PutRolePolicy", "cloudtrail:UpdateTrail":
		link = "trail → log group"
	case "logs:PutMetricFilter":
		link = "log group → filter"
	case "sns:CreateTopic":
		link = "alarm → topic"
	case "sns:Subscribe":
		link = "topic → subscriber"
	case "cloudwatch:PutMetricAlarm":
		link = alarmLink(c)
	default:
		return "fixes " + c.Fixes
	}
	return "restores: " + link
}

// alarmLink: a new alarm joins the metric to its topic; an updated one
// restores what its changed fields are about.
func alarmLink(c Change) string {
	actions, firing := false, c.Action == Create
	for k := range mapKeys(c.After, c.Before) {
		if c.Action == Update && reflect.DeepEqual(c.Before[k], c.After[k]) {
			continue
		}
		switch k {
		case "alarm_actions", "actions_enabled":
			actions = actions || c.After[k] != nil
		case "name", "tags":
		default:
			firing = true
		}
	}
	switch {
	case firing && actions:
		return "filter → alarm → topic"
	case actions:
		return "alarm → topic"
	}
	return "filter → alarm"
}

func mapKeys(ms ...map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		seen := map[string]bool{}
		for _, m := range ms {
			for k := range m {
				if !seen[k] {
					seen[k] = true
					if !yield(k) {
						return
					}
				}
			}
		}
	}
}

// value prints an attribute the way it reads in a change request: strings
// quoted, lists bracketed, nothing as (none).
func value(v any) string {
	switch t := v.(type) {
	case nil:
		return "(none)"
	case string:
		return fmt.Sprintf("%q", t)
	case []string:
		q := make([]string, len(t))
		for i, s := range t {
			q[i] = fmt.Sprintf("%q", s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	case []any:
		q := make([]string, len(t))
		for i, s := range t {
			q[i] = value(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return fmt.Sprint(v)
}
