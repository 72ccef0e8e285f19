package search_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/marketplace/search"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

var indexerNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func nowFunc() time.Time { return indexerNow }

func openIndex(t *testing.T) *search.Bleve {
	t.Helper()
	b, err := search.OpenBleve(filepath.Join(t.TempDir(), "search"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// dump returns every need of the index as JSON by id.
func dump(t *testing.T, idx search.Index) map[string]string {
	t.Helper()
	out := map[string]string{}
	for page := 1; ; page++ {
		res, err := idx.Search(context.Background(), search.Query{Now: indexerNow, Page: page, PerPage: 100, Sort: search.SortNewest,
			Statuses: []kernel.NeedStatus{"notice", "open", "funded", "disbursed", "closed", "draft", "submitted", "cleared",
				"rejected", "withdrawn", "suspended", "referred"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range res.Needs {
			b, _ := json.Marshal(n)
			out[n.ID] = string(b)
		}
		if len(res.Needs) < 100 {
			break
		}
	}
	if n, _ := idx.Count(context.Background()); n != len(out) {
		t.Fatalf("index counts %d needs but lists %d", n, len(out))
	}
	return out
}

func rebuilt(t *testing.T, store *gormstore.Store) map[string]string {
	t.Helper()
	fresh := openIndex(t)
	if _, err := search.NewIndexer(fresh, store, store, nowFunc, nil).Rebuild(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return dump(t, fresh)
}

func sameIndex(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d needs, want %d", what, len(got), len(want))
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: need %s\n got %s\nwant %s", what, id, got[id], w)
		}
	}
}

// crashingIndex writes the first half of the needs of its failAt-th upsert
// and then fails, like a process killed in the middle of a batch.
type crashingIndex struct {
	search.Index
	calls, failAt int
}

var errCrash = errors.New("killed")

func (c *crashingIndex) Upsert(ctx context.Context, needs []marketplace.PublicNeed) error {
	c.calls++
	if c.calls == c.failAt {
		if err := c.Index.Upsert(ctx, needs[:len(needs)/2]); err != nil {
			return err
		}
		return errCrash
	}
	return c.Index.Upsert(ctx, needs)
}

func fixtureNeeds(n int) []needfixture.Need {
	statuses := []string{"open", "open", "notice", "funded", "closed", "rejected", "withdrawn", "suspended", "draft"}
	cats := []string{"medical", "education", "housing"}
	regions := []string{"371725", "371700", "430524", "610524"}
	var out []needfixture.Need
	for i := 0; i < n; i++ {
		nd := needfixture.Need{Status: statuses[i%len(statuses)], Category: cats[i%len(cats)], PublicRegionCode: regions[i%len(regions)],
			PublicTitle: fmt.Sprintf("医疗助学 第%d号", i), VerifiedCostFen: int64(100000 + i*1000), NoConsent: i%11 == 10}
		if nd.Status == "notice" {
			end := indexerNow.Add(time.Duration(i-15) * time.Hour)
			nd.NoticeEndsAt = &end
		}
		out = append(out, nd)
	}
	return out
}

// A drain killed in the middle leaves its outbox rows; the next drain
// finishes the work, and the index is then what a rebuild makes. Draining
// the same changes again changes nothing.
func TestIndexerDrainIsCrashSafeAndIdempotent(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		store := gormstore.New(db)
		base := needfixture.Setup(t, db, "阳光社工站")
		rowIDs, _ := base.Insert(t, db, fixtureNeeds(45)...)
		idx := openIndex(t)

		crash := &crashingIndex{Index: idx, failAt: 2}
		ix := search.NewIndexer(crash, store, store, nowFunc, nil)
		ix.BatchSize = 10
		if _, err := ix.Drain(ctx); !errors.Is(err, errCrash) {
			t.Fatalf("drain: %v, want the crash", err)
		}
		if left, _ := store.SearchOutboxLen(ctx); left != 35 {
			t.Errorf("after the crash %d outbox rows left, want 35 (the first batch of 10 done)", left)
		}
		ix = search.NewIndexer(idx, store, store, nowFunc, nil)
		ix.BatchSize = 10
		if n, err := ix.Drain(ctx); err != nil || n != 35 {
			t.Fatalf("rerun: %d, %v", n, err)
		}
		want := rebuilt(t, store)
		if len(want) == 0 {
			t.Fatal("no public needs in the fixture")
		}
		sameIndex(t, "after crash and rerun", dump(t, idx), want)

		for _, id := range rowIDs {
			needfixture.Update(t, db, id, map[string]any{"updated_at": time.Now().UTC()})
		}
		if n, err := ix.Drain(ctx); err != nil || n != len(rowIDs) {
			t.Fatalf("second drain: %d, %v", n, err)
		}
		sameIndex(t, "after draining the same needs again", dump(t, idx), want)
	})
}

// Two indexers draining while needs change leave the index equal to a
// rebuild from the database: no older projection overwrites a newer one,
// whichever worker takes which row.
func TestTwoIndexersWhileNeedsChange(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		store := gormstore.New(db)
		base := needfixture.Setup(t, db, "阳光社工站")
		rowIDs, _ := base.Insert(t, db, fixtureNeeds(20)...)
		idx := openIndex(t)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			ix := search.NewIndexer(idx, store, store, nowFunc, nil)
			ix.BatchSize = 3
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					if _, err := ix.Drain(ctx); err != nil {
						t.Error(err)
						return
					}
					select {
					case <-stop:
						return
					default:
					}
				}
			}()
		}
		statuses := []string{"open", "suspended", "funded", "withdrawn", "notice", "closed"}
		for i := 0; i < 120; i++ {
			id := rowIDs[i%len(rowIDs)]
			needfixture.Update(t, db, id, map[string]any{"status": statuses[i%len(statuses)], "funded_fen": int64(i * 10),
				"public_title": fmt.Sprintf("助学 修改%d", i)})
		}
		close(stop)
		wg.Wait()
		ix := search.NewIndexer(idx, store, store, nowFunc, nil)
		if _, err := ix.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		sameIndex(t, "incremental", dump(t, idx), rebuilt(t, store))
	})
}

// Rebuild on an index that holds stale and withdrawn needs makes it equal
// to a fresh rebuild.
func TestRebuildRemovesNeedsNoLongerPublic(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		store := gormstore.New(db)
		base := needfixture.Setup(t, db, "阳光社工站")
		_, publicIDs := base.Insert(t, db, fixtureNeeds(18)...)
		idx := openIndex(t)
		ix := search.NewIndexer(idx, store, store, nowFunc, nil)
		if _, err := ix.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		// Changes whose outbox rows are lost (as if a bug skipped them).
		for _, id := range publicIDs[:6] {
			if err := needfixture.Set(ctx, db.Gorm, id, map[string]any{"status": "withdrawn", "funded_fen": 5}); err != nil {
				t.Fatal(err)
			}
		}
		st, err := ix.Rebuild(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := rebuilt(t, store)
		if st.Indexed != len(want) {
			t.Errorf("Rebuild indexed %d, want %d", st.Indexed, len(want))
		}
		sameIndex(t, "rebuild in place", dump(t, idx), want)
	})
}

// Run indexes a change as soon as it is woken, long before its next poll.
func TestIndexerRunWakesUp(t *testing.T) {
	db := sqldbtest.MustOpenSQLite(t)
	store := gormstore.New(db)
	base := needfixture.Setup(t, db, "阳光社工站")
	idx := openIndex(t)
	ix := search.NewIndexer(idx, store, store, nowFunc, nil)
	ix.PollInterval = time.Hour
	// The first need is in the outbox before Run starts, so the drain at
	// start must find it; inserted after, it could miss that drain and then
	// wait an hour for the next poll.
	base.Insert(t, db, needfixture.Need{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ix.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitCount := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if n, _ := idx.Count(context.Background()); n == want {
				return
			}
		}
		t.Fatalf("index never reached %d needs", want)
	}
	waitCount(1) // the drain at start
	base.Insert(t, db, needfixture.Need{})
	ix.Wake()
	waitCount(2) // only Wake can have done it: the next poll is an hour away
}

// panickingIndex panics in its first upsert, then works.
type panickingIndex struct {
	search.Index
	calls    atomic.Int32
	upserted chan struct{}
}

func (p *panickingIndex) Upsert(ctx context.Context, needs []marketplace.PublicNeed) error {
	if p.calls.Add(1) == 1 {
		panic("index broke")
	}
	err := p.Index.Upsert(ctx, needs)
	if err == nil && p.calls.Load() == 2 {
		close(p.upserted)
	}
	return err
}

// A panic while draining is logged and the drain retried, instead of
// ending the process (Run is a goroutine of serve).
func TestIndexerRunSurvivesAPanicAndRetries(t *testing.T) {
	db := sqldbtest.MustOpenSQLite(t)
	store := gormstore.New(db)
	base := needfixture.Setup(t, db, "阳光社工站")
	idx := &panickingIndex{Index: openIndex(t), upserted: make(chan struct{})}
	var logs bytes.Buffer
	var mu sync.Mutex
	ix := search.NewIndexer(idx, store, store, nowFunc, slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil)))
	ix.PollInterval = time.Millisecond
	base.Insert(t, db, needfixture.Need{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ix.Run(ctx) }()
	<-idx.upserted // the retry after the panic
	cancel()
	<-done
	if n, _ := idx.Count(context.Background()); n != 1 {
		t.Fatalf("index holds %d needs, want 1", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "index broke") {
		t.Fatalf("the panic is not logged: %s", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
