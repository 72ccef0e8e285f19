package search

import (
	"context"
	"path/filepath"
	"testing"
)

// MustOpenBleve opens an empty Bleve index in a temp dir, closed at the end
// of the test.
func MustOpenBleve(tb testing.TB) *Bleve {
	tb.Helper()
	b, err := OpenBleve(filepath.Join(tb.TempDir(), "index"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	return b
}

func TestBleve(t *testing.T) {
	testIndex(t, MustOpenBleve(t))
}

func TestBleveReopenKeepsNeeds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	b, err := OpenBleve(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := b.Upsert(ctx, suiteNeeds()); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b, err = OpenBleve(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer b.Close()
	r, err := b.Search(ctx, Query{Q: "白血病", Now: suiteNow})
	if err != nil || r.Total != 1 || r.Needs[0].ID != "n01" {
		t.Fatalf("after reopen: %+v, %v", r, err)
	}
}

func TestBleveEmptyFolderIsTakenOver(t *testing.T) {
	b, err := OpenBleve(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
}
