package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/recovery"
)

// Indexer keeps an Index in step with the database: it drains the search
// outbox (one row per change of a need's public projection, written in the
// change's transaction), loads the current projections and upserts them, or
// deletes the needs that are no longer public. Delivery is at least once: an
// outbox row is deleted only after the index has taken its need, so a crash
// at any point leaves the row for the next drain, and indexing a projection
// twice changes nothing. Rebuild writes the whole index from the database.
type Indexer struct {
	Index  Index
	Needs  marketplace.PublicNeedStore
	Outbox marketplace.SearchOutboxStore
	Now    func() time.Time
	Log    *slog.Logger
	// BatchSize is the number of outbox rows taken per drain (default 200).
	BatchSize int
	// PollInterval is how often Run looks at the outbox when nobody wakes it
	// (default 500 ms).
	PollInterval time.Duration

	wake chan struct{}
}

// NewIndexer returns an indexer with the default batch size and poll
// interval.
func NewIndexer(idx Index, needs marketplace.PublicNeedStore, outbox marketplace.SearchOutboxStore, now func() time.Time, log *slog.Logger) *Indexer {
	if log == nil {
		log = slog.Default()
	}
	return &Indexer{Index: idx, Needs: needs, Outbox: outbox, Now: now, Log: log,
		BatchSize: 200, PollInterval: 500 * time.Millisecond, wake: make(chan struct{}, 1)}
}

// Wake tells Run that the outbox has new rows, so that a change is
// searchable at once rather than at the next poll. It never blocks; call it
// after the transaction that wrote the outbox row has committed.
func (ix *Indexer) Wake() {
	select {
	case ix.wake <- struct{}{}:
	default:
	}
}

// DrainOnce processes one batch of the outbox and returns how many outbox
// rows it took (0 when the outbox is empty).
func (ix *Indexer) DrainOnce(ctx context.Context) (int, error) {
	return ix.Outbox.DrainSearchOutbox(ctx, ix.BatchSize, func(ctx context.Context, rowIDs []int64) error {
		public, hidden, err := ix.Needs.PublicNeedsByRowID(ctx, rowIDs, ix.Now())
		if err != nil {
			return err
		}
		return ix.apply(ctx, public, hidden)
	})
}

// Drain processes the outbox until it is empty and returns how many outbox
// rows it took.
func (ix *Indexer) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := ix.DrainOnce(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// apply writes one batch. A need the index refuses (a projection it cannot
// hold, such as a malformed region code) is logged by its public id and
// removed from the index, so that one bad row cannot block the outbox.
func (ix *Indexer) apply(ctx context.Context, public []marketplace.PublicNeed, hidden []string) error {
	if len(hidden) > 0 {
		if err := ix.Index.Delete(ctx, hidden); err != nil {
			return fmt.Errorf("indexer: delete: %w", err)
		}
	}
	if len(public) == 0 {
		return nil
	}
	err := ix.Index.Upsert(ctx, public)
	var v *kernel.ValidationError
	if !errors.As(err, &v) {
		if err != nil {
			return fmt.Errorf("indexer: upsert: %w", err)
		}
		return nil
	}
	for i := range public {
		err := ix.Index.Upsert(ctx, public[i:i+1])
		if errors.As(err, &v) {
			ix.Log.Error("indexer: need refused by the index; left out of search", slog.String("need", public[i].ID), slog.String("error", v.Error()))
			err = ix.Index.Delete(ctx, []string{public[i].ID})
		}
		if err != nil {
			return fmt.Errorf("indexer: upsert: %w", err)
		}
	}
	return nil
}

// Run drains the outbox until ctx ends: at once, whenever Wake is called,
// and every PollInterval. Errors are logged and retried with a growing
// pause (up to a minute); Run returns only when ctx ends.
func (ix *Indexer) Run(ctx context.Context) {
	poll := ix.PollInterval
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	pause := poll
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ix.wake:
		case <-t.C:
		}
		// A panic in a drain is logged and retried like an error, so
		// that the index keeps following the database.
		if err := recovery.Run(ix.Log, "search indexer: drain", func() error {
			_, err := ix.Drain(ctx)
			return err
		}); err != nil && ctx.Err() == nil {
			ix.Log.Error("indexer: drain failed; will retry", slog.String("error", err.Error()), slog.Duration("retry_in", pause))
			pause = min(2*pause, time.Minute)
		} else {
			pause = poll
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(pause)
	}
}

// RebuildStats says what a Rebuild did.
type RebuildStats struct {
	// Indexed is the number of public needs written; Removed the number of
	// ids of non-public needs deleted from the index.
	Indexed, Removed int
}

// Rebuild writes every public need of the database into the index in pages
// of 1,000 and deletes every need that is not public, then reports progress
// (needs indexed so far, out of total) after each page. It is idempotent and
// leaves the outbox alone: changes made meanwhile are picked up by the next
// drain. Into an empty index (a fresh folder) it is a full reindex.
func (ix *Indexer) Rebuild(ctx context.Context, progress func(done, total int)) (RebuildStats, error) {
	var st RebuildStats
	total, err := ix.Needs.CountPublicNeeds(ctx)
	if err != nil {
		return st, err
	}
	const page = 1000
	for after := int64(0); ; {
		needs, last, err := ix.Needs.PublicNeedsAfter(ctx, after, page, ix.Now())
		if err != nil {
			return st, err
		}
		if last == 0 {
			break
		}
		if err := ix.apply(ctx, needs, nil); err != nil {
			return st, err
		}
		st.Indexed += len(needs)
		after = last
		if progress != nil {
			progress(st.Indexed, max(total, st.Indexed))
		}
	}
	for after := int64(0); ; {
		ids, last, err := ix.Needs.HiddenNeedIDsAfter(ctx, after, page)
		if err != nil {
			return st, err
		}
		if last == 0 {
			break
		}
		if err := ix.Index.Delete(ctx, ids); err != nil {
			return st, fmt.Errorf("indexer: delete: %w", err)
		}
		st.Removed += len(ids)
		after = last
	}
	return st, nil
}
