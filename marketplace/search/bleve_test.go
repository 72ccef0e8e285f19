package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
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
	if b.Unclean() {
		t.Error("index closed cleanly reported unclean")
	}
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

// bleveOnly answers searches with Bleve's own filters, sort and facets.
type bleveOnly struct{ *Bleve }

func (b bleveOnly) Search(ctx context.Context, q Query) (*Result, error) {
	return b.searchBleve(ctx, q)
}

func TestBleveWithoutMemoryView(t *testing.T) {
	testIndex(t, bleveOnly{MustOpenBleve(t)})
}

// TestBleveMemoryViewAgreesWithBleve compares the fast path with Bleve's
// own answers on random queries, before and after upserts and deletes have
// changed needs whose words are cached.
func TestBleveMemoryViewAgreesWithBleve(t *testing.T) {
	b := MustOpenBleve(t)
	ctx := context.Background()
	if err := b.Upsert(ctx, genNeeds(3000, 1)); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	compare := func(round string) {
		t.Helper()
		for i := range 300 {
			q := genQuery(r)
			if i%7 == 0 {
				q.Statuses = []kernel.NeedStatus{kernel.NeedNotice}
			}
			if d := viewDiff(t, b, q); d != "" {
				t.Fatalf("%s: %s", round, d)
			}
		}
	}
	compare("fresh")
	changed := genNeeds(3500, 2)[2500:] // 500 replacements, 500 new needs
	if err := b.Upsert(ctx, changed); err != nil {
		t.Fatal(err)
	}
	var gone []string
	for i := 0; i < 3000; i += 17 {
		gone = append(gone, fmt.Sprintf("gen-%06d", i))
	}
	if err := b.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	compare("after upserts and deletes")
	// Reopening rebuilds the memory view from the index.
	dir := b.idx.Name()
	b.Close()
	b2, err := OpenBleve(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	b = b2
	compare("after reopening")
}

// viewDiff says how the memory view's answer to q differs from Bleve's own
// (page, total, facets); "" when they agree.
func viewDiff(t *testing.T, b *Bleve, q Query) string {
	t.Helper()
	ctx := context.Background()
	fast, err := b.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := b.searchBleve(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids(fast), ids(ref)) || fast.Total != ref.Total || !reflect.DeepEqual(fast.Facets, ref.Facets) {
		return fmt.Sprintf("query %+v\nview  %d %v %+v\nbleve %d %v %+v", q, fast.Total, ids(fast), fast.Facets, ref.Total, ids(ref), ref.Facets)
	}
	return ""
}

// TestBleveConcurrentWritesAndSearches writes and searches at once (run
// with -race), then checks that the memory view agrees with Bleve.
func TestBleveConcurrentWritesAndSearches(t *testing.T) {
	b := MustOpenBleve(t)
	ctx := context.Background()
	if err := b.Upsert(ctx, genNeeds(1000, 1)); err != nil {
		t.Fatal(err)
	}
	changed := genNeeds(1200, 4)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(changed); i += 40 {
				if err := b.Upsert(ctx, changed[i:i+1]); err != nil {
					t.Error(err)
					return
				}
				if err := b.Delete(ctx, []string{fmt.Sprintf("gen-%06d", i+3)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for s := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(s), 9))
			for range 60 {
				if _, err := b.Search(ctx, genQuery(r)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	r := rand.New(rand.NewPCG(11, 11))
	for range 100 {
		q := genQuery(r)
		fast, err1 := b.Search(ctx, q)
		ref, err2 := b.searchBleve(ctx, q)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !reflect.DeepEqual(ids(fast), ids(ref)) || fast.Total != ref.Total || !reflect.DeepEqual(fast.Facets, ref.Facets) {
			t.Fatalf("query %+v: fast %d %v, bleve %d %v", q, fast.Total, ids(fast), ref.Total, ids(ref))
		}
	}
}

func TestBleveSecondOpenFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	b, err := OpenBleve(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b2, err := OpenBleve(dir); err == nil {
		b2.Close()
		t.Fatal("a second open of an index in use succeeded")
	}
}
