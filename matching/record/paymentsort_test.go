package record

import (
	"math/rand/v2"
	"os"
	"testing"
)

// A run is written in key order whatever the order of its records,
// pseudonyms that share their first 8 bytes included, and the merge of
// several runs gives every record once, in key order.
func TestRunsAreWrittenAndMergedInKeyOrder(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var runs []runFile
	total := 0
	for seq := 0; seq < 3; seq++ {
		rs := make([]rec, 5000)
		for i := range rs {
			for j := range rs[i] {
				rs[i][j] = byte(rng.IntN(256))
			}
			if i%3 == 0 { // a shared 8-byte prefix: the rest decides
				copy(rs[i][:8], "prefix!!")
			}
		}
		rf, err := writeRun(dir, seq, int64(seq+1), rs)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(rf.path)
		if err != nil || len(b) != len(rs)*recSize {
			t.Fatalf("run file: %d bytes, %v", len(b), err)
		}
		for i := recSize; i < len(b); i += recSize {
			var x, y rec
			copy(x[:], b[i-recSize:i])
			copy(y[:], b[i:i+recSize])
			if cmpRec(&x, &y) > 0 {
				t.Fatalf("run %d: record %d sorts before the one ahead of it", seq, i/recSize)
			}
		}
		runs = append(runs, rf)
		total += len(rs)
	}
	m, err := openMerger(runs)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var prev rec
	n := 0
	for r := m.peek(); r != nil; r = m.peek() {
		if n > 0 && cmpRec(&prev, r) > 0 {
			t.Fatalf("merged record %d out of order", n)
		}
		prev = *r
		n++
		if err := m.advance(); err != nil {
			t.Fatal(err)
		}
	}
	if n != total {
		t.Fatalf("merged %d records, want %d", n, total)
	}
}
