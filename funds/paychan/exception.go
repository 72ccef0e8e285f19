package paychan

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Kinds of what an exception is about.
const (
	KindPayment = "payment"
	KindRefund  = "refund"
)

// Why a verified notification was not taken by the ledger.
const (
	// CodeUnknownOrder: no pledge has the order number.
	CodeUnknownOrder = "unknown_order"
	// CodeOtherOrg: the pledge is another organization's.
	CodeOtherOrg = "other_org"
	// CodeAmountDiffers: the amount paid is not the pledge's.
	CodeAmountDiffers = "amount_differs"
	// CodeCurrencyDiffers: the payment is not in CNY.
	CodeCurrencyDiffers = "currency_differs"
	// CodeMerchantDiffers: the notification names another merchant or app.
	CodeMerchantDiffers = "merchant_differs"
	// CodePledgeRefunded: the pledge was refunded before this payment came.
	CodePledgeRefunded = "pledge_refunded"
	// CodePledgeExpired: the pledge expired before this payment came.
	CodePledgeExpired = "pledge_expired"
	// CodePaidTwice: the pledge was confirmed already by another payment
	// (or by staff): this money came twice.
	CodePaidTwice = "paid_twice"
	// CodeNotPending: the pledge could not take the payment for another reason.
	CodeNotPending = "not_pending"
	// CodeUnknownRefund: a refund the service never asked for.
	CodeUnknownRefund = "unknown_refund"
	// CodeRefundDiffers: a refund that does not match the one asked for.
	CodeRefundDiffers = "refund_differs"
)

// ExceptionCodes lists every code, for pages to word.
var ExceptionCodes = []string{CodeUnknownOrder, CodeOtherOrg, CodeAmountDiffers, CodeCurrencyDiffers, CodeMerchantDiffers,
	CodePledgeRefunded, CodePledgeExpired, CodePaidTwice, CodeNotPending, CodeUnknownRefund, CodeRefundDiffers}

// Exception is a verified notification the ledger did not take, kept for
// reconciliation once per provider event and reason (Times counts how
// often it came), with the notification itself sealed.
type Exception struct {
	ID          int64
	PublicID    string
	OrgID       int64
	OrgPublicID string
	Channel     Channel
	Kind        string
	Code        string
	// EventKey is the provider's event: "payment:<transaction id>" or
	// "refund:<refund id>".
	EventKey        string
	ProviderTxnID   string
	OutTradeNo      string
	OutRefundNo     string
	AmountFen       int64
	Currency        string
	PledgeID        int64
	PledgePublicID  string
	PledgeReference string
	PledgeFen       int64
	// Detail is the notification, opened (sealed at rest: DetailCT).
	Detail    string
	DetailCT  []byte
	DetailKID string
	Times     int
	FirstAt   time.Time
	LastAt    time.Time
	// ResolvedAt, ResolvedBy and Note say who closed it and how.
	ResolvedAt     *time.Time
	ResolvedBy     int64
	ResolvedByName string
	Note           string
	NoteCT         []byte
	NoteKID        string
}

// except keeps a notification the ledger did not take (detail sealed).
func (s *Service) except(ctx context.Context, e *Exception, detail []byte) error {
	now := s.now()
	e.PublicID, e.FirstAt, e.LastAt, e.Times = s.NewID(), now, now, 1
	if len(detail) > 0 {
		ct, kid, err := s.Cipher.Seal(detail, []byte("payexc:"+e.PublicID))
		if err != nil {
			return err
		}
		e.DetailCT, e.DetailKID = ct, kid
	}
	isNew, err := s.Store.RecordException(ctx, e)
	if err != nil {
		return fmt.Errorf("paychan: keep exception: %w", err)
	}
	if isNew {
		s.Log.Warn("payment notification kept for reconciliation", slog.String("channel", string(e.Channel)), slog.String("code", e.Code),
			slog.String("event", e.EventKey), slog.String("exception", e.PublicID))
	}
	return nil
}

func (s *Service) openException(e *Exception) {
	if len(e.DetailCT) > 0 && e.Detail == "" {
		if b, err := s.Cipher.Open(e.DetailCT, e.DetailKID, []byte("payexc:"+e.PublicID)); err == nil {
			e.Detail = string(b)
		}
	}
	if len(e.NoteCT) > 0 && e.Note == "" {
		if b, err := s.Cipher.Open(e.NoteCT, e.NoteKID, []byte("payexc-note:"+e.PublicID)); err == nil {
			e.Note = string(b)
		}
	}
}

// Exceptions lists up to limit (at most 500) exceptions of the caller's
// organizations (federation staff), newest first: the open ones, or all.
// ErrForbidden for anyone else.
func (s *Service) Exceptions(ctx context.Context, by *kernel.Principal, openOnly bool, limit int) ([]Exception, error) {
	var ids []int64
	for _, o := range by.OrgsWith(kernel.RoleFederationStaff) {
		ids = append(ids, o.ID)
	}
	if len(ids) == 0 {
		return nil, kernel.ErrForbidden
	}
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	out, err := s.Store.Exceptions(ctx, ids, openOnly, limit)
	if err != nil {
		return nil, err
	}
	for i := range out {
		s.openException(&out[i])
	}
	return out, nil
}

// ResolveException closes an exception with staff's note of what was done
// (a refund made in the provider's console, a pledge confirmed by hand).
// ErrNotFound (also for another organization's), ErrConflict (resolved
// already), ValidationError.
func (s *Service) ResolveException(ctx context.Context, by *kernel.Principal, publicID, note string) (*Exception, error) {
	e, err := s.Store.Exception(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if !by.InOrg(kernel.RoleFederationStaff, e.OrgID) {
		return nil, fmt.Errorf("paychan: exception: %w", kernel.ErrNotFound)
	}
	note = strings.TrimSpace(note)
	v := &kernel.ValidationError{}
	if n := len([]rune(note)); n == 0 {
		v.Add("note", "is required")
	} else if n > 200 {
		v.Add("note", "must be at most %d characters", 200)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	ct, kid, err := s.Cipher.Seal([]byte(note), []byte("payexc-note:"+e.PublicID))
	if err != nil {
		return nil, err
	}
	now := s.now()
	ok, err := s.Store.ResolveException(ctx, e.ID, by.User.ID, ct, kid, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_exception_resolved", nil, "the exception was resolved already")
	}
	e.ResolvedAt, e.ResolvedBy, e.Note, e.NoteCT, e.NoteKID = &now, by.User.ID, note, ct, kid
	s.openException(e)
	return e, nil
}
