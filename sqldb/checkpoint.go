package sqldb

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"

	"github.com/jiujinan/jiujinan/recovery"
)

// CheckpointEvery is how often the background checkpointer of an SQLite
// database copies the write-ahead log back into the database file.
//
// SQLite's automatic checkpoint runs inside whichever commit pushes the
// log past wal_autocheckpoint pages, with an fsync: about one request in a
// hundred paid for it, which was the p99 of screening
// (docs/benchmarks/screening.md). Open turns the automatic checkpoint off
// on every connection (wal_autocheckpoint(0)) and runs PRAGMA
// wal_checkpoint(PASSIVE) from one goroutine instead: it never waits for
// readers or writers, and the next writer after a complete checkpoint
// starts the log from its beginning, so the log stays about as small as
// before.
const CheckpointEvery = 200 * time.Millisecond

// checkpointer runs the background checkpoints of one pool.
type checkpointer struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func startCheckpointer(pool *sql.DB) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		t := time.NewTicker(CheckpointEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// A panic (of the driver) is logged; the next tick
				// checkpoints again.
				// Not ExecContext(ctx): the driver watches a cancellable
				// context from a goroutine of its own that interrupts the
				// connection, and stop's cancel then raced with the
				// connection going back to the pool (a data race under
				// -race). A PASSIVE checkpoint never waits, so nothing
				// needs cancelling; stop waits for it to end.
				if err := recovery.Run(nil, "sqlite checkpoint", func() error {
					_, err := pool.Exec("PRAGMA wal_checkpoint(PASSIVE)")
					return err
				}); err != nil && strings.Contains(err.Error(), "database is closed") {
					return
				}
			}
		}
	}()
	return c
}

// stop ends the goroutine and checkpoints once more, so that a process
// that ends leaves a short log.
func (c *checkpointer) stop(pool *sql.DB) {
	c.once.Do(func() {
		c.cancel()
		<-c.done
		_, _ = pool.Exec("PRAGMA wal_checkpoint(PASSIVE)")
	})
}
