package pattern

import (
	"slices"
	"sync"

	"github.com/trailwatch/trailwatch/control"
)

// Caller labels of the records a control is judged on.
const (
	CallerIAMUser     = control.CallerIAMUser
	CallerRoot        = control.CallerRoot
	CallerAssumedRole = control.CallerAssumedRole
	CallerAWSService  = control.CallerAWSService
)

// Sample is one CloudTrail record a control is judged on, as a log event's
// message.
type Sample struct {
	Event   string // eventName
	Caller  string // one of the Caller* labels
	Failed  bool   // the record carries errorCode/errorMessage
	Control bool   // one of the control's events (false: a negative control)
	Must    bool   // the control must catch it: coverage rests on it
	Message string
	doc     *document
}

// sampleKey tells controls' record sets apart: a control's Records are built
// once, so the address of its first record names the set (a made-up control
// registered again under the same ID gets a new one).
type sampleKey struct {
	id    string
	first *control.Record
}

var parsed sync.Map // sampleKey → func() []Sample

// Samples returns the records of the default control, parsed; the result is
// a copy.
func Samples() []Sample {
	return SamplesOf(control.Default())
}

// SamplesOf returns ctrl's records, parsed once per process; the result is a
// copy.
func SamplesOf(ctrl control.Control) []Sample {
	return slices.Clone(samplesOf(ctrl))
}

func samplesOf(ctrl control.Control) []Sample {
	if len(ctrl.Records) == 0 {
		return nil
	}
	key := sampleKey{id: ctrl.ID, first: &ctrl.Records[0]}
	build, _ := parsed.LoadOrStore(key, sync.OnceValue(func() []Sample { return parseRecords(ctrl.Records) }))
	return build.(func() []Sample)()
}

func parseRecords(records []control.Record) []Sample {
	out := make([]Sample, len(records))
	for i, r := range records {
		out[i] = Sample{Event: r.Event, Caller: r.Caller, Failed: r.Failed, Control: r.Kind != control.LeaveOut,
			Must: r.Kind == control.Catch, Message: r.Message, doc: parseDocument(r.Message)}
	}
	return out
}
