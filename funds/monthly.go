package funds

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// The month of a monthly pledge (月捐) after RunRecurring made its pledge:
// the donor is reminded with a one-tap pay link, or, when the donor signed
// an agreement with a provider (微信支付委托代扣, 支付宝周期扣款), the month
// is charged through it (Charger) and the provider's payment notification
// confirms the pledge like any other. DispatchMonths does this once per
// month however many instances run it and whatever stops them: each month
// is leased, done at most once, and taken up again after a crash.

// GiftEvent is a notification for a donor about their monthly gift. The
// notification outbox (another part of issue 18) delivers it in-app, by
// e-mail or SMS as the donor chose; Key de-duplicates, so that an event
// written twice (a dispatcher that stopped before recording it) reaches
// the donor once.
type GiftEvent struct {
	// Kind is EventMonthlyGiftDue or EventMonthlyGiftChargeFailed.
	Kind string
	// Key is unique per event: the kind and the month's pledge.
	Key string
	// DonorID and DonorPublicID name the recipient.
	DonorID       int64
	DonorPublicID string
	// RecurringID is the monthly pledge, Period its month (YYYY-MM).
	RecurringID string
	Period      string
	// PledgeID, Reference and AmountFen are the month's pledge.
	PledgeID  string
	Reference string
	AmountFen int64
	// OrgName is the receiving charity.
	OrgName string
	// PayPath is the one-tap pay link's path on this site (the sender adds
	// the site's address), valid until ExpiresAt and only for the donor
	// signed in.
	PayPath   string
	ExpiresAt time.Time
	At        time.Time
}

// Kinds of GiftEvent.
const (
	// EventMonthlyGiftDue: the month's pledge is waiting for the donor to pay.
	EventMonthlyGiftDue = "monthly_gift_due"
	// EventMonthlyGiftChargeFailed: charging through the agreement failed;
	// the donor may pay by the link.
	EventMonthlyGiftChargeFailed = "monthly_gift_charge_failed"
)

// Notifier writes notification events for the outbox to deliver. An
// implementation must be idempotent per GiftEvent.Key and quick: it writes
// the event, it does not deliver it.
type Notifier interface {
	Notify(ctx context.Context, e GiftEvent) error
}

// NoNotifier records nothing: the default until the notification outbox is
// wired in. Donors then learn of each month on "my giving" only.
type NoNotifier struct{}

// Notify implements Notifier by doing nothing.
func (NoNotifier) Notify(context.Context, GiftEvent) error { return nil }

// ChargeRequest asks a provider to take a month's pledge through the
// donor's agreement.
type ChargeRequest struct {
	// Channel is ChannelWeChatPay or ChannelAlipay; AgreementID the
	// provider's contract id (委托代扣协议号, 周期扣款协议号).
	Channel     string
	AgreementID string
	// OrderNo is the merchant order number to charge under: the pledge's
	// reference, which reconciliation matches. It is also the idempotency
	// key: the same month asked twice must be charged once.
	OrderNo   string
	PledgeID  string
	AmountFen int64
	Period    string
	// OrgPublicID names the receiving charity, whose merchant credentials
	// charge it.
	OrgPublicID string
}

// Charger takes a month's pledge through a provider agreement. It only
// asks: the money counts when the provider's payment notification confirms
// the pledge (ViaNotification). Charge returns nil when the provider
// accepted the request (or had accepted it before: OrderNo repeats), and
// an error when it refused or could not be asked; the donor is then
// reminded to pay by the link. The project cannot test a provider's
// agreement payments (they need a signed contract), so no implementation
// ships here: see docs/monthly-gifts.md for what one must do.
type Charger interface {
	Charge(ctx context.Context, r ChargeRequest) error
}

// Charge states of a month.
const (
	ChargeNone      = ""
	ChargeRequested = "requested"
	ChargeFailed    = "failed"
)

// Month is a month of a monthly pledge to dispatch.
type Month struct {
	RecurringID int64
	Period      string
	// ChargeState is what charging did so far.
	ChargeState string
}

// monthLease is how long a dispatcher holds a month before another may
// take it up (it stopped).
const monthLease = 10 * time.Minute

// DispatchMonths reminds the donor of, or charges, every month whose pledge
// was made and not dispatched yet. A month whose pledge was paid or expired
// meanwhile is closed without a reminder. It returns how many months it
// closed; an error of one month stops the run (the month is taken up again
// when its lease ends).
func (s *Service) DispatchMonths(ctx context.Context) (int, error) {
	done := 0
	for {
		now := s.now()
		ms, err := s.Store.UndispatchedMonths(ctx, now.Add(-monthLease), 100)
		if err != nil {
			return done, err
		}
		for _, m := range ms {
			ok, err := s.dispatchMonth(ctx, m)
			if err != nil {
				return done, fmt.Errorf("funds: monthly pledge %d %s: %w", m.RecurringID, m.Period, err)
			}
			if ok {
				done++
			}
		}
		if len(ms) < 100 {
			return done, nil
		}
	}
}

// dispatchMonth dispatches one month if it can take its lease.
func (s *Service) dispatchMonth(ctx context.Context, m Month) (bool, error) {
	now := s.now()
	ok, err := s.Store.ClaimMonth(ctx, m, now, now.Add(-monthLease))
	if err != nil || !ok {
		return false, err
	}
	r, p, err := s.Store.MonthPledge(ctx, m)
	if err != nil {
		return false, err
	}
	if p.Status != PledgePending || !now.Before(p.ExpiresAt) || r.Status == RecurringCancelled {
		// Paid (or stopped, or too late) before anyone was told.
		return true, s.Store.FinishMonth(ctx, m, m.ChargeState, now)
	}
	kind := EventMonthlyGiftDue
	if r.AgreementID != "" && s.Charger != nil && m.ChargeState == ChargeNone {
		err := s.Charger.Charge(ctx, ChargeRequest{Channel: r.AgreementChannel, AgreementID: r.AgreementID, OrderNo: p.Reference,
			PledgeID: p.PublicID, AmountFen: p.AmountFen, Period: m.Period, OrgPublicID: p.OrgPublicID})
		if err == nil {
			return true, s.Store.FinishMonth(ctx, m, ChargeRequested, now)
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		// Recorded before the reminder: a reminder that fails is sent
		// again, the charge is not asked again.
		m.ChargeState = ChargeFailed
		if err := s.Store.SetChargeState(ctx, m, ChargeFailed); err != nil {
			return false, err
		}
	}
	if m.ChargeState == ChargeFailed {
		kind = EventMonthlyGiftChargeFailed
	}
	n := s.Notifier
	if n == nil {
		n = NoNotifier{}
	}
	e := GiftEvent{Kind: kind, Key: kind + ":" + p.PublicID, DonorID: p.DonorID, DonorPublicID: p.DonorPublicID,
		RecurringID: r.PublicID, Period: m.Period, PledgeID: p.PublicID, Reference: p.Reference, AmountFen: p.AmountFen,
		OrgName: p.OrgName, PayPath: s.PayLink(p), ExpiresAt: p.ExpiresAt, At: now}
	if err := n.Notify(ctx, e); err != nil {
		return false, fmt.Errorf("notify: %w", err)
	}
	return true, s.Store.FinishMonth(ctx, m, m.ChargeState, now)
}

// SetRecurringAgreement records the provider agreement a donor signed for a
// monthly pledge (channel ChannelWeChatPay or ChannelAlipay), or removes it
// (channel ""). It is for the provider's signing notification, which
// another part of issue 18 receives; nothing here signs an agreement.
// ValidationError, ErrNotFound.
func (s *Service) SetRecurringAgreement(ctx context.Context, recurringPublicID, channel, agreementID string) error {
	switch {
	case channel == "" && agreementID == "":
	case (channel == ChannelWeChatPay || channel == ChannelAlipay) && agreementID != "" && len(agreementID) <= 64:
	default:
		return kernel.Invalid("agreement", "want wechatpay or alipay and an agreement id of at most 64 characters")
	}
	return s.Store.SetRecurringAgreement(ctx, recurringPublicID, channel, agreementID, s.now())
}

// ---- one-tap pay links

// payLinkPrefix is the path of a pay link (web serves it).
const payLinkPrefix = "/my/pay/"

// ErrPayLinkExpired is a pay link used after its pledge expired.
var ErrPayLinkExpired = errors.New("funds: the pay link expired")

// newPayLinkKey makes a key for a service whose configuration gives none:
// links then last as long as the process.
func newPayLinkKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err)
	}
	return k
}

func (s *Service) payLinkMAC(donorPublicID, payload string) string {
	m := hmac.New(sha256.New, s.PayLinkKey)
	m.Write([]byte("jiujinan pay link\x00"))
	m.Write([]byte(donorPublicID))
	m.Write([]byte{0})
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// PayLink is the path of the one-tap link to pay pledge p: signed for its
// donor with PayLinkKey, valid until the pledge expires. It leads, for the
// donor signed in, to the pledge's page, where the channels are offered.
func (s *Service) PayLink(p *Pledge) string {
	payload := p.PublicID + "." + strconv.FormatInt(p.ExpiresAt.Unix(), 36)
	return payLinkPrefix + payload + "." + s.payLinkMAC(p.DonorPublicID, payload)
}

// OpenPayLink checks a pay link's token (the path after /my/pay/) for the
// donor signed in and returns its pledge. ErrNotFound when the signature
// does not hold for this donor (another's link, a forged or damaged one),
// ErrPayLinkExpired after the pledge's time.
func (s *Service) OpenPayLink(ctx context.Context, by *kernel.Principal, token string) (*Pledge, error) {
	parts := strings.Split(token, ".")
	if by == nil || len(parts) != 3 || len(token) > 128 {
		return nil, kernel.ErrNotFound
	}
	payload := parts[0] + "." + parts[1]
	if !hmac.Equal([]byte(s.payLinkMAC(by.User.PublicID, payload)), []byte(parts[2])) {
		return nil, kernel.ErrNotFound
	}
	exp, err := strconv.ParseInt(parts[1], 36, 64)
	if err != nil {
		return nil, kernel.ErrNotFound
	}
	if !s.now().Before(time.Unix(exp, 0)) {
		return nil, ErrPayLinkExpired
	}
	return s.Pledge(ctx, by, parts[0])
}

// ---- a month's state, as the donor reads it

// Month states of a monthly pledge's month (RecurringRun.State).
const (
	MonthPaid     = "paid"
	MonthWaiting  = "waiting"
	MonthCharging = "charging"
	MonthMissed   = "missed"
	MonthSkipped  = "skipped"
	MonthRefunded = "refunded"
)

// monthState says where a month is at now.
func monthState(r *RecurringRun, now time.Time) string {
	switch {
	case r.PledgeID == "":
		return MonthSkipped
	case r.PledgeStatus == PledgeConfirmed:
		return MonthPaid
	case r.PledgeStatus == PledgeRefunded:
		return MonthRefunded
	case r.PledgeStatus == PledgePending && now.Before(r.PledgeExpiresAt):
		if r.ChargeState == ChargeRequested {
			return MonthCharging
		}
		return MonthWaiting
	}
	return MonthMissed
}
