package gormstore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jiujinan/jiujinan/funds"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
)

// Batched allocations (a unit of work), on SQLite and MySQL/MariaDB.
// Concurrent InTxGrouped calls queue in Go in one lane; the first caller to
// find the lane idle leads: it takes the queued calls (up to maxGroup) and
// runs them in one database transaction (batch.go):
//
//   - At the start the batch reads and locks, in set-based statements and
//     in a fixed order, every row its calls' hints name: the people's needs
//     (when screening is wired), the needs, the sources, and the ledger
//     accounts of the sources and the needs.
//   - Each call's fn then runs against a Tx that serves those reads from
//     memory and buffers its writes, checking balances in memory against the
//     locked rows. A call whose fn fails has its buffered writes discarded and
//     gets its own error; the calls after it see the effects of the calls
//     that succeeded before it.
//   - At the end the batch writes everything with multi-row INSERTs and one
//     UPDATE each for the needs and the balances, and commits once.
//
// A call that uses anything its hint did not name, or a Tx method the batch
// does not serve, runs again alone through InTx once the batch is done (fn
// is re-runnable by InTx's contract). When the database spoils the batch (a
// deadlock, a lock wait timeout, a failed write, a lost connection) nothing
// of it was committed, and every call of it runs again alone through InTx,
// with InTx's retries. A failed COMMIT is reported to every call of the
// batch and not retried: the outcome is unknown, as it is for InTx.
//
// When the lane's batch is done the leader hands the lane to the first call
// that queued meanwhile, so no goroutine runs in the background and a caller
// leads at most one batch. On MySQL it hands the lane over as soon as the
// batch is written, before its COMMIT: the next batch reads and locks while
// this one waits for its redo log flush; where they share rows, the next
// one's locking reads wait for the commit. A batch about to commit takes no
// more locks, so the two cannot deadlock. One lane for the whole store: on SQLite there is
// one writer anyway (the leader holds the write mutex for the batch), and on
// MySQL two concurrent batches would lock overlapping sets of rows and
// deadlock each other, while one batch's work is a dozen statements.
const maxGroup = 128

type groupLane struct {
	mu    sync.Mutex
	queue []*groupCall
	busy  bool
}

type groupCall struct {
	ctx  context.Context
	hint funds.GroupHint
	fn   func(tx funds.Tx) error
	t    *btx
	err  error
	// done receives one verdict: lead (run the lane's next batch), done
	// (err is the outcome) or alone (run through InTx).
	done chan verdict
	// alone: this call must run again alone through InTx.
	alone bool
}

type verdict int

const (
	verdictDone verdict = iota
	verdictLead
	verdictAlone
)

// InTxGrouped implements funds.Store.
func (s *Store) InTxGrouped(ctx context.Context, hint funds.GroupHint, fn func(tx funds.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.noBatch { // Options.NoBatching: the path the batches are held to
		return s.InTx(ctx, fn)
	}
	l := &s.group
	c := &groupCall{ctx: ctx, hint: hint, fn: fn, done: make(chan verdict, 1)}
	l.mu.Lock()
	l.queue = append(l.queue, c)
	if l.busy {
		l.mu.Unlock()
		switch <-c.done {
		case verdictDone:
			return c.err
		case verdictAlone:
			return s.InTx(ctx, fn)
		}
		// verdictLead: c is first in the queue and leads the next batch.
	} else {
		l.busy = true
		l.mu.Unlock()
	}
	l.mu.Lock()
	batch := l.queue[:min(len(l.queue), maxGroup)]
	l.queue = l.queue[len(batch):]
	l.mu.Unlock()

	handOff := sync.OnceFunc(func() {
		l.mu.Lock()
		if len(l.queue) > 0 {
			next := l.queue[0]
			l.mu.Unlock()
			next.done <- verdictLead
		} else {
			l.busy = false
			l.mu.Unlock()
		}
	})
	s.runGroup(batch, c, handOff)
	handOff()
	if c.alone {
		return s.InTx(ctx, fn)
	}
	return c.err
}

// runGroup runs batch (which holds self, the leader's own call) and gives
// every other call its verdict; self's outcome is left in self.err, or
// self.alone when it must run alone.
func (s *Store) runGroup(batch []*groupCall, self *groupCall, handOff func()) {
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			if c != self {
				c.done <- verdictDone
			}
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	s.runBatch(context.WithoutCancel(self.ctx), live, handOff)
	for _, c := range live {
		if c == self {
			continue
		}
		if c.alone {
			c.done <- verdictAlone
		} else {
			c.done <- verdictDone
		}
	}
}

var errPanicked = errors.New("funds: panic in a grouped transaction")

// runGuarded runs fn, turning a panic into an error so that the batch's
// other callers are not left waiting; the panicking call then runs alone
// and panics in its own goroutine.
func runGuarded(fn func(tx funds.Tx) error, t funds.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errPanicked, p)
		}
	}()
	return fn(t)
}

// mapErr maps a database error as InTx does.
func mapErr(err error) error { return mstore.MapError(err) }
