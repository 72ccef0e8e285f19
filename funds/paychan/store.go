package paychan

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/marketplace"
)

// Store is what the payment channels need of the database; the pledges,
// the ledger and refunds are funds'.
type Store interface {
	// Merchant returns an organization's credentials for a channel; ErrNotFound.
	Merchant(ctx context.Context, orgID int64, ch Channel) (*MerchantRecord, error)
	// SaveMerchant stores (or replaces) credentials with the audit entry
	// of the change, in one transaction.
	SaveMerchant(ctx context.Context, r *MerchantRecord, audit marketplace.AuditEntry) error
	// DeleteMerchant removes credentials with the audit entry; ErrNotFound
	// when there were none.
	DeleteMerchant(ctx context.Context, orgID int64, ch Channel, audit marketplace.AuditEntry) error

	// Order returns the order of a pledge by a method; ErrNotFound.
	Order(ctx context.Context, pledgeID int64, m Method) (*Order, error)
	// SaveOrder stores an order, replacing the pledge's order of that method.
	SaveOrder(ctx context.Context, o *Order) error

	// RecordException stores e, or when its channel, event and code were
	// recorded before, counts it seen once more (e gets the stored one's
	// public id); new reports which.
	RecordException(ctx context.Context, e *Exception) (isNew bool, err error)
	// Exceptions lists up to limit exceptions of the organizations, newest
	// first: the open ones only, or all.
	Exceptions(ctx context.Context, orgIDs []int64, openOnly bool, limit int) ([]Exception, error)
	// Exception returns one; ErrNotFound.
	Exception(ctx context.Context, publicID string) (*Exception, error)
	// ResolveException marks an open exception resolved by a user with a
	// sealed note; false when it was resolved already.
	ResolveException(ctx context.Context, id, by int64, noteCT []byte, noteKID string, at time.Time) (bool, error)
}

// Order is a payment order made at a provider for a pledge: what the
// donor's browser needs to pay it.
type Order struct {
	PledgeID int64
	Method   Method
	// PayURL is the Native code_url to show as a QR code, or the address
	// the donor's browser goes to.
	PayURL    string
	CreatedAt time.Time
	ExpiresAt time.Time
}
