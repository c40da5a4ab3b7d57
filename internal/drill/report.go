package drill

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/check"
	"github.com/trailwatch/trailwatch/internal/style"
	"github.com/trailwatch/trailwatch/internal/termsafe"
)

// SchemaVersion of the JSON document (docs/drill-json.md).
const SchemaVersion = "1.0"

// Report is one drill run; its JSON form is docs/drill-json.md.
type Report struct {
	SchemaVersion string     `json:"schema_version"`
	Tool          check.Tool `json:"tool"`
	StartedAt     time.Time  `json:"started_at"`
	Results       []Result   `json:"results"`
	Summary       Summary    `json:"summary"`
}

// Summary counts results by outcome.
type Summary struct {
	Drills       int `json:"drills"`
	Delivered    int `json:"delivered"`
	NotDelivered int `json:"not_delivered"`
	NotDrilled   int `json:"not_drilled"`
	Failed       int `json:"failed"`
	Interrupted  int `json:"interrupted"`
}

// NewReport counts the results.
func NewReport(tool check.Tool, started time.Time, results []Result) Report {
	rep := Report{SchemaVersion: SchemaVersion, Tool: tool, StartedAt: started.UTC(), Results: results}
	if rep.Results == nil {
		rep.Results = []Result{}
	}
	for _, r := range results {
		rep.Summary.Drills++
		switch r.Outcome {
		case Delivered:
			rep.Summary.Delivered++
		case NotDelivered:
			rep.Summary.NotDelivered++
		case NotDrilled:
			rep.Summary.NotDrilled++
		case Interrupted:
			rep.Summary.Interrupted++
		default:
			rep.Summary.Failed++
		}
	}
	return rep
}

// EncodeJSON writes the report as indented JSON.
func EncodeJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// RenderPlans shows, per account, what will be called and who will be
// notified, before anything is done.
func RenderPlans(w io.Writer, plans []Plan, pal style.Palette) error {
	var b strings.Builder
	for _, p := range plans {
		fmt.Fprintf(&b, "%s %s, control %s (check: %s)\n", pal.Bold("account"), esc(p.Account), esc(p.Control.ID), p.Check)
		if !p.Drills() {
			fmt.Fprintf(&b, "  not drilled: %s\n\n", esc(p.Why))
			continue
		}
		fmt.Fprintf(&b, "  trigger: %s\n", esc(p.Control.Drill.Description))
		for _, c := range p.Calls {
			fmt.Fprintf(&b, "    call %s\n", esc(c))
		}
		fmt.Fprintf(&b, "  follows: log group %s → filter %s → alarm %s\n", esc(p.Path.Trail.LogGroupName), esc(p.Path.Filter.Name), esc(p.Path.Alarm.Name))
		if p.Topic == "" {
			b.WriteString("  notifies: no SNS topic\n\n")
			continue
		}
		fmt.Fprintf(&b, "  %s %s\n", pal.Warn("notifies (a real alarm):"), esc(p.Topic))
		for _, s := range p.Subscribers {
			fmt.Fprintf(&b, "    %s %s\n", esc(s.Protocol), esc(s.Endpoint))
		}
		if len(p.Subscribers) == 0 {
			fmt.Fprintf(&b, "    no confirmed subscriber (%d pending)\n", p.Pending)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// RenderText writes each result's timeline and a summary line.
func RenderText(w io.Writer, rep Report, pal style.Palette) error {
	var b strings.Builder
	for _, r := range rep.Results {
		fmt.Fprintf(&b, "%s %s, control %s: %s\n", pal.Bold("account"), esc(r.Account), esc(r.ControlID), outcomeText(r.Outcome, pal))
		if r.Reason != "" {
			fmt.Fprintf(&b, "  %s\n", esc(r.Reason))
		}
		for _, c := range r.Calls {
			line := fmt.Sprintf("  %s  called %s %s", stamp(&c.Time), esc(c.Operation), esc(c.Target))
			if c.RequestID != "" {
				line += " (request " + esc(c.RequestID) + ")"
			}
			if c.Error != "" {
				line += ": " + esc(c.Error)
			}
			b.WriteString(line + "\n")
		}
		for _, s := range r.Stages {
			mark := pal.Good("✓")
			if s.Status != StageOK {
				mark = pal.Bad("✗")
			}
			fmt.Fprintf(&b, "  %s  %s %-11s %s\n", stamp(s.At), mark, s.Name, esc(s.Detail))
			if s.Status != StageOK && s.Status != StageBroken {
				fmt.Fprintf(&b, "            %s\n", strings.ReplaceAll(string(s.Status), "_", " "))
			}
			if s.AWSMessage != "" {
				fmt.Fprintf(&b, "            AWS: %s\n", esc(s.AWSMessage))
			}
		}
		if r.Settles != nil {
			fmt.Fprintf(&b, "  check said MANUAL: %s\n  %s\n", esc(r.Settles.Question), esc(r.Settles.Answer))
		}
		b.WriteString("\n")
	}
	s := rep.Summary
	fmt.Fprintf(&b, "drill: %d delivered, %d not delivered, %d not drilled, %d failed", s.Delivered, s.NotDelivered, s.NotDrilled, s.Failed)
	if s.Interrupted > 0 {
		fmt.Fprintf(&b, ", %d interrupted", s.Interrupted)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func outcomeText(o Outcome, pal style.Palette) string {
	text := strings.ToUpper(strings.ReplaceAll(string(o), "_", " "))
	switch o {
	case Delivered:
		return pal.Good(text)
	case NotDrilled:
		return pal.Warn(text)
	}
	return pal.Bad(text)
}

// stamp is a time as the timeline prints it; "--:--:--" when unknown.
func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "--:--:--"
	}
	return t.UTC().Format("15:04:05")
}

func esc(s string) string { return termsafe.Escape(s) }
