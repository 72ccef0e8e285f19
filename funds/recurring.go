package funds

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
)

// RecurringStatus is where a monthly pledge is.
type RecurringStatus string

const (
	RecurringActive    RecurringStatus = "active"
	RecurringPaused    RecurringStatus = "paused"
	RecurringCancelled RecurringStatus = "cancelled"
)

// RunOutcome is what one month of a recurring pledge did.
type RunOutcome string

const (
	// RunPledged: the month's pledge went to the chosen target.
	RunPledged RunOutcome = "pledged"
	// RunFallback: the target could not take it; it went to the fallback fund.
	RunFallback RunOutcome = "fallback"
	// RunSkipped: neither the target nor a fallback could take it.
	RunSkipped RunOutcome = "skipped"
)

// Recurring is a donor's monthly pledge (月捐): each month, on DayOfMonth
// (China time), the service creates that month's pledge, which the donor
// pays and the organization confirms like any pledge.
type Recurring struct {
	ID             int64
	PublicID       string
	DonorID        int64
	TargetType     TargetType
	SourceID       int64
	NeedID         int64
	TargetPublicID string
	// FallbackSourceID is the fund a month's pledge goes to when a target
	// need cannot take it (closed, funded, ended); 0: the month is skipped.
	FallbackSourceID int64
	FallbackPublicID string
	AmountFen        int64
	DayOfMonth       int
	Status           RecurringStatus
	// AgreementChannel and AgreementID are the provider agreement the donor
	// signed to have each month charged (SetRecurringAgreement); empty: the
	// donor is reminded to pay each month.
	AgreementChannel string
	AgreementID      string
	// NextAt is when the next month's pledge is due.
	NextAt    time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	// Runs are the latest months, newest first (when read for the donor).
	Runs []RecurringRun
}

// RecurringRun is one month of a recurring pledge.
type RecurringRun struct {
	Period   string     `json:"period"` // YYYY-MM, China time
	Outcome  RunOutcome `json:"outcome"`
	PledgeID string     `json:"pledge_id,omitempty"`
	Reason   string     `json:"reason,omitempty"`
	// ReasonCode says why a month was skipped or fell back, for pages to
	// word (Skip* codes); "" for months made before it was recorded.
	ReasonCode string    `json:"reason_code,omitempty"`
	At         time.Time `json:"at"`
	// State is where the month is for the donor (Month*: paid, waiting,
	// charging, missed, skipped, refunded), when read for the donor.
	State string `json:"state,omitempty"`
	// The month's pledge and charge, which State is read from.
	PledgeStatus    PledgeStatus `json:"-"`
	PledgeExpiresAt time.Time    `json:"-"`
	ChargeState     string       `json:"-"`
}

// Codes of why a month's pledge did not go to the target (ReasonCode).
const (
	SkipNeedNotPublic  = "need_not_public"
	SkipNeedEnded      = "need_ended"
	SkipNeedRestricted = "need_restricted"
	SkipNeedFunded     = "need_funded"
	SkipNeedShort      = "need_short"
	SkipScreening      = "screening_blocks"
	SkipNoReceiver     = "no_receiver"
	SkipSourceClosed   = "source_closed"
)

// NewRecurring is a donor's request for a monthly pledge.
type NewRecurring struct {
	TargetType TargetType
	TargetID   string
	AmountFen  int64
	// DayOfMonth is 1 to 28, so that every month has it.
	DayOfMonth int
	// FallbackFundID is an optional fund for months the target need cannot take.
	FallbackFundID string
}

// periodOf is the month (China time) a due time belongs to.
func periodOf(t time.Time) string { return t.In(kernel.ChinaTime).Format("2006-01") }

// dueIn is day of the month of t (China time) at midnight, in UTC.
func dueIn(t time.Time, day int) time.Time {
	c := t.In(kernel.ChinaTime)
	return time.Date(c.Year(), c.Month(), day, 0, 0, 0, 0, kernel.ChinaTime).UTC()
}

// firstDue is the first due time on or after now's day: today when today is
// the day, else this month's day if still ahead, else next month's.
func firstDue(day int, now time.Time) time.Time {
	d := dueIn(now, day)
	if now.In(kernel.ChinaTime).Day() > day {
		d = dueIn(now.In(kernel.ChinaTime).AddDate(0, 0, 1-now.In(kernel.ChinaTime).Day()).AddDate(0, 1, 0), day)
	}
	return d
}

// latestDue is the latest due time at or before now.
func latestDue(day int, now time.Time) time.Time {
	d := dueIn(now, day)
	if d.After(now) {
		first := now.In(kernel.ChinaTime).AddDate(0, 0, 1-now.In(kernel.ChinaTime).Day())
		d = dueIn(first.AddDate(0, -1, 0), day)
	}
	return d
}

// nextDue is the due time a month after due.
func nextDue(due time.Time, day int) time.Time {
	c := due.In(kernel.ChinaTime)
	first := time.Date(c.Year(), c.Month(), 1, 0, 0, 0, 0, kernel.ChinaTime)
	return dueIn(first.AddDate(0, 1, 0), day)
}

// CreateRecurring records a donor's monthly pledge to a need, a project or
// a fund, with an optional fallback fund for months a need cannot take the
// money. The first month is due on the next DayOfMonth (today when today is
// that day). ValidationError, ErrForbidden, ErrNotFound, IneligibleError.
func (s *Service) CreateRecurring(ctx context.Context, by *kernel.Principal, n NewRecurring, idem *Idem) (*Recurring, error) {
	v, err := checkGift(by, n.TargetType, n.TargetID, n.AmountFen)
	if err != nil {
		return nil, err
	}
	if n.DayOfMonth < 1 || n.DayOfMonth > 28 {
		v.Add("day_of_month", "must be between 1 and 28")
	}
	if len(n.FallbackFundID) > 32 {
		v.Add("fallback_fund_id", "is not a fund id")
	}
	if n.FallbackFundID != "" && n.FallbackFundID == n.TargetID {
		v.Add("fallback_fund_id", "must differ from the target")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	r := &Recurring{PublicID: s.NewID(), DonorID: by.User.ID, TargetType: n.TargetType, TargetPublicID: n.TargetID,
		AmountFen: n.AmountFen, DayOfMonth: n.DayOfMonth, Status: RecurringActive, NextAt: firstDue(n.DayOfMonth, now),
		CreatedAt: now, UpdatedAt: now}
	if n.TargetType == TargetNeed {
		need, err := s.Store.Need(ctx, n.TargetID)
		if err != nil {
			return nil, err
		}
		if !need.ConsentPublic || !need.Published {
			return nil, kernel.ErrNotFound
		}
		if err := need.ObjectionHold(); err != nil {
			return nil, err
		}
		if fails := (kernel.Restrictions{}).Fails(need.Facts(now), 0); len(fails) > 0 {
			return nil, &IneligibleError{Reasons: fails}
		}
		if why := need.EndReason(now); why != "" {
			return nil, ineligible("need_ended", nil, "the need has ended (%s)", why)
		}
		if n.AmountFen > need.Remaining() {
			return nil, ineligible("over_remaining", map[string]any{"RemainingFen": need.Remaining()}, "the need lacks only %d fen", need.Remaining())
		}
		r.NeedID = need.ID
	} else {
		src, err := s.Source(ctx, SourceKind(n.TargetType), n.TargetID)
		if err != nil {
			return nil, err
		}
		if !src.Running(now) {
			return nil, ineligible("source_closed", nil, "this %s takes no donations now", src.Kind)
		}
		r.SourceID = src.ID
	}
	if n.FallbackFundID != "" {
		fb, err := s.Source(ctx, KindFund, n.FallbackFundID)
		if errors.Is(err, kernel.ErrNotFound) {
			return nil, kernel.Invalid("fallback_fund_id", "no fund has this id")
		}
		if err != nil {
			return nil, err
		}
		if !fb.Running(now) {
			return nil, ineligible("source_closed", nil, "the fallback fund takes no donations now")
		}
		r.FallbackSourceID, r.FallbackPublicID = fb.ID, fb.PublicID
	}
	err = s.Store.InTx(ctx, func(tx Tx) error {
		if err := tx.InsertRecurring(r); err != nil {
			return err
		}
		return s.finishIdem(tx, by, idem, r)
	})
	if err != nil {
		return nil, fmt.Errorf("funds: recurring pledge: %w", err)
	}
	r.Runs = []RecurringRun{}
	return r, nil
}

// MyRecurring lists the donor's monthly pledges with their latest months,
// each month with its state.
func (s *Service) MyRecurring(ctx context.Context, by *kernel.Principal) ([]Recurring, error) {
	rs, err := s.Store.DonorRecurring(ctx, by.User.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i := range rs {
		for j := range rs[i].Runs {
			rs[i].Runs[j].State = monthState(&rs[i].Runs[j], now)
		}
	}
	return rs, nil
}

// SetRecurringStatus pauses, resumes or cancels a donor's own monthly
// pledge. Resuming does not catch up on the months it was paused: the next
// month due is the next DayOfMonth. A cancelled pledge stays cancelled.
// ValidationError, ErrNotFound (not the caller's), ErrConflict.
func (s *Service) SetRecurringStatus(ctx context.Context, by *kernel.Principal, publicID string, status RecurringStatus) (*Recurring, error) {
	switch status {
	case RecurringActive, RecurringPaused, RecurringCancelled:
	default:
		return nil, kernel.Invalid("status", "must be active, paused or cancelled")
	}
	var out *Recurring
	err := s.Store.InTx(ctx, func(tx Tx) error {
		now := s.now()
		r, err := tx.LockRecurring(publicID)
		if err != nil {
			return err
		}
		if r.DonorID != by.User.ID {
			return kernel.ErrNotFound
		}
		out = r
		switch {
		case r.Status == status:
			return nil
		case r.Status == RecurringCancelled:
			return kernel.Refuse(kernel.ErrConflict, "refusal_recurring_cancelled", nil, "the monthly pledge is cancelled; create a new one")
		}
		if status == RecurringActive {
			r.NextAt = firstDue(r.DayOfMonth, now)
		}
		r.Status, r.UpdatedAt = status, now
		return tx.UpdateRecurring(r)
	})
	if err != nil {
		return nil, fmt.Errorf("funds: recurring pledge: %w", err)
	}
	return out, nil
}

// RunRecurring creates the pledges of every monthly pledge that is due:
// one per month and recurring pledge, however many generators run at once
// or how often (the month's row is the guard, written in the transaction
// of the pledge). Months missed while the generator did not run are not
// caught up: the latest due month is the one generated. It returns how
// many months it handled (pledged, fallen back or skipped).
func (s *Service) RunRecurring(ctx context.Context) (int, error) {
	done := 0
	for {
		ids, err := s.Store.DueRecurring(ctx, s.now(), 200)
		if err != nil {
			return done, err
		}
		progressed := false
		for _, id := range ids {
			ok, err := s.runRecurring(ctx, id)
			if err != nil {
				return done, err
			}
			if ok {
				done++
				progressed = true
			}
		}
		if len(ids) < 200 || !progressed {
			return done, nil
		}
	}
}

// runRecurring generates one due month of one recurring pledge.
func (s *Service) runRecurring(ctx context.Context, publicID string) (bool, error) {
	pre, err := s.Store.Recurring(ctx, publicID)
	if err != nil {
		return false, err
	}
	// Read outside the transaction: the receiving organization of a need
	// and the sources (they change rarely; the checks that matter are redone
	// under the locks).
	var needOrg struct {
		id       int64
		publicID string
		name     string
		err      error
	}
	if pre.NeedID != 0 {
		n, err := s.Store.Need(ctx, pre.TargetPublicID)
		if err != nil {
			return false, err
		}
		needOrg.id, needOrg.publicID, needOrg.name, needOrg.err = s.Store.ReceivingOrg(ctx, n.RegionCode)
		if needOrg.err != nil && !errors.Is(needOrg.err, kernel.ErrNotFound) {
			return false, needOrg.err
		}
	}
	// The month's gift to a need is screened like any gift when it is
	// pledged: one screening blocks would send it to the fallback.
	blocked, blockedCode := "", ""
	if pre.NeedID != 0 && s.Screener != nil {
		scr, err := s.Screener.Screen(ctx, pre.TargetPublicID, kernel.StageGift, pre.AmountFen)
		if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			return false, fmt.Errorf("funds: monthly pledge: screening: %w", err)
		}
		if err == nil && scr.Result == kernel.ScreenBlock {
			blocked = "screening blocks a gift of this amount to the need (the person's charity money would exceed its limit, or the need is stopped for review)"
			blockedCode = SkipScreening
		}
	}
	ran := false
	err = s.Store.InTx(ctx, func(tx Tx) error {
		ran = false
		now := s.now()
		r, err := tx.LockRecurring(publicID)
		if err != nil {
			return err
		}
		if r.Status != RecurringActive || r.NextAt.After(now) {
			return nil
		}
		due := latestDue(r.DayOfMonth, now)
		period := periodOf(due)
		r.NextAt, r.UpdatedAt = nextDue(due, r.DayOfMonth), now
		if err := tx.UpdateRecurring(r); err != nil {
			return err
		}
		run := &RecurringRun{Period: period, At: now}
		if err := tx.InsertRecurringRun(r.ID, run, 0); errors.Is(err, kernel.ErrConflict) {
			// Already generated (a resume within the month): only the
			// next due time moves.
			return nil
		} else if err != nil {
			return err
		}
		ran = true
		p := &Pledge{PublicID: s.NewID(), Reference: newReference(), DonorID: r.DonorID, AmountFen: r.AmountFen,
			Status: PledgePending, RecurringID: r.ID, CreatedAt: now, ExpiresAt: now.Add(s.PledgeTTL)}
		reason, code := "", ""
		switch r.TargetType {
		case TargetNeed:
			need, err := tx.LockNeedByID(r.NeedID)
			if err != nil {
				return err
			}
			code, reason = needTakes(need, r.AmountFen, now)
			if reason == "" {
				code, reason = blockedCode, blocked
			}
			if reason == "" && needOrg.err != nil {
				code, reason = SkipNoReceiver, "no charity federation receives donations for the need's region"
			}
			if reason == "" {
				p.TargetType, p.NeedID, p.TargetPublicID = TargetNeed, need.ID, need.PublicID
				p.OrgID, p.OrgPublicID, p.OrgName = needOrg.id, needOrg.publicID, needOrg.name
			}
		default:
			src, err := tx.SourceByID(r.SourceID)
			if err != nil {
				return err
			}
			if !src.Running(now) {
				code, reason = SkipSourceClosed, fmt.Sprintf("the %s takes no donations now", src.Kind)
			} else {
				p.TargetType, p.SourceID, p.TargetPublicID = r.TargetType, src.ID, src.PublicID
				p.OrgID, p.OrgPublicID, p.OrgName = src.OrgID, src.OrgPublicID, src.OrgName
			}
		}
		run.Outcome = RunPledged
		if reason != "" {
			run.Reason, run.ReasonCode = reason, code
			run.Outcome = RunSkipped
			if r.FallbackSourceID != 0 {
				fb, err := tx.SourceByID(r.FallbackSourceID)
				if err != nil {
					return err
				}
				if fb.Running(now) {
					run.Outcome = RunFallback
					p.TargetType, p.SourceID, p.TargetPublicID = TargetFund, fb.ID, fb.PublicID
					p.OrgID, p.OrgPublicID, p.OrgName = fb.OrgID, fb.OrgPublicID, fb.OrgName
				} else {
					run.Reason += "; the fallback fund takes no donations now"
				}
			}
		}
		if run.Outcome == RunSkipped {
			if err := notify.Publish(ctx, tx, notify.MonthlyGiftFailed(r.PublicID, period, r.DonorID, r.AmountFen, now)); err != nil {
				return err
			}
		}
		var pledgeID int64
		if run.Outcome != RunSkipped {
			if err := tx.InsertPledge(p); err != nil {
				return err
			}
			pledgeID = p.ID
			run.PledgeID = p.PublicID
		}
		return tx.FinishRecurringRun(r.ID, run, pledgeID)
	})
	if err != nil {
		return false, fmt.Errorf("funds: recurring pledge %s: %w", publicID, err)
	}
	return ran, nil
}

// needTakes says why a need cannot take a pledge of amount now, as a Skip*
// code and in English ("" when it can).
func needTakes(need *NeedState, amount int64, now time.Time) (code, reason string) {
	if !need.ConsentPublic || !need.Published {
		return SkipNeedNotPublic, "the need is no longer public"
	}
	if why := need.EndReason(now); why != "" {
		return SkipNeedEnded, "the need has ended (" + why + ")"
	}
	if fails := (kernel.Restrictions{}).Fails(need.Facts(now), 0); len(fails) > 0 {
		return SkipNeedRestricted, fails[0].Message
	}
	if need.Remaining() < amount {
		if need.Remaining() == 0 {
			return SkipNeedFunded, "the need is fully funded"
		}
		return SkipNeedShort, fmt.Sprintf("the need lacks only %d fen", need.Remaining())
	}
	return "", ""
}
