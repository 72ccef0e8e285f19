package gormstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// Concurrent appends, to one stream and to many new streams at once, leave
// every chain unbroken and every append recorded exactly once.
func TestAuditChainUnderConcurrency(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		store := gormstore.New(db)
		const workers, each = 8, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers*each*2)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					for _, stream := range []string{"shared", fmt.Sprintf("new-%d", i)} {
						err := retry(func() error {
							return db.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
								return gormstore.AppendAudit(tx, &marketplace.AuditEntry{Stream: stream, At: time.Now(), Actor: "test",
									Action: "test.append", ObjectType: "test", ObjectID: fmt.Sprintf("%d-%d", w, i)})
							})
						})
						if err != nil {
							errs <- err
						}
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("append: %v", err)
		}
		heads, err := store.AuditStreams(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, h := range heads {
			es, err := store.AuditEntries(ctx, h.Stream)
			if err != nil {
				t.Fatal(err)
			}
			total += len(es)
			if p := marketplace.VerifyChain(h.Stream, es, h.Seq, h.Hash); len(p) > 0 {
				t.Errorf("chain %s broken: %v", h.Stream, p)
			}
			want := workers
			if h.Stream == "shared" {
				want = workers * each
			}
			if len(es) != want {
				t.Errorf("stream %s has %d entries, want %d", h.Stream, len(es), want)
			}
		}
		t.Logf("%d appends needed a retry", retries.Load())
		if total != workers*each*2 {
			t.Errorf("%d entries in all, want %d", total, workers*each*2)
		}
	})
}

var retries atomic.Int64

// retry repeats fn on a lost race (MySQL deadlock victims are retried by callers).
func retry(fn func() error) error {
	var err error
	for i := 0; i < 20; i++ {
		if err = fn(); err == nil {
			if i > 0 {
				retries.Add(1)
			}
			return nil
		}
		time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
	}
	return err
}
