package receiptdoc

import (
	"io"
	"testing"
)

// BenchmarkPDF is the cost of one receipt's PDF, the font already read.
func BenchmarkPDF(b *testing.B) {
	if _, err := fontTTF(); err != nil {
		b.Fatal(err)
	}
	r := sample()
	for b.Loop() {
		if err := PDF(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}
