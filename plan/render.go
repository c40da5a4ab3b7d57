package plan

import (
	"fmt"
	"github.com/trailwatch/trailwatch/check"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/trailwatch/trailwatch/control"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/internal/termsafe"
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
		case a.Status == check.Fail || a.Status == check.Manual:
			person++
		case a.Status != check.Pass:
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
	esc := termsafe.Escape
	head := "Account " + esc(a.Account)
	if a.Account == "" {
		head = "Account unknown" // STS never answered; check says "account unknown" too
	}
	if len(a.Profiles) > 0 {
		head += " (" + plural(len(a.Profiles), "profile ", "profiles ") + esc(strings.Join(a.Profiles, ", ")) + ")"
	}
	b.WriteString(pal.Bold(head))
	switch {
	case a.Blocked != "":
		fmt.Fprintf(b, ": %s\n  %s\n\n", pal.Warn("no changes planned"), esc(a.Blocked))
		return
	case len(a.Changes) == 0:
		fmt.Fprintf(b, ": %s\n\n", pal.Good("compliant, no changes"))
		return
	}
	b.WriteString("\n")
	if a.Trail != "" {
		fmt.Fprintf(b, "  %s\n", pal.Faint(esc("trail "+a.Trail+", changes in "+a.Region+", check: "+string(a.Status)+" "+string(a.Reason))))
	}
	renderControls(b, a, pal)
	group := ""
	for _, c := range a.Changes {
		if g := controlGroup(c, len(a.Controls)); g != group && len(a.Controls) > 0 {
			group = g
			fmt.Fprintf(b, "\n  %s\n", pal.Bold(esc("── "+g)))
		}
		b.WriteString("\n")
		renderChange(b, a.Account, c, pal)
	}
	b.WriteString("\n")
}

// renderControls lists, for a plan of several controls, how many each
// verdict holds and every failing control that gets no change, with why.
func renderControls(b *strings.Builder, a AccountPlan, pal style.Palette) {
	if len(a.Controls) == 0 {
		return
	}
	planned := map[string]bool{}
	for _, c := range a.Changes {
		for _, id := range c.Controls {
			planned[id] = true
		}
	}
	pass, fixed := 0, 0
	for _, cp := range a.Controls {
		switch {
		case cp.Status == check.Pass:
			pass++
		case planned[cp.Control]:
			fixed++
		}
	}
	fmt.Fprintf(b, "  %s\n", pal.Faint(fmt.Sprintf("%d controls: %d to fix, %d compliant, %d left as they are", len(a.Controls), fixed, pass, len(a.Controls)-fixed-pass)))
	for _, cp := range a.Controls {
		if cp.Status != check.Pass && !planned[cp.Control] {
			why := cp.Blocked
			if why == "" {
				why = "no change planned"
			}
			fmt.Fprintf(b, "  %s %s\n", pal.Warn(termsafe.Escape(strings.TrimSpace(controlLabel(cp.Control)+": "+string(cp.Status)+" "+string(cp.Reason))+":")), termsafe.Escape(why))
		}
	}
}

// controlGroup is the heading a change is drawn under in a plan of
// several controls: the one control it serves, or how many share it.
func controlGroup(c Change, controls int) string {
	switch len(c.Controls) {
	case 1:
		return controlLabel(c.Controls[0])
	case controls:
		return fmt.Sprintf("shared by all %d controls", controls)
	}
	return fmt.Sprintf("shared by %d controls: %s", len(c.Controls), strings.Join(c.Controls, ", "))
}

// controlLabel names a control with its Security Hub ID when it has one.
func controlLabel(id string) string {
	if c, ok := control.Lookup(id); ok && c.SecurityHub != "" {
		return id + " (" + c.SecurityHub + ")"
	}
	return id
}

// renderChange draws one change from its decoded request — the bytes fix
// sends — never from the file's own copy of what it will do.
func renderChange(b *strings.Builder, account string, c Change, pal style.Palette) {
	esc := termsafe.Escape
	sign := pal.Good("+")
	if c.Action == Update {
		sign = pal.Warn("~")
	}
	in, err := c.Input()
	if err != nil {
		fmt.Fprintf(b, "  %s %s %s\n      %s\n", pal.Bad("!"), pal.Bold(esc(c.Operation)), esc(c.Target), esc(err.Error()))
		return
	}
	after := View(in)
	target, err := TargetOf(account, c, in)
	if err != nil {
		target = c.Target
	}
	fmt.Fprintf(b, "  %s %s %s\n", sign, pal.Bold(esc(c.Operation)), esc(target))
	keys := slices.Sorted(mapKeys(after))
	width := 0
	for _, k := range keys {
		width = max(width, len(k))
	}
	for _, k := range keys {
		line := value(after[k])
		if changed(c, k, after) {
			line = value(c.Before[k]) + " → " + line
		}
		fmt.Fprintf(b, "      %-*s = %s\n", width, esc(k), line)
	}
	meta := "change " + c.ID + ", in " + c.Region
	if len(c.DependsOn) > 0 {
		meta += ", after " + strings.Join(c.DependsOn, ", ")
	}
	fmt.Fprintf(b, "      %s\n", pal.Faint(esc(restores(c, after)+" ("+meta+")")))
}

// changed reports whether an update changes member k: before records the
// old value of exactly the members that change.
func changed(c Change, k string, after map[string]any) bool {
	before, ok := c.Before[k]
	return c.Action == Update && ok && jsonText(before) != jsonText(after[k])
}

// restores names the link of the chain a change puts back, in the order
// events travel: trail → log group → filter → alarm → topic → subscriber.
func restores(c Change, after map[string]any) string {
	op, ok := OperationOf(c.Operation)
	if !ok {
		return "fixes " + string(c.Fixes)
	}
	link := op.Link
	if link == "" {
		link = alarmLink(c, after)
	}
	return "restores: " + link
}

// alarmLink: a new alarm joins the metric to its topic; an updated one
// restores what its changed members are about.
func alarmLink(c Change, after map[string]any) string {
	actions, firing := false, c.Action == Create
	for k := range after {
		if c.Action == Update && !changed(c, k, after) {
			continue
		}
		switch k {
		case "AlarmActions", "ActionsEnabled":
			actions = true
		case "AlarmName", "AlarmDescription", "Tags":
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
// quoted (and so inert on a terminal), lists bracketed, members braced,
// nothing as (none).
func value(v any) string {
	switch t := v.(type) {
	case nil:
		return "(none)"
	case string:
		return termsafe.Escape(strconv.Quote(t))
	case []any:
		q := make([]string, len(t))
		for i, s := range t {
			q[i] = value(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	case map[string]any:
		q := make([]string, 0, len(t))
		for _, k := range slices.Sorted(mapKeys(t)) {
			q = append(q, termsafe.Escape(k)+": "+value(t[k]))
		}
		return "{" + strings.Join(q, ", ") + "}"
	}
	return termsafe.Escape(fmt.Sprint(v))
}
