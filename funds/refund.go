package funds

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Refunds go back the way the money came (issue 18): a pledge paid by
// WeChat Pay or Alipay is refunded through that channel, a bank transfer
// by a transfer staff make by hand and record. The ledger records a refund
// when staff decide it, in the same transaction as the refund's row: the
// money leaves the fund, project or need for the donor clearing account
// (TxRefund), owed to the donor from then on. Sending it is the row's
// life: pending until the provider takes it (funds/paychan sends it, and
// sends again after a failure that may pass), processing while the
// provider pays it out, then succeeded, or failed (staff send it again or
// record a transfer made by hand). A bank refund is pending until staff
// record the transfer's reference.

// RefundChannel is the way a refund goes back.
type RefundChannel string

const (
	RefundWeChatPay RefundChannel = "wechat_pay"
	RefundAlipay    RefundChannel = "alipay"
	RefundBank      RefundChannel = "bank"
)

// RefundChannelOf is the channel a pledge's refund goes through: the one
// that confirmed its payment, else a bank transfer (staff, bank statement,
// the generic signed notification).
func RefundChannelOf(p *Pledge) RefundChannel {
	switch p.ConfirmedVia {
	case ViaWeChatPay:
		return RefundWeChatPay
	case ViaAlipay:
		return RefundAlipay
	}
	return RefundBank
}

// RefundStatus is where a refund's money is.
type RefundStatus string

const (
	// RefundPending: recorded in the ledger, not yet taken by the
	// provider (or, for a bank transfer, not yet recorded as made).
	RefundPending RefundStatus = "pending"
	// RefundProcessing: the provider took it and is paying it out.
	RefundProcessing RefundStatus = "processing"
	// RefundSucceeded: the donor has the money back.
	RefundSucceeded RefundStatus = "succeeded"
	// RefundFailed: the provider refused or gave up; staff send it again
	// or record a transfer made by hand.
	RefundFailed RefundStatus = "failed"
)

// Refund is the refund of (part of) a confirmed pledge.
type Refund struct {
	ID              int64
	PublicID        string
	PledgeID        int64
	PledgePublicID  string
	PledgeReference string
	// PledgeFen is the pledge's whole amount (a provider wants it).
	PledgeFen   int64
	OrgID       int64
	OrgPublicID string
	Channel     RefundChannel
	// OutRefundNo is the refund's number at the provider, which makes a
	// repeated request the same refund.
	OutRefundNo string
	AmountFen   int64
	// Reason is staff's reason, opened (sealed at rest: ReasonCT).
	Reason    string
	ReasonCT  []byte
	ReasonKID string
	Status    RefundStatus
	// ProviderRefundID is the provider's id of the refund.
	ProviderRefundID string
	// BankReference is the reference of the transfer staff made by hand.
	BankReference string
	// Error is the provider's last word on a failure.
	Error    string
	Attempts int
	// RequestedBy is the staff member who asked (0: the donor's choice
	// for money of an ended need, or its default).
	RequestedBy int64
	// JournalTx is the public id of the ledger transaction.
	JournalTx     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	NextAttemptAt *time.Time
	SucceededAt   *time.Time
}

// Done reports whether nothing is left to do for the refund.
func (r *Refund) Done() bool { return r.Status == RefundSucceeded }

// NewRefund is staff's request to refund a pledge.
type NewRefund struct {
	// AmountFen is what goes back; 0 is all that is left of the pledge.
	AmountFen int64
	// Reason says why (shown to the donor by the provider).
	Reason string
	// BankReference, for a bank transfer already made, records it at once.
	BankReference string
}

// RefundStore is what refunds need of the database besides Store; the
// funds store (funds/gormstore) implements it.
type RefundStore interface {
	// Refund returns a refund by public id; ErrNotFound.
	Refund(ctx context.Context, publicID string) (*Refund, error)
	// RefundByOutNo returns a refund by its number at the provider; ErrNotFound.
	RefundByOutNo(ctx context.Context, outRefundNo string) (*Refund, error)
	// PledgeRefunds lists a pledge's refunds, oldest first.
	PledgeRefunds(ctx context.Context, pledgeID int64) ([]Refund, error)
	// DueRefunds lists up to limit channel refunds to send (pending, their
	// next attempt due at now) or to ask about (processing, last updated
	// before staleBefore), oldest first.
	DueRefunds(ctx context.Context, now, staleBefore time.Time, limit int) ([]Refund, error)
	// UpdateRefund writes r's status, provider id, bank reference, error,
	// attempts, out number and times when its stored status is still from;
	// false when it changed meanwhile.
	UpdateRefund(ctx context.Context, r *Refund, from RefundStatus) (bool, error)
	// PledgePayments lists the payment notification ids recorded with a
	// pledge (PaymentNotificationID).
	PledgePayments(ctx context.Context, pledgeID int64) ([]string, error)
	// OpenRefunds lists up to limit refunds of the organizations that are
	// not done (pending, processing, failed), oldest first.
	OpenRefunds(ctx context.Context, orgIDs []int64, limit int) ([]Refund, error)
}

// RefundTx is the part of a transaction that records refunds; the funds
// store's transactions (InTx) implement it.
type RefundTx interface {
	// InsertRefund stores r (sets ID).
	InsertRefund(r *Refund) error
	// RefundedFen sums the refunds of a pledge.
	RefundedFen(pledgeID int64) (int64, error)
}

func (s *Service) refundStore() (RefundStore, error) {
	rs, ok := s.Store.(RefundStore)
	if !ok {
		return nil, errors.New("funds: the store keeps no refunds")
	}
	return rs, nil
}

func refundTx(tx Tx) (RefundTx, error) {
	rt, ok := tx.(RefundTx)
	if !ok {
		return nil, errors.New("funds: this transaction records no refunds")
	}
	return rt, nil
}

// newOutRefundNo numbers a refund for the provider: the pledge's reference,
// "R" and six random characters (at most 64 of [0-9A-Z]).
func newOutRefundNo(reference string) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	out := []byte(reference + "R")
	for _, c := range b {
		out = append(out, alphabet[c&31])
	}
	return string(out)
}

// checkBankReference validates the reference of a transfer made by hand.
func checkBankReference(v *kernel.ValidationError, ref string) {
	if n := len(ref); n < 4 || n > 64 || strings.Trim(ref, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_") != "" {
		v.Add("bank_reference", "must be 4 to 64 letters, digits, - or _")
	}
}

// RecordRefund refunds a confirmed pledge, whole or in part (staff of the
// receiving organization), in one transaction: the ledger posting
// (TxRefund), the need's funded amount, the refund's row, and, once
// nothing is left, the pledge refunded and its receipt void. Money a need
// or fund no longer holds cannot go back (ErrInsufficientFunds). A part of
// a pledge that drew matching gifts (配捐) or whose need ended with a
// choice for its donor is refused: such a pledge is refunded whole. The
// refund is then sent through the pledge's channel (funds/paychan) or,
// for a bank transfer, recorded when staff made it (MarkRefundPaid).
// ErrForbidden, ErrNotFound (also for staff of another organization),
// ErrConflict, ValidationError.
func (s *Service) RecordRefund(ctx context.Context, by *kernel.Principal, pledgeID string, n NewRefund, idem *Idem) (*Refund, error) {
	pre, err := s.Store.Pledge(ctx, pledgeID)
	if err != nil {
		return nil, err
	}
	if !staffOf(by, pre.OrgID) {
		if MaySeePledge(by, pre) {
			return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_refund_org_only", map[string]any{"Org": pre.OrgName}, "only staff of %s refund its donations", pre.OrgName)
		}
		return nil, fmt.Errorf("funds: refund pledge: %w", kernel.ErrNotFound)
	}
	channel := RefundChannelOf(pre)
	v := &kernel.ValidationError{}
	if n.AmountFen != 0 {
		checkAmount(v, "amount_fen", n.AmountFen)
	}
	n.Reason = strings.TrimSpace(n.Reason)
	// WeChat Pay takes a reason of at most 80 characters.
	checkText(v, "reason", n.Reason, false, 80)
	n.BankReference = strings.TrimSpace(n.BankReference)
	if n.BankReference != "" {
		if channel != RefundBank {
			v.Add("bank_reference", "only a bank transfer has a bank reference")
		} else {
			checkBankReference(v, n.BankReference)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Refund
	err = s.Store.InTx(ctx, func(tx Tx) error {
		rt, err := refundTx(tx)
		if err != nil {
			return err
		}
		now := s.now()
		p, err := tx.LockPledge(pledgeID)
		if err != nil {
			return err
		}
		if p.Status != PledgeConfirmed {
			return kernel.Refuse(kernel.ErrConflict, "refusal_refund_confirmed_only", map[string]any{"Status": string(p.Status)}, "only a confirmed pledge can be refunded; this one is %s", p.Status)
		}
		if p.MatchedPledgeID != 0 {
			return kernel.Refuse(kernel.ErrConflict, "refusal_refund_matching_gift", nil, "a matching gift is reversed with the pledge it matched")
		}
		done, err := rt.RefundedFen(p.ID)
		if err != nil {
			return err
		}
		left := p.AmountFen - done
		amount := n.AmountFen
		if amount == 0 {
			amount = left
		}
		if amount > left {
			return kernel.Refuse(kernel.ErrConflict, "refusal_refund_over", map[string]any{"LeftFen": left}, "only %d fen of the pledge is left to refund", left)
		}
		var txID string
		if done == 0 && amount == p.AmountFen {
			txID, err = s.refundWhole(tx, p, by.User.PublicID, now)
		} else {
			txID, err = s.refundPart(tx, p, amount, amount == left, by.User.PublicID, now)
		}
		if err != nil {
			return err
		}
		r, err := s.newRefund(p, channel, amount, n.Reason, txID, now)
		if err != nil {
			return err
		}
		r.RequestedBy = by.User.ID
		if n.BankReference != "" {
			r.Status, r.BankReference, r.SucceededAt = RefundSucceeded, n.BankReference, &now
		}
		if err := rt.InsertRefund(r); err != nil {
			return err
		}
		out = r
		return s.finishIdem(tx, by, idem, r)
	})
	if err != nil {
		return nil, fmt.Errorf("funds: refund pledge: %w", err)
	}
	return out, nil
}

// newRefund builds the row of a refund just posted in the ledger (txID).
func (s *Service) newRefund(p *Pledge, channel RefundChannel, amount int64, reason, txID string, now time.Time) (*Refund, error) {
	r := &Refund{PublicID: s.NewID(), PledgeID: p.ID, PledgePublicID: p.PublicID, PledgeReference: p.Reference, PledgeFen: p.AmountFen,
		OrgID: p.OrgID, OrgPublicID: p.OrgPublicID, Channel: channel, OutRefundNo: newOutRefundNo(p.Reference), AmountFen: amount,
		Reason: reason, Status: RefundPending, JournalTx: txID, CreatedAt: now, UpdatedAt: now, NextAttemptAt: &now}
	if reason != "" {
		ct, kid, err := s.Cipher.Seal([]byte(reason), []byte("refund:"+r.PublicID))
		if err != nil {
			return nil, err
		}
		r.ReasonCT, r.ReasonKID = ct, kid
	}
	return r, nil
}

// owedRefund records, in the transaction that posted it (txID), the refund
// of amount of a pledge that the donor's choice (or its default) decided
// for money of an ended need: sent through the pledge's channel, or paid
// by a bank transfer staff record.
func (s *Service) owedRefund(tx Tx, p *Pledge, amount int64, txID string, now time.Time) error {
	rt, err := refundTx(tx)
	if err != nil {
		return err
	}
	r, err := s.newRefund(p, RefundChannelOf(p), amount, "", txID, now)
	if err != nil {
		return err
	}
	return rt.InsertRefund(r)
}

// refundPart posts the refund of amount of a pledge (locked) that is not
// its whole donation: from the fund or project, or from the need's lot of
// the gift while it is not paid out. last: nothing of the pledge is left
// after it. It returns the transaction's public id.
func (s *Service) refundPart(tx Tx, p *Pledge, amount int64, last bool, actor string, now time.Time) (string, error) {
	matches, err := tx.MatchesOf(p.ID)
	if err != nil {
		return "", err
	}
	if len(matches) > 0 {
		return "", kernel.Refuse(kernel.ErrConflict, "refusal_refund_part_matched", nil, "a pledge that drew matching gifts is refunded whole")
	}
	switch _, err := tx.LastRedirect(p.ID); {
	case err == nil:
		return "", kernel.Refuse(kernel.ErrConflict, "refusal_refund_part_choice", nil, "a pledge whose need ended is refunded through the donor's choice, or whole")
	case !errors.Is(err, kernel.ErrNotFound):
		return "", err
	}
	donations := OrgAccount(AccountDonations, p.OrgPublicID)
	jt := &JournalTx{PublicID: s.NewID(), Kind: TxRefund, RefType: "pledge", RefID: p.PublicID, At: now, Memo: "part of the donation"}
	var need *NeedState
	var lot *Lot
	switch p.TargetType {
	case TargetFund:
		jt.Entries = transfer(Account{AccountFund, p.TargetPublicID}, donations, amount)
	case TargetProject:
		jt.Entries = transfer(Account{AccountProject, p.TargetPublicID}, donations, amount)
	case TargetNeed:
		if need, err = tx.LockNeedByID(p.NeedID); err != nil {
			return "", err
		}
		lot, err = pledgeLot(tx, need.ID, LotGift, p.ID)
		if errors.Is(err, kernel.ErrNotFound) || (err == nil && lot.Unpaid() < amount) {
			return "", kernel.Refuse(ErrInsufficientFunds, "refusal_refund_disbursed", nil, "the need has already disbursed this money")
		}
		if err != nil {
			return "", err
		}
		jt.Entries = transfer(NeedAccount(need.PublicID), donations, amount)
	default:
		return "", fmt.Errorf("funds: refund: pledge target %q", p.TargetType)
	}
	if err := tx.Post(jt); err != nil {
		return "", err
	}
	if need != nil {
		lot.AmountFen -= amount
		if err := tx.UpdateLot(lot); err != nil {
			return "", err
		}
		need.FundedFen -= amount
		if err := s.saveNeed(tx, need, actor, p.PublicID, now); err != nil {
			return "", err
		}
		if err := tx.InsertDisclosure(s.disclosure(DiscloseRefund, need, -amount, "donation", "", p.OrgName, p.PublicID, now)); err != nil {
			return "", err
		}
	}
	if last {
		p.Status, p.RefundedAt = PledgeRefunded, &now
		if err := tx.UpdatePledge(p); err != nil {
			return "", err
		}
		if err := tx.VoidReceipt(p.ID, now); err != nil {
			return "", err
		}
	}
	return jt.PublicID, nil
}

// openReason fills r.Reason from its sealed form.
func (s *Service) openReason(r *Refund) {
	if len(r.ReasonCT) == 0 || r.Reason != "" {
		return
	}
	if b, err := s.Cipher.Open(r.ReasonCT, r.ReasonKID, []byte("refund:"+r.PublicID)); err == nil {
		r.Reason = string(b)
	}
}

// Refunds lists a pledge's refunds to its donor and to staff of the
// receiving organization (MaySeePledge); ErrNotFound to anyone else.
func (s *Service) Refunds(ctx context.Context, by *kernel.Principal, pledgeID string) ([]Refund, error) {
	p, err := s.Pledge(ctx, by, pledgeID)
	if err != nil {
		return nil, err
	}
	rs, err := s.refundStore()
	if err != nil {
		return nil, err
	}
	out, err := rs.PledgeRefunds(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		s.openReason(&out[i])
	}
	return out, nil
}

// StaffRefund returns a refund to staff of the pledge's receiving
// organization; ErrNotFound to anyone else.
func (s *Service) StaffRefund(ctx context.Context, by *kernel.Principal, refundID string) (*Refund, error) {
	rs, err := s.refundStore()
	if err != nil {
		return nil, err
	}
	r, err := rs.Refund(ctx, refundID)
	if err != nil {
		return nil, err
	}
	if !staffOf(by, r.OrgID) {
		return nil, fmt.Errorf("funds: refund: %w", kernel.ErrNotFound)
	}
	s.openReason(r)
	return r, nil
}

// RefundByOutNo returns the refund a provider names by its number; ErrNotFound.
func (s *Service) RefundByOutNo(ctx context.Context, outRefundNo string) (*Refund, error) {
	rs, err := s.refundStore()
	if err != nil {
		return nil, err
	}
	r, err := rs.RefundByOutNo(ctx, outRefundNo)
	if err != nil {
		return nil, err
	}
	s.openReason(r)
	return r, nil
}

// RefundOutcome is what a provider said of a refund.
type RefundOutcome struct {
	Status           RefundStatus
	ProviderRefundID string
	// Error is the provider's message of a failure.
	Error string
	// Retry: the request failed in a way that may pass (the network, the
	// provider's own trouble); it stays pending and is sent again later.
	Retry bool
}

// refundBackoff is how long a refund waits before it is sent again after
// its attempt-th failure that may pass: a minute, doubling, at most an hour.
func refundBackoff(attempt int) time.Duration {
	d := time.Minute
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// SetRefundOutcome records what the provider said of a refund (its answer
// or its notification), idempotently: a refund that succeeded stays so,
// whatever comes after, and the same word twice changes nothing.
func (s *Service) SetRefundOutcome(ctx context.Context, refundID string, o RefundOutcome) (*Refund, error) {
	rs, err := s.refundStore()
	if err != nil {
		return nil, err
	}
	for range 5 {
		r, err := rs.Refund(ctx, refundID)
		if err != nil {
			return nil, err
		}
		if r.Status == RefundSucceeded {
			return r, nil
		}
		from, now := r.Status, s.now()
		if o.ProviderRefundID != "" {
			r.ProviderRefundID = o.ProviderRefundID
		}
		switch {
		case o.Retry:
			if r.Status != RefundPending {
				return r, nil
			}
			r.Attempts++
			next := now.Add(refundBackoff(r.Attempts))
			r.NextAttemptAt, r.Error = &next, clip(o.Error, 500)
		case o.Status == RefundSucceeded:
			r.Status, r.SucceededAt, r.Error = RefundSucceeded, &now, ""
			r.NextAttemptAt = nil
		case o.Status == RefundProcessing:
			if r.Status == RefundProcessing {
				return r, nil
			}
			r.Status, r.Error, r.NextAttemptAt = RefundProcessing, "", nil
			r.Attempts++
		case o.Status == RefundFailed:
			if r.Status == RefundFailed {
				return r, nil
			}
			r.Status, r.Error, r.NextAttemptAt = RefundFailed, clip(o.Error, 500), nil
		default:
			return nil, fmt.Errorf("funds: refund outcome %q", o.Status)
		}
		r.UpdatedAt = now
		ok, err := rs.UpdateRefund(ctx, r, from)
		if err != nil {
			return nil, err
		}
		if ok {
			s.openReason(r)
			return r, nil
		}
	}
	return nil, fmt.Errorf("funds: refund %s keeps changing: %w", refundID, kernel.ErrConflict)
}

// MarkRefundPaid records, for staff of the receiving organization, that
// the refund was paid by a transfer made by hand, with its reference: a
// bank refund waiting for it, or a channel refund the provider failed.
// ErrNotFound, ErrConflict (done, or still with the provider),
// ValidationError.
func (s *Service) MarkRefundPaid(ctx context.Context, by *kernel.Principal, refundID, bankReference string) (*Refund, error) {
	r, err := s.StaffRefund(ctx, by, refundID)
	if err != nil {
		return nil, err
	}
	v := &kernel.ValidationError{}
	bankReference = strings.TrimSpace(bankReference)
	checkBankReference(v, bankReference)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !(r.Status == RefundFailed || (r.Channel == RefundBank && r.Status == RefundPending)) {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_refund_not_open", map[string]any{"Status": "refund_" + string(r.Status)}, "the refund is %s", r.Status)
	}
	rs, err := s.refundStore()
	if err != nil {
		return nil, err
	}
	from, now := r.Status, s.now()
	r.Status, r.BankReference, r.SucceededAt, r.UpdatedAt, r.NextAttemptAt = RefundSucceeded, bankReference, &now, now, nil
	ok, err := rs.UpdateRefund(ctx, r, from)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_refund_changed", nil, "the refund changed meanwhile; reload it")
	}
	return r, nil
}

// RetryRefund sends a failed channel refund again, under a new number
// (staff of the receiving organization). ErrNotFound, ErrConflict.
func (s *Service) RetryRefund(ctx context.Context, by *kernel.Principal, refundID string) (*Refund, error) {
	r, err := s.StaffRefund(ctx, by, refundID)
	if err != nil {
		return nil, err
	}
	if r.Status != RefundFailed || r.Channel == RefundBank {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_refund_not_failed", map[string]any{"Status": "refund_" + string(r.Status)}, "only a failed channel refund is sent again; this one is %s", r.Status)
	}
	rs, err := s.refundStore()
	if err != nil {
		return nil, err
	}
	now := s.now()
	r.Status, r.OutRefundNo, r.Error, r.Attempts, r.UpdatedAt, r.NextAttemptAt = RefundPending, newOutRefundNo(r.PledgeReference), "", 0, now, &now
	ok, err := rs.UpdateRefund(ctx, r, RefundFailed)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_refund_changed", nil, "the refund changed meanwhile; reload it")
	}
	return r, nil
}

// DueRefunds lists up to limit channel refunds to send now, or to ask the
// provider about (processing for more than ten minutes).
func (s *Service) DueRefunds(ctx context.Context, limit int) ([]Refund, error) {
	rs, err := s.refundStore()
	if err != nil {
		return nil, err
	}
	now := s.now()
	out, err := rs.DueRefunds(ctx, now, now.Add(-10*time.Minute), clampLimit(limit))
	if err != nil {
		return nil, err
	}
	for i := range out {
		s.openReason(&out[i])
	}
	return out, nil
}

// OpenRefunds lists, for federation staff, up to limit (at most 500)
// refunds of their organizations not done yet: bank refunds to transfer,
// channel refunds on their way or failed. ErrForbidden for anyone else.
func (s *Service) OpenRefunds(ctx context.Context, by *kernel.Principal, limit int) ([]Refund, error) {
	var ids []int64
	for _, o := range by.OrgsWith(kernel.RoleFederationStaff) {
		ids = append(ids, o.ID)
	}
	if len(ids) == 0 {
		return nil, kernel.ErrForbidden
	}
	rs, err := s.refundStore()
	if err != nil {
		return nil, err
	}
	out, err := rs.OpenRefunds(ctx, ids, clampLimit(limit))
	if err != nil {
		return nil, err
	}
	for i := range out {
		s.openReason(&out[i])
	}
	return out, nil
}

// PledgePayment returns the provider's transaction id that paid a pledge
// (row id) through channel via, or "" when none is recorded.
func (s *Service) PledgePayment(ctx context.Context, pledgeID int64, via ConfirmVia) (string, error) {
	rs, err := s.refundStore()
	if err != nil {
		return "", err
	}
	ids, err := rs.PledgePayments(ctx, pledgeID)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		if txn, ok := strings.CutPrefix(id, string(via)+":"); ok {
			return txn, nil
		}
	}
	return "", nil
}
