package search

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// NeedReader loads the public projection of one need from the database.
// *gormstore.Store implements it (see marketplace.PublicNeedStore).
type NeedReader interface {
	// PublicNeed returns marketplace.ErrNotFound for a need that does not
	// exist or is not public.
	PublicNeed(ctx context.Context, publicID string, now time.Time) (*marketplace.PublicNeed, error)
}

// Browse is the public browsing of needs: searches are answered by the
// index, a single need by the database (the source of truth). Both only ever
// see public projections.
type Browse struct {
	Index Index
	Needs NeedReader
	// Now is the clock statuses are computed at (notice → open when the
	// notice has ended, without any job).
	Now func() time.Time
}

// DefaultStatuses are the statuses a search shows when it asks for none:
// the needs that can still be helped or objected to.
var DefaultStatuses = []kernel.NeedStatus{kernel.NeedOpen, kernel.NeedNotice}

// Search runs q at b.Now. Statuses default to DefaultStatuses and must be
// public ones (marketplace.PublicStatuses) or expired; other bounds are those of Query.
// It returns a *marketplace.ValidationError naming the bad field.
func (b *Browse) Search(ctx context.Context, q Query) (*Result, error) {
	if len(q.Statuses) == 0 {
		q.Statuses = DefaultStatuses
	}
	for _, s := range q.Statuses {
		if !marketplace.IsPublicStatus(s) && s != kernel.NeedExpired {
			return nil, kernel.Invalid("status", "must be one of notice, open, expired, funded, disbursed, closed")
		}
	}
	q.Now = b.Now()
	res, err := b.Index.Search(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("browse: %w", err)
	}
	return res, nil
}

// Need returns the public projection of one need at b.Now, or
// marketplace.ErrNotFound when it does not exist or is not public
// (unpublished, without consent, suspended, withdrawn, rejected, …).
func (b *Browse) Need(ctx context.Context, publicID string) (*marketplace.PublicNeed, error) {
	n, err := b.Needs.PublicNeed(ctx, publicID, b.Now())
	if err != nil {
		return nil, fmt.Errorf("browse: need: %w", err)
	}
	return n, nil
}

// NeedsReader loads the public projections of several needs at once; a
// NeedReader that is one answers Titles in one query.
type NeedsReader interface {
	// PublicNeedsByPublicID leaves out the needs that are unknown or not public.
	PublicNeedsByPublicID(ctx context.Context, publicIDs []string, now time.Time) ([]marketplace.PublicNeed, error)
}

// Titles returns the public titles of those of the needs with these public
// ids that are public, by public id; a need that is not public (or
// unknown) has no entry, and callers show it without a title.
func (b *Browse) Titles(ctx context.Context, publicIDs []string) (map[string]string, error) {
	out := make(map[string]string, len(publicIDs))
	if len(publicIDs) == 0 {
		return out, nil
	}
	now := b.Now()
	if many, ok := b.Needs.(NeedsReader); ok {
		ns, err := many.PublicNeedsByPublicID(ctx, publicIDs, now)
		if err != nil {
			return nil, fmt.Errorf("browse: titles: %w", err)
		}
		for _, n := range ns {
			out[n.ID] = n.Title
		}
		return out, nil
	}
	for _, id := range publicIDs {
		n, err := b.Needs.PublicNeed(ctx, id, now)
		switch {
		case err == nil:
			out[id] = n.Title
		case !errors.Is(err, kernel.ErrNotFound):
			return nil, fmt.Errorf("browse: titles: %w", err)
		}
	}
	return out, nil
}
