package notify

import (
	"context"
	"time"
)

// Outbox records events: a store's transaction (the events are written with
// the change, or not at all) or the outbox on its own. Events whose Key is
// recorded already are dropped. *ValidationError for an event that is not
// valid.
type Outbox interface {
	Publish(ctx context.Context, events ...Event) error
}

// Publish records events in o (a transaction of the change that caused
// them, such as a funds.Tx): notify.Publish(ctx, tx, notify.PledgeConfirmed(…)).
// A nil o records nothing.
func Publish(ctx context.Context, o Outbox, events ...Event) error {
	if o == nil || len(events) == 0 {
		return nil
	}
	return o.Publish(ctx, events...)
}

// DeliveryState is where a delivery is.
type DeliveryState string

// The states of a delivery: pending (to send, perhaps after failures:
// Attempts says how many), sent, or failed (given up after MaxAttempts or
// a permanent refusal, until the operator retries it).
const (
	StatePending DeliveryState = "pending"
	StateSent    DeliveryState = "sent"
	StateFailed  DeliveryState = "failed"
)

// DeliveryStates lists every state.
var DeliveryStates = []DeliveryState{StatePending, StateFailed, StateSent}

// StoredEvent is an event in the outbox.
type StoredEvent struct {
	ID int64
	Event
}

// NewDelivery is a delivery the fan-out of an event creates.
type NewDelivery struct {
	UserID  int64
	Channel Channel
}

// Delivery is one event to one user on one channel.
type Delivery struct {
	ID       int64
	PublicID string
	EventID  int64
	UserID   int64
	Channel  Channel
	State    DeliveryState
	Attempts int
	// NextAt is when it is due (pending); LastReason and LastError why
	// the last try failed.
	NextAt     time.Time
	LastReason Reason
	LastError  string
	CreatedAt  time.Time
	SentAt     *time.Time
	Event      Event
}

// DeliveryView is a delivery as the operator sees it, with its recipient.
type DeliveryView struct {
	Delivery
	UserPublicID string
	DisplayName  string
}

// Counts are how many deliveries are in each state, and how many events
// wait to be fanned out.
type Counts struct {
	Pending, Failed, Sent int
	Waiting               int
}

// InboxItem is a message in a user's in-app inbox.
type InboxItem struct {
	PublicID  string
	CreatedAt time.Time
	ReadAt    *time.Time
	Event     Event
}

// Store is what notifications need of the database.
type Store interface {
	Outbox

	// TakeLease takes or renews the lease name for holder until now+ttl:
	// true when holder holds it afterwards (it was free, expired, or
	// holder's already).
	TakeLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if holder holds it.
	ReleaseLease(ctx context.Context, name, holder string) error

	// WaitingEvents returns up to limit events not fanned out yet, oldest first.
	WaitingEvents(ctx context.Context, limit int) ([]StoredEvent, error)
	// FanOut creates the deliveries of an event (those that exist already
	// are kept as they are) due at now, and marks the event fanned out
	// with its number of recipients, in one transaction.
	FanOut(ctx context.Context, eventID int64, ds []NewDelivery, recipients int, now time.Time) error
	// DueDeliveries returns up to limit pending deliveries due at now,
	// with their events, the earliest due first.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// ClaimDelivery moves a pending delivery's due time from its current
	// one (was) to until, so that no other dispatcher sends it meanwhile:
	// false when it changed since it was read.
	ClaimDelivery(ctx context.Context, id int64, was, until time.Time) (bool, error)
	// MarkSent records a delivery sent.
	MarkSent(ctx context.Context, id int64, attempts int, now time.Time) error
	// MarkFailed records a failed try: pending again at next, or failed
	// (given up) when next is nil.
	MarkFailed(ctx context.Context, id int64, attempts int, next *time.Time, reason Reason, errText string, now time.Time) error

	// DeliverInbox puts the event in the user's inbox once: a second call
	// for the same event and user changes nothing.
	DeliverInbox(ctx context.Context, eventID, userID int64, now time.Time) error
	// Inbox returns a user's messages, newest first, with the number of
	// them and of the unread ones.
	Inbox(ctx context.Context, userID int64, limit, offset int) (items []InboxItem, total, unread int, err error)
	// Unread counts a user's unread messages.
	Unread(ctx context.Context, userID int64) (int, error)
	// MarkRead marks a user's message read; ErrNotFound when the user has
	// no message of that id.
	MarkRead(ctx context.Context, userID int64, itemPublicID string, now time.Time) error
	// MarkAllRead marks every message of a user read.
	MarkAllRead(ctx context.Context, userID int64, now time.Time) error

	// Choices returns a user's choices (kinds without one are absent).
	Choices(ctx context.Context, userID int64) (Choices, error)
	// SetChoices stores a user's choices for the kinds given.
	SetChoices(ctx context.Context, userID int64, c Choices, now time.Time) error
	// Phone returns a user's sealed phone number; empty when none.
	Phone(ctx context.Context, userID int64) (ct []byte, keyID string, err error)
	// SetPhone stores a user's sealed phone number; an empty ct removes it.
	SetPhone(ctx context.Context, userID int64, ct []byte, keyID string, now time.Time) error

	// Deliveries lists the deliveries in state (all when ""), the latest
	// first, with their number.
	Deliveries(ctx context.Context, state DeliveryState, limit, offset int) ([]DeliveryView, int, error)
	// Counts counts deliveries by state and the events waiting.
	Counts(ctx context.Context) (Counts, error)
	// Retry makes a failed delivery pending again, due at now, with its
	// attempts counted from zero; ErrNotFound, ErrConflict when it is not
	// failed.
	Retry(ctx context.Context, deliveryPublicID string, now time.Time) error
}

// Sealer seals and opens personal data with the service's data keys
// (marketplace.Cipher): a user's phone number is stored only sealed.
type Sealer interface {
	Seal(plaintext, ad []byte) (ciphertext []byte, keyID string, err error)
	Open(ciphertext []byte, keyID string, ad []byte) ([]byte, error)
}

// phoneAD binds a sealed phone number to its user.
func phoneAD(userPublicID string) []byte { return []byte("notify.phone:" + userPublicID) }
