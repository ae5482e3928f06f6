package graphview

import (
	"io"
	"testing"
)

// BenchmarkRenderHTML4000 measures layout and rendering of a 4,000-project
// page.
func BenchmarkRenderHTML4000(b *testing.B) {
	v := sampleView(4000)
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderHTML(io.Discard, v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderDOT4000 measures DOT rendering of 4,000 projects.
func BenchmarkRenderDOT4000(b *testing.B) {
	v := sampleView(4000)
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderDOT(io.Discard, v); err != nil {
			b.Fatal(err)
		}
	}
}
