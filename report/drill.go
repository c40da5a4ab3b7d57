package report

import (
	"fmt"
	"html/template"
	"io"

	"github.com/trailwatch/trailwatch/internal/drill"
)

// drillPage is a drill's timeline per account: html/template escapes every
// name and AWS message it prints.
var drillPage = template.Must(template.New("drill").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>trailwatch drill</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
.ok{color:#176f2c}.bad{color:#b00020}.warn{color:#8a5a00}code{font-size:13px}
</style></head><body>
<h1>trailwatch drill</h1>
<p>Started {{.StartedAt.Format "2006-01-02 15:04:05 UTC"}} by {{.Tool.Name}} {{.Tool.Version}}.
{{.Summary.Delivered}} delivered, {{.Summary.NotDelivered}} not delivered, {{.Summary.NotDrilled}} not drilled, {{.Summary.Failed}} failed{{if .Summary.Interrupted}}, {{.Summary.Interrupted}} interrupted{{end}}.</p>
{{range .Results}}
<section>
<h2>Account {{.Account}}: {{.ControlID}} — <span class="{{if eq .Outcome "delivered"}}ok{{else if eq .Outcome "not_drilled"}}warn{{else}}bad{{end}}">{{.Outcome}}</span></h2>
<p>check: {{.CheckText}}{{if .Reason}} — {{.Reason}}{{end}}</p>
{{if .Trigger}}<p>Trigger: {{.Trigger}}</p>{{end}}
{{if or .Calls .Stages}}
<table><tr><th>Time (UTC)</th><th>Step</th><th>What was seen</th><th>AWS</th></tr>
{{range .Calls}}<tr><td>{{.Time.Format "15:04:05"}}</td><td>call</td><td><code>{{.Operation}}</code> {{.Target}}{{if .RequestID}} (request {{.RequestID}}){{end}}</td><td>{{.Error}}</td></tr>
{{end}}{{range .Stages}}<tr><td>{{if .At}}{{.At.Format "15:04:05"}}{{else}}—{{end}}</td><td class="{{if eq .Status "ok"}}ok{{else}}bad{{end}}">{{.Name}}: {{.Status}}</td><td>{{.Detail}}</td><td>{{.AWSMessage}}</td></tr>
{{end}}</table>{{end}}
{{with .Settles}}<p class="warn">check said MANUAL: {{.Question}}<br>{{.Answer}}</p>{{end}}
</section>
{{end}}
</body></html>
`))

// WriteDrillHTML writes a drill run as one self-contained page: each
// account's calls and stages with their times.
func WriteDrillHTML(w io.Writer, rep drill.Report) error {
	if err := drillPage.Execute(w, rep); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}
