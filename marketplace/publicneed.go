package marketplace

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Which needs are public. A need appears on public surfaces (GET /needs,
// GET /needs/{id}, the search index) only when all of these hold:
//   - it was published (published_at is set),
//   - the household consented to publication (consent_public),
//   - its stored status is one of PublicStatuses: never draft, submitted,
//     cleared, referred, rejected or withdrawn, and a suspended need (an
//     objection or suspected fraud) disappears until a verifier resolves it,
//   - its public region has been computed (public_region_code).

// PublicStatuses are the stored statuses a published, consented need is
// shown in. A need in notice whose notice has ended is shown as open (see
// EffectiveStatus).
var PublicStatuses = []kernel.NeedStatus{kernel.NeedNotice, kernel.NeedOpen, kernel.NeedFunded, kernel.NeedDisbursed, kernel.NeedClosed}

// IsPublicStatus reports whether a need stored in status s may be public.
func IsPublicStatus(s kernel.NeedStatus) bool {
	switch s {
	case kernel.NeedNotice, kernel.NeedOpen, kernel.NeedFunded, kernel.NeedDisbursed, kernel.NeedClosed:
		return true
	}
	return false
}

// PublicNeedStore reads public projections of needs from the stored public
// columns. It is the only place a PublicNeed is built from the database;
// the need lifecycle fills those columns when it publishes a need.
type PublicNeedStore interface {
	// PublicNeed returns the projection of the need with this public id as
	// it is at now (status through EffectiveStatus). It returns ErrNotFound
	// when there is no such need or when it is not public (see
	// PublicStatuses), so that callers cannot tell the two apart.
	PublicNeed(ctx context.Context, publicID string, now time.Time) (*PublicNeed, error)
	// PublicNeedsByRowID returns, for the needs with these row ids, the
	// projections of those that are public and the public ids of those that
	// exist but are not (so that an index can drop them). Unknown row ids
	// are ignored.
	PublicNeedsByRowID(ctx context.Context, rowIDs []int64, now time.Time) (public []PublicNeed, hidden []string, err error)
	// PublicNeedsAfter returns up to limit public needs with a row id above
	// afterRowID, by row id, and the last row id read (0 when none): the
	// pages of a full rebuild.
	PublicNeedsAfter(ctx context.Context, afterRowID int64, limit int, now time.Time) ([]PublicNeed, int64, error)
	// HiddenNeedIDsAfter returns up to limit public ids of needs that are
	// not public, with a row id above afterRowID, and the last row id read.
	HiddenNeedIDsAfter(ctx context.Context, afterRowID int64, limit int) ([]string, int64, error)
	// CountPublicNeeds counts the public needs.
	CountPublicNeeds(ctx context.Context) (int, error)
}

// SearchOutboxStore hands out the search outbox: one row per change of a
// need's public projection, written in the same transaction as the change.
type SearchOutboxStore interface {
	// DrainSearchOutbox takes up to limit of the oldest outbox rows and
	// calls fn with the row ids of their needs (each once). When fn returns
	// nil the rows it was given are deleted; otherwise they stay for the next
	// drain (at least once). While fn runs, another drainer of the same
	// database waits for those rows, so that an older projection never
	// overwrites a newer one in the index. It returns how many outbox rows
	// were processed (0 when the outbox is empty) and fn's error.
	DrainSearchOutbox(ctx context.Context, limit int, fn func(ctx context.Context, needRowIDs []int64) error) (int, error)
	// SearchOutboxLen counts the rows waiting.
	SearchOutboxLen(ctx context.Context) (int, error)
}
