package funds

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// DefaultRedirectWindow is how long donors have to choose before the
// default applies.
const DefaultRedirectWindow = 15 * 24 * time.Hour

// RedirectStatus is where a donor's choice is.
type RedirectStatus string

const (
	RedirectPending RedirectStatus = "pending"
	RedirectApplied RedirectStatus = "applied"
)

// RedirectAction is what a donor chose for money in an ended need.
type RedirectAction string

const (
	RedirectToNeed    RedirectAction = "need"
	RedirectToFund    RedirectAction = "fund"
	RedirectToProject RedirectAction = "project"
	RedirectRefund    RedirectAction = "refund"
)

// Decided by: the donor, or the default after the deadline.
const (
	DecidedByDonor   = "donor"
	DecidedByDefault = "default"
	// DecidedByStaff: the receiving organization refunded the whole pledge
	// while the donor's choice for its held money was pending.
	DecidedByStaff = "staff"
)

// Redirect is the choice a donor has for the money of one pledge that sits
// in a need which ended before it could use it (NeedState.EndReason): move
// it to another need or a fund or project of the same organization, or have
// it refunded. The whole of the pledge's money there moves together. After
// Deadline the default applies: the receiving organization's general fund
// (its oldest active fund without restrictions) when it has one, else a
// refund.
type Redirect struct {
	ID             int64
	PublicID       string
	PledgeID       int64
	PledgePublicID string
	DonorID        int64
	OrgID          int64
	OrgPublicID    string
	OrgName        string
	NeedID         int64
	NeedPublicID   string
	// Reason is why the need ended: withdrawn, closed or expired.
	Reason string
	// FromNeedFen is what sits in the need's committed account, FromHeldFen
	// what the organization held because the need could not take it.
	FromNeedFen    int64
	FromHeldFen    int64
	AmountFen      int64
	Deadline       time.Time
	Status         RedirectStatus
	Action         RedirectAction
	TargetID       int64 // need or source row
	TargetPublicID string
	DecidedBy      string
	CreatedAt      time.Time
	AppliedAt      *time.Time
	// DefaultAction and DefaultTargetID preview the default (when read for the donor).
	DefaultAction   RedirectAction
	DefaultTargetID string
}

// RedirectChoice is a donor's answer.
type RedirectChoice struct {
	Action   RedirectAction
	TargetID string
	// AmountFen, when given, must be the whole amount: money moves whole.
	AmountFen *int64
}

// OpenRedirects records a pending choice, with a deadline RedirectWindow
// ahead, for every confirmed pledge whose money sits in a need that has
// ended. It returns how many it opened. Running it twice opens nothing twice.
// It also returns to their fund or project the allocations not disbursed to
// needs that were withdrawn or closed (ReturnAllocations).
func (s *Service) OpenRedirects(ctx context.Context) (int, error) {
	if _, err := s.ReturnAllocations(ctx); err != nil {
		return 0, err
	}
	cands, err := s.Store.RedirectCandidates(ctx, s.now(), 500)
	if err != nil {
		return 0, err
	}
	opened := 0
	for _, c := range cands {
		ok, err := s.openRedirect(ctx, c)
		if err != nil {
			return opened, err
		}
		if ok {
			opened++
		}
	}
	return opened, nil
}

func (s *Service) openRedirect(ctx context.Context, c RedirectCandidate) (bool, error) {
	opened := false
	err := s.Store.InTx(ctx, func(tx Tx) error {
		opened = false
		now := s.now()
		p, err := tx.LockPledge(c.PledgeID)
		if err != nil {
			return err
		}
		need, err := tx.LockNeedByID(c.NeedID)
		if err != nil {
			return err
		}
		reason := need.EndReason(now)
		if reason == "" || p.Status != PledgeConfirmed || p.MatchedPledgeID != 0 {
			return nil
		}
		r := &Redirect{PublicID: s.NewID(), PledgeID: p.ID, PledgePublicID: p.PublicID, DonorID: p.DonorID, OrgID: p.OrgID,
			OrgPublicID: p.OrgPublicID, NeedID: need.ID, NeedPublicID: need.PublicID, Reason: reason,
			Deadline: now.Add(s.redirectWindow()), Status: RedirectPending, CreatedAt: now}
		// What of the donor's gift the need still holds and has not paid out.
		lots, err := tx.NeedLots(need.ID)
		if err != nil {
			return err
		}
		for i := range lots {
			if lots[i].Kind == LotGift && lots[i].PledgeID == p.ID {
				r.FromNeedFen += lots[i].Unpaid()
			}
		}
		r.AmountFen = r.FromNeedFen + r.FromHeldFen
		if r.AmountFen <= 0 {
			return nil
		}
		err = tx.InsertRedirect(r)
		if errors.Is(err, kernel.ErrConflict) {
			return nil
		}
		opened = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("funds: open choice: %w", err)
	}
	return opened, nil
}

func (s *Service) redirectWindow() time.Duration {
	if s.RedirectWindow > 0 {
		return s.RedirectWindow
	}
	return DefaultRedirectWindow
}

// redirectTarget is a resolved destination.
type redirectTarget struct {
	action   RedirectAction
	needID   int64
	sourceID string
}

// RedirectPledge applies the donor's answer to the open choice of their
// pledge: to an open, eligible need of the same receiving organization that
// still lacks the whole amount, to an active fund or project of that
// organization, or a refund. Answering again with the same answer returns
// the applied choice; with another, ErrConflict. ErrNotFound (not the
// caller's pledge, or no choice), ErrForbidden (staff), ValidationError,
// IneligibleError.
func (s *Service) RedirectPledge(ctx context.Context, by *kernel.Principal, pledgeID string, c RedirectChoice) (*Redirect, error) {
	v := &kernel.ValidationError{}
	switch c.Action {
	case RedirectToNeed, RedirectToFund, RedirectToProject:
		if c.TargetID == "" || len(c.TargetID) > 32 {
			v.Add("target_id", "is required")
		}
	case RedirectRefund:
		if c.TargetID != "" {
			v.Add("target_id", "must be empty for a refund")
		}
	default:
		v.Add("action", "must be need, fund, project or refund")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p, err := s.Store.Pledge(ctx, pledgeID)
	if err != nil {
		return nil, err
	}
	if p.DonorID != by.User.ID {
		if staffOf(by, p.OrgID) {
			return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_choice_donor_only", nil, "only the donor chooses where their money goes")
		}
		return nil, kernel.ErrNotFound
	}
	r, err := s.Store.LastRedirect(ctx, p.ID)
	if errors.Is(err, kernel.ErrNotFound) {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_choice_none_open", nil, "this pledge has no open choice")
	}
	if err != nil {
		return nil, err
	}
	if c.AmountFen != nil && *c.AmountFen != r.AmountFen {
		return nil, kernel.Invalid("amount_fen", "the whole %v moves together; omit amount_fen or send %d", kernel.Fen(r.AmountFen), r.AmountFen)
	}
	t := redirectTarget{action: c.Action}
	if r.Status == RedirectPending {
		switch c.Action {
		case RedirectToNeed:
			need, err := s.Store.Need(ctx, c.TargetID)
			if errors.Is(err, kernel.ErrNotFound) || (err == nil && (!need.ConsentPublic || !need.Published)) {
				return nil, kernel.Invalid("target_id", "no published need has this id")
			}
			if err != nil {
				return nil, err
			}
			if need.ID == r.NeedID {
				return nil, kernel.Invalid("target_id", "this is the need that ended")
			}
			orgID, _, _, err := s.Store.ReceivingOrg(ctx, need.RegionCode)
			if err != nil && !errors.Is(err, kernel.ErrNotFound) {
				return nil, err
			}
			if orgID != p.OrgID {
				return nil, ineligible("other_org", map[string]any{"Org": p.OrgName}, "the money was given to %s; it can move only to needs %s receives donations for", p.OrgName, p.OrgName)
			}
			t.needID = need.ID
		case RedirectToFund, RedirectToProject:
			src, err := s.Store.Source(ctx, c.TargetID)
			if errors.Is(err, kernel.ErrNotFound) || (err == nil && string(src.Kind) != string(c.Action)) {
				return nil, kernel.Invalid("target_id", "no %s has this id", c.Action)
			}
			if err != nil {
				return nil, err
			}
			if src.OrgID != p.OrgID {
				return nil, ineligible("other_org", map[string]any{"Org": p.OrgName}, "the money was given to %s; it can move only to its own funds and projects", p.OrgName)
			}
			t.sourceID = src.PublicID
		}
	}
	// Money moved into another need is a gift to it: screened like one,
	// and applied under the person's lock only while that screening holds.
	var room *giftRoom
	if t.action == RedirectToNeed {
		if room, err = s.screenGift(ctx, c.TargetID, r.AmountFen); err != nil {
			return nil, fmt.Errorf("funds: redirect pledge: %w", err)
		}
		if room.scr != nil && room.scr.Result == kernel.ScreenBlock {
			return nil, &kernel.ScreeningBlockedError{Stage: kernel.StageGift, Screening: room.scr}
		}
	}
	var out *Redirect
	for attempt := 1; ; attempt++ {
		out, err = s.redirectOnce(ctx, r, t, c, room)
		if !errors.Is(err, errPersonChanged) || attempt == allocateAttempts {
			break
		}
	}
	if errors.Is(err, errPersonChanged) {
		err = fmt.Errorf("%w: money for the same beneficiary kept moving; try again", kernel.ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("funds: redirect pledge: %w", err)
	}
	return out, nil
}

// redirectOnce is one attempt of RedirectPledge's transaction.
func (s *Service) redirectOnce(ctx context.Context, r *Redirect, t redirectTarget, c RedirectChoice, room *giftRoom) (*Redirect, error) {
	var out *Redirect
	err := s.Store.InTx(ctx, func(tx Tx) error {
		now := s.now()
		if room != nil {
			limit, err := room.lock(tx, c.TargetID)
			if err != nil {
				return err
			}
			if r.AmountFen > limit {
				return ineligible("over_limit", map[string]any{"RoomFen": limit}, "the person this need is for may take at most %d fen more of charity money", limit)
			}
		}
		cur, err := tx.LockRedirect(r.PublicID)
		if err != nil {
			return err
		}
		if cur.Status != RedirectPending {
			if cur.Action == c.Action && cur.DecidedBy == DecidedByDonor && cur.TargetPublicID == c.TargetID {
				out = cur
				return nil
			}
			return kernel.Refuse(kernel.ErrConflict, "refusal_choice_applied", nil, "this choice was already applied (%s by %s)", cur.Action, cur.DecidedBy)
		}
		if err := s.applyRedirect(tx, cur, t, DecidedByDonor, now); err != nil {
			return err
		}
		out = cur
		return nil
	})
	return out, err
}

// ApplyRedirectDefaults applies the default to every pending choice whose
// deadline passed: the receiving organization's general fund when it has
// one, else a refund. It returns how many it applied.
func (s *Service) ApplyRedirectDefaults(ctx context.Context) (int, error) {
	ids, err := s.Store.DueRedirects(ctx, s.now(), 500)
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, id := range ids {
		ok, err := s.applyDefault(ctx, id)
		if err != nil {
			return applied, err
		}
		if ok {
			applied++
		}
	}
	return applied, nil
}

func (s *Service) applyDefault(ctx context.Context, publicID string) (bool, error) {
	done := false
	err := s.Store.InTx(ctx, func(tx Tx) error {
		done = false
		now := s.now()
		r, err := tx.LockRedirect(publicID)
		if err != nil {
			return err
		}
		if r.Status != RedirectPending || r.Deadline.After(now) {
			return nil
		}
		t := redirectTarget{action: RedirectRefund}
		if gf, err := tx.GeneralFund(r.OrgID, now); err == nil {
			t = redirectTarget{action: RedirectToFund, sourceID: gf.PublicID}
		} else if !errors.Is(err, kernel.ErrNotFound) {
			return err
		}
		err = s.applyRedirect(tx, r, t, DecidedByDefault, now)
		var ie *IneligibleError
		if errors.As(err, &ie) && t.action != RedirectRefund {
			// The general fund closed meanwhile: refund instead.
			err = s.applyRedirect(tx, r, redirectTarget{action: RedirectRefund}, DecidedByDefault, now)
		}
		done = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("funds: default choice: %w", err)
	}
	return done, nil
}

// applyRedirect moves a pending choice's money in one balanced journal
// transaction: out of the ended need's committed account (and the held
// account), into the target need, fund or project, or back to the donor
// clearing account for a refund. The ended need's funded amount drops by
// what left it; matching gifts the pledge drew on that need go back to
// their funds; a refund voids the receipt. Register lines record both sides.
func (s *Service) applyRedirect(tx Tx, r *Redirect, t redirectTarget, decidedBy string, now time.Time) error {
	p, err := tx.LockPledge(r.PledgePublicID)
	if err != nil {
		return err
	}
	if p.Status != PledgeConfirmed {
		return kernel.Refuse(kernel.ErrConflict, "refusal_pledge_status", map[string]any{"Status": string(p.Status)}, "the pledge is %s", p.Status)
	}
	// Needs in row order, as every other movement that locks two.
	var ended, target *NeedState
	lock := func(id int64) (*NeedState, error) { return tx.LockNeedByID(id) }
	if t.action == RedirectToNeed && t.needID < r.NeedID {
		if target, err = lock(t.needID); err != nil {
			return err
		}
	}
	if ended, err = lock(r.NeedID); err != nil {
		return err
	}
	if t.action == RedirectToNeed && target == nil {
		if target, err = lock(t.needID); err != nil {
			return err
		}
	}
	// Money of the gift paid out since the choice opened (an expired need's
	// bill may still be paid) stays paid: what moves is what is left.
	var giftLots []*Lot
	if r.FromNeedFen > 0 {
		lots, err := tx.NeedLots(ended.ID)
		if err != nil {
			return err
		}
		var left int64
		for i := range lots {
			if lots[i].Kind == LotGift && lots[i].PledgeID == p.ID && lots[i].Unpaid() > 0 {
				giftLots = append(giftLots, &lots[i])
				left += lots[i].Unpaid()
			}
		}
		r.FromNeedFen = min(r.FromNeedFen, left)
		r.AmountFen = r.FromNeedFen + r.FromHeldFen
	}
	if r.AmountFen == 0 {
		r.Status, r.Action, r.DecidedBy, r.AppliedAt = RedirectApplied, t.action, decidedBy, &now
		return tx.UpdateRedirect(r)
	}
	entries := []Entry{}
	if r.FromNeedFen > 0 {
		entries = append(entries, Entry{NeedAccount(ended.PublicID), -r.FromNeedFen})
	}
	if r.FromHeldFen > 0 {
		entries = append(entries, Entry{OrgAccount(AccountHeld, r.OrgPublicID), -r.FromHeldFen})
	}
	kind := TxMove
	var src *Source
	switch t.action {
	case RedirectToNeed:
		if _, why := needTakes(target, r.AmountFen, now); why != "" {
			code := "need_unavailable"
			if target.Remaining() < r.AmountFen {
				code = "over_remaining"
			}
			return ineligible(code, map[string]any{"RemainingFen": target.Remaining()}, "%s", why)
		}
		entries = append(entries, Entry{NeedAccount(target.PublicID), r.AmountFen})
		r.TargetID, r.TargetPublicID = target.ID, target.PublicID
	case RedirectToFund, RedirectToProject:
		if src, err = tx.Source(t.sourceID); err != nil {
			return err
		}
		if !src.Running(now) {
			return ineligible("source_closed", nil, "this %s takes no money now", src.Kind)
		}
		if src.OrgID != r.OrgID {
			return ineligible("other_org", nil, "the %s belongs to another organization", src.Kind)
		}
		entries = append(entries, Entry{SourceAccount(src), r.AmountFen})
		r.TargetID, r.TargetPublicID = src.ID, src.PublicID
	case RedirectRefund:
		// What the need used stays a donation; the rest goes back.
		kind = TxRefund
		entries = append(entries, Entry{OrgAccount(AccountDonations, r.OrgPublicID), r.AmountFen})
		r.TargetID, r.TargetPublicID = 0, ""
	default:
		return kernel.Invalid("action", "must be need, fund, project or refund")
	}
	// Matching gifts the pledge drew on the ended need were for that need:
	// they go back to their funds (as with a refund).
	matches, err := tx.MatchesOf(p.ID)
	if err != nil {
		return err
	}
	for i := range matches {
		if r.FromNeedFen > 0 && matches[i].NeedID == ended.ID {
			if err := s.reverseMatch(tx, &matches[i], marketplace.ActorSystem, now); err != nil {
				return err
			}
			// reverseMatch saved its own copy of the need.
			if ended, err = tx.LockNeedByID(ended.ID); err != nil {
				return err
			}
		}
	}
	jt := &JournalTx{PublicID: s.NewID(), Kind: kind, RefType: "pledge", RefID: p.PublicID, At: now,
		Memo: fmt.Sprintf("need %s %s: %s", ended.PublicID, r.Reason, t.action), Entries: entries}
	if err := tx.Post(jt); err != nil {
		return err
	}
	if t.action == RedirectRefund {
		// The money goes back the way it came (refund.go).
		if err := s.owedRefund(tx, p, r.AmountFen, jt.PublicID, now); err != nil {
			return err
		}
	}
	if r.FromNeedFen > 0 {
		left := r.FromNeedFen
		for _, l := range giftLots {
			out := min(left, l.Unpaid())
			l.AmountFen -= out
			left -= out
			if err := tx.UpdateLot(l); err != nil {
				return err
			}
		}
		ended.FundedFen -= r.FromNeedFen
		if err := s.saveNeed(tx, ended, marketplace.ActorSystem, p.PublicID, now); err != nil {
			return err
		}
		dk, srcType := DiscloseMovedOut, string(t.action)
		if t.action == RedirectRefund {
			dk, srcType = DiscloseRefund, "donation"
		}
		if err := tx.InsertDisclosure(s.disclosure(dk, ended, -r.FromNeedFen, srcType, r.TargetPublicID, p.OrgName, p.PublicID, now)); err != nil {
			return err
		}
	}
	if target != nil {
		if err := tx.AddLot(&Lot{NeedID: target.ID, Kind: LotGift, PledgeID: p.ID, RootPledgeID: p.ID, AmountFen: r.AmountFen, CreatedAt: now}); err != nil {
			return err
		}
		target.FundedFen += r.AmountFen
		if err := s.saveNeed(tx, target, marketplace.ActorSystem, p.PublicID, now); err != nil {
			return err
		}
		if err := tx.InsertDisclosure(s.disclosure(DiscloseMovedIn, target, r.AmountFen, "donation", ended.PublicID, p.OrgName, p.PublicID, now)); err != nil {
			return err
		}
	}
	if t.action == RedirectRefund && r.AmountFen == p.AmountFen {
		p.Status, p.RefundedAt = PledgeRefunded, &now
		if err := tx.UpdatePledge(p); err != nil {
			return err
		}
		if err := tx.VoidReceipt(p.ID, now); err != nil {
			return err
		}
	}
	r.Status, r.Action, r.DecidedBy, r.AppliedAt = RedirectApplied, t.action, decidedBy, &now
	return tx.UpdateRedirect(r)
}

// MyRedirects lists the choices of the donor's pledges, pending first,
// each pending one with the default it will get.
func (s *Service) MyRedirects(ctx context.Context, by *kernel.Principal) ([]Redirect, error) {
	rs, err := s.Store.DonorRedirects(ctx, by.User.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	general := map[int64]string{}
	for i := range rs {
		r := &rs[i]
		if r.Status != RedirectPending {
			continue
		}
		gf, ok := general[r.OrgID]
		if !ok {
			src, err := s.Store.GeneralFund(ctx, r.OrgID, now)
			if err != nil && !errors.Is(err, kernel.ErrNotFound) {
				return nil, err
			}
			if src != nil {
				gf = src.PublicID
			}
			general[r.OrgID] = gf
		}
		r.DefaultAction, r.DefaultTargetID = RedirectRefund, ""
		if gf != "" {
			r.DefaultAction, r.DefaultTargetID = RedirectToFund, gf
		}
	}
	out := make([]Redirect, 0, len(rs))
	for _, r := range rs {
		if r.Status == RedirectPending {
			out = append(out, r)
		}
	}
	for _, r := range rs {
		if r.Status != RedirectPending {
			out = append(out, r)
		}
	}
	return out, nil
}

// ReturnAllocations reverses every allocation not disbursed to a need that
// was withdrawn or closed: the money goes back to its fund or project in a
// reversing transaction, the need's funded amount drops, and the register
// shows it. (A need past its deadline keeps its allocations: staff may
// still pay the bill they were for.) It returns how many it reversed.
func (s *Service) ReturnAllocations(ctx context.Context) (int, error) {
	ids, err := s.Store.StrandedAllocations(ctx, 500)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, id := range ids {
		pre, err := s.Store.Allocation(ctx, id)
		if err != nil {
			return done, err
		}
		ok := false
		err = s.Store.InTx(ctx, func(tx Tx) error {
			ok = false
			now := s.now()
			need, err := tx.LockNeedByID(pre.NeedID)
			if err != nil {
				return err
			}
			if need.Status != kernel.NeedWithdrawn && need.Status != kernel.NeedClosed {
				return nil
			}
			a, err := tx.LockAllocation(id)
			if err != nil {
				return err
			}
			if a.Status != AllocAllocated {
				return nil
			}
			orig, err := tx.AllocationTx(a.PublicID)
			if err != nil {
				return err
			}
			lots, err := tx.NeedLots(need.ID)
			if err != nil {
				return err
			}
			var lot *Lot
			for i := range lots {
				if lots[i].AllocationID == a.ID {
					lot = &lots[i]
				}
			}
			if lot == nil || lot.Unpaid() == 0 {
				return nil
			}
			// What was paid out stays paid; the rest goes back. All of it
			// back reverses the allocation.
			back := lot.Unpaid()
			jt := &JournalTx{PublicID: s.NewID(), Kind: TxReversal, ReversesID: orig.ID, RefType: "allocation", RefID: a.PublicID,
				Memo: "need " + string(need.Status), At: now, Entries: orig.Reverse()}
			a.Status = AllocReversed
			if back != lot.AmountFen {
				jt.Entries = transfer(NeedAccount(need.PublicID), Account{AccountKind(a.SourceKind), a.SourcePublicID}, back)
				a.Status = AllocDisbursed
			}
			if err := tx.Post(jt); err != nil {
				return err
			}
			if err := tx.UpdateAllocation(a); err != nil {
				return err
			}
			lot.AmountFen -= back
			if err := tx.UpdateLot(lot); err != nil {
				return err
			}
			need.FundedFen -= back
			if err := s.saveNeed(tx, need, marketplace.ActorSystem, a.PublicID, now); err != nil {
				return err
			}
			ok = true
			return tx.InsertDisclosure(s.disclosure(DiscloseMovedOut, need, -back, string(a.SourceKind), a.SourcePublicID, a.SourceName, a.PublicID, now))
		})
		if err != nil {
			return done, fmt.Errorf("funds: return allocation %s: %w", id, err)
		}
		if ok {
			done++
		}
	}
	ms, err := s.Store.StrandedMatches(ctx, 500)
	if err != nil {
		return done, err
	}
	for _, id := range ms {
		ok := false
		err := s.Store.InTx(ctx, func(tx Tx) error {
			ok = false
			m, err := tx.LockPledge(id)
			if err != nil {
				return err
			}
			need, err := tx.LockNeedByID(m.NeedID)
			if err != nil {
				return err
			}
			if need.Status != kernel.NeedWithdrawn && need.Status != kernel.NeedClosed || m.Status != PledgeConfirmed {
				return nil
			}
			ok = true
			return s.reverseMatch(tx, m, marketplace.ActorSystem, s.now())
		})
		if err != nil {
			return done, fmt.Errorf("funds: return matching gift %s: %w", id, err)
		}
		if ok {
			done++
		}
	}
	return done, nil
}
