package pattern

import "testing"

const cisPattern = `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`

func benchmarkAnalyze(b *testing.B, text string) {
	Samples() // built once per process, like in the CLI and check
	b.ReportAllocs()
	for b.Loop() {
		cov, err := Analyze(text)
		if err != nil || cov.Covers == Unknown {
			b.Fatalf("Analyze(%q) = %+v, %v", text, cov, err)
		}
	}
}

func BenchmarkAnalyzeCIS(b *testing.B) { benchmarkAnalyze(b, cisPattern) }

func BenchmarkAnalyzeJSONWildcards(b *testing.B) {
	benchmarkAnalyze(b, `{ ($.eventSource = cloudtrail.amazonaws.com) && ($.userIdentity.* = *) && (($.eventName = *Trail) || ($.eventName = %Logging$%) || ($.requestParameters.* = *my-trail)) }`)
}

func BenchmarkEvalCIS(b *testing.B) {
	p, err := Parse(cisPattern)
	if err != nil {
		b.Fatal(err)
	}
	msg := Samples()[0].Message
	b.ReportAllocs()
	for b.Loop() {
		p.Eval(msg)
	}
}
