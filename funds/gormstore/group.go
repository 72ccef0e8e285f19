package gormstore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jiujinan/jiujinan/funds"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
)

// Group commit, on SQLite (on MySQL InTxGrouped is InTx). SQLite has one
// writer at a time, so concurrent InTxGrouped calls queue in Go in one
// lane; the first caller to find the lane idle leads: it takes every queued
// call (up to maxGroup), runs them in one database transaction, each inside
// its own SAVEPOINT, and commits once. A call whose fn fails is rolled back
// to its savepoint and gets its own error; the others commit together, so a
// burst of allocations pays one commit (one WAL append) instead of one each. When the lane's batch is done the leader
// hands the lane to the first call that queued meanwhile, so no goroutine
// runs in the background and a caller leads at most one batch.
//
// When the database spoils the whole transaction (a deadlock, a lock wait
// timeout, a lost connection) nothing of the batch is committed, and every
// call of it runs again alone through InTx, with InTx's retries; fn is
// re-runnable by InTx's contract. A failed COMMIT is reported to every call
// of the batch and not retried: the outcome is unknown, as it is for InTx.

const (
	maxGroup     = 64
	groupSavepnt = "grp"
)

type groupLane struct {
	mu    sync.Mutex
	queue []*groupCall
	busy  bool
}

// groupBatch is what the calls of one grouped transaction share.
type groupBatch struct {
	sources map[string]*funds.Source // read once per batch, by public id
}

type groupCall struct {
	ctx context.Context
	fn  func(tx funds.Tx) error
	t   *tx
	err error
	// done receives one verdict: lead (run the lane's next batch), done
	// (err is the outcome) or alone (run through InTx).
	done chan verdict
}

type verdict int

const (
	verdictDone verdict = iota
	verdictLead
	verdictAlone
)

// errBatchSpoiled stops a batch whose transaction the database rolled back.
var errBatchSpoiled = errors.New("funds: batch transaction spoiled")

// InTxGrouped implements funds.Store.
func (s *Store) InTxGrouped(ctx context.Context, key string, fn func(tx funds.Tx) error) error {
	if s.mysql() {
		// InnoDB already shares one redo log flush among transactions that
		// commit together, and its row locks let the statements of
		// concurrent allocations overlap; a lane here serializes them on
		// one connection, which measured slower (docs/benchmarks/funds.md).
		return s.InTx(ctx, fn)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l := &s.group
	c := &groupCall{ctx: ctx, fn: fn, done: make(chan verdict, 1)}
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

	s.runGroup(batch, c)

	l.mu.Lock()
	if len(l.queue) > 0 {
		next := l.queue[0]
		l.mu.Unlock()
		next.done <- verdictLead
	} else {
		l.busy = false
		l.mu.Unlock()
	}
	if c.err == errBatchSpoiled {
		return s.InTx(ctx, fn)
	}
	return c.err
}

// runGroup runs batch (which holds self, the leader's own call) and gives
// every other call its verdict; self's outcome is left in self.err, or
// errBatchSpoiled when it must run alone.
func (s *Store) runGroup(batch []*groupCall, self *groupCall) {
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
	finish := func(v verdict) {
		for _, c := range live {
			if v == verdictAlone {
				c.err = errBatchSpoiled
			}
			if c != self {
				c.done <- v
			}
		}
	}
	if len(live) == 1 {
		// Nobody to share the commit with: InTx, without savepoints, still
		// holding the lane so that the calls queueing meanwhile form the
		// next batch instead of each running alone.
		c := live[0]
		c.err = s.InTx(c.ctx, c.fn)
		if c != self {
			c.done <- verdictDone
		}
		return
	}
	if !s.mysql() {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	// The batch outlives any one caller's cancellation: the others' work is in it.
	g := s.db.WithContext(context.WithoutCancel(self.ctx)).Begin()
	if g.Error != nil {
		finish(verdictAlone)
		return
	}
	spoiled := false
	b := &groupBatch{sources: map[string]*funds.Source{}}
	for _, c := range live {
		c.t = &tx{s: s, g: g, batch: b}
		if err := g.Exec("SAVEPOINT " + groupSavepnt).Error; err != nil {
			spoiled = true
			break
		}
		err := runGuarded(c.fn, c.t)
		if err == nil {
			if !s.mysql() {
				// SQLite stacks savepoints of one name; MySQL replaces the
				// old one, so releasing it there would be a wasted round trip.
				if err := g.Exec("RELEASE SAVEPOINT " + groupSavepnt).Error; err != nil {
					spoiled = true
					break
				}
			}
			continue
		}
		if retryable(err) || errors.Is(err, errPanicked) {
			spoiled = true
			break
		}
		if rb := g.Exec("ROLLBACK TO SAVEPOINT " + groupSavepnt).Error; rb != nil {
			spoiled = true
			break
		}
		c.err = mstore.MapError(err)
		c.t = nil
	}
	if spoiled {
		g.Rollback()
		finish(verdictAlone)
		return
	}
	if err := g.Commit().Error; err != nil {
		for _, c := range live {
			if c.t != nil {
				c.err = mstore.MapError(err)
			}
		}
		finish(verdictDone)
		return
	}
	for _, c := range live {
		if c.t != nil {
			for _, f := range c.t.onCommit {
				f()
			}
		}
	}
	finish(verdictDone)
}

var errPanicked = errors.New("funds: panic in a grouped transaction")

// runGuarded runs fn, turning a panic into an error so that the batch's
// other callers are not left waiting; the panicking call then runs alone
// and panics in its own goroutine.
func runGuarded(fn func(tx funds.Tx) error, t *tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errPanicked, p)
		}
	}()
	return fn(t)
}
