package funds

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/notify"
)

// NewPledge is a donor's pledge request.
type NewPledge struct {
	TargetType TargetType
	TargetID   string
	AmountFen  int64
	// ReceiptAs, when set, is how the receipt of this pledge names the
	// donor; else their profile decides when it is confirmed.
	ReceiptAs *ReceiptAs
}

// checkGift checks what a one-off and a monthly pledge share: a donor
// gives, to a need, a project or a fund, an amount in fen. An error is
// ErrForbidden; field problems are left in the ValidationError for the
// caller to add its own.
func checkGift(by *kernel.Principal, tt TargetType, targetID string, amountFen int64) (*kernel.ValidationError, error) {
	if !by.Has(kernel.RoleDonor) {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_pledge_donors_only", nil, "only donors pledge")
	}
	v := &kernel.ValidationError{}
	switch tt {
	case TargetNeed, TargetProject, TargetFund:
	default:
		v.Add("target_type", "must be need, project or fund")
	}
	if targetID == "" || len(targetID) > 32 {
		v.Add("target_id", "is required")
	}
	checkAmount(v, "amount_fen", amountFen)
	return v, nil
}

// CreatePledge records a donor's promise to give to a need, a project or a
// fund; the money counts once the pledge is confirmed. A need must be open
// and published and lack at least the amount. ValidationError, ErrNotFound,
// IneligibleError.
func (s *Service) CreatePledge(ctx context.Context, by *kernel.Principal, n NewPledge, idem *Idem) (*Pledge, error) {
	v, err := checkGift(by, n.TargetType, n.TargetID, n.AmountFen)
	if err != nil {
		return nil, err
	}
	if n.ReceiptAs != nil {
		n.ReceiptAs.check(v)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	p := &Pledge{PublicID: s.NewID(), Reference: newReference(), DonorID: by.User.ID, DonorPublicID: by.User.PublicID,
		TargetType: n.TargetType, TargetPublicID: n.TargetID, AmountFen: n.AmountFen, Status: PledgePending,
		CreatedAt: now, ExpiresAt: now.Add(s.PledgeTTL)}
	if n.TargetType == TargetNeed {
		need, err := s.Store.Need(ctx, n.TargetID)
		if err != nil {
			return nil, err
		}
		if !need.ConsentPublic || !need.Published {
			// An unpublished need is not public: it does not exist for donors.
			return nil, kernel.ErrNotFound
		}
		p.NeedID = need.ID
		p.OrgID, p.OrgPublicID, p.OrgName, err = s.Store.ReceivingOrg(ctx, need.RegionCode)
		if errors.Is(err, kernel.ErrNotFound) {
			return nil, ineligible("no_receiver", nil, "no charity federation receives donations for this need's region yet")
		}
		if err != nil {
			return nil, err
		}
		// A gift is screened like an allocation: a gift that would take the
		// person's charity money past their limit, or to a need whose
		// screening blocks, is refused and never created.
		if s.Screener != nil {
			scr, err := s.Screener.Screen(ctx, need.PublicID, kernel.StageGift, n.AmountFen)
			if err != nil {
				return nil, fmt.Errorf("funds: pledge: screening: %w", err)
			}
			if scr.Result == kernel.ScreenBlock {
				return nil, &kernel.ScreeningBlockedError{Stage: kernel.StageGift, Screening: scr}
			}
		}
	} else {
		src, err := s.Source(ctx, SourceKind(n.TargetType), n.TargetID)
		if err != nil {
			return nil, err
		}
		if !src.Running(now) {
			return nil, ineligible("source_closed", nil, "this %s takes no donations now", src.Kind)
		}
		p.SourceID, p.OrgID, p.OrgPublicID, p.OrgName = src.ID, src.OrgID, src.OrgPublicID, src.OrgName
	}
	err = s.Store.InTx(ctx, func(tx Tx) error {
		if p.NeedID != 0 {
			// Checked under the need's lock. A pledge moves no money yet:
			// confirmation applies what the need can take then.
			need, err := tx.LockNeedByID(p.NeedID)
			if err != nil {
				return err
			}
			if err := need.ObjectionHold(); err != nil {
				return err
			}
			f := need.Facts(now)
			if fails := (kernel.Restrictions{}).Fails(f, 0); len(fails) > 0 {
				return &IneligibleError{Reasons: fails}
			}
			if why := need.EndReason(now); why != "" {
				return ineligible("need_ended", nil, "the need has ended (%s)", why)
			}
			if p.AmountFen > need.Remaining() {
				return ineligible("over_remaining", map[string]any{"RemainingFen": need.Remaining()}, "the need lacks only %d fen", need.Remaining())
			}
		}
		if err := tx.InsertPledge(p); err != nil {
			return err
		}
		if n.ReceiptAs != nil {
			if err := tx.SetPledgeReceiptAs(p.ID, *n.ReceiptAs); err != nil {
				return err
			}
		}
		return s.finishIdem(tx, by, idem, p)
	})
	if err != nil {
		return nil, fmt.Errorf("funds: pledge: %w", err)
	}
	return p, nil
}

// Pledge returns a pledge to its donor or to staff of the receiving
// organization; ErrNotFound to anyone else.
func (s *Service) Pledge(ctx context.Context, by *kernel.Principal, publicID string) (*Pledge, error) {
	p, err := s.Store.Pledge(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if !MaySeePledge(by, p) {
		return nil, kernel.ErrNotFound
	}
	return p, nil
}

// MaySeePledge reports whether by may see pledge p: its donor, and staff
// of the receiving organization (who alone confirm and refund it). Anyone
// else is answered as if the pledge did not exist.
func MaySeePledge(by *kernel.Principal, p *Pledge) bool {
	return by != nil && (p.DonorID == by.User.ID || staffOf(by, p.OrgID))
}

// ConfirmPledge records, for staff of the receiving organization, that a
// pledge's money arrived. A donor never confirms their own pledge.
// ErrForbidden, ErrNotFound (also for staff of another organization, who
// may not see it), ErrConflict (not pending, expired).
func (s *Service) ConfirmPledge(ctx context.Context, by *kernel.Principal, publicID string) (*Pledge, error) {
	p, err := s.Store.Pledge(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if !staffOf(by, p.OrgID) {
		if MaySeePledge(by, p) {
			return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_confirm_org_only", map[string]any{"Org": p.OrgName}, "only staff of %s confirm its donations", p.OrgName)
		}
		return nil, fmt.Errorf("funds: confirm pledge: %w", kernel.ErrNotFound)
	}
	if p.DonorID == by.User.ID {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_confirm_own", nil, "nobody confirms their own pledge")
	}
	return s.confirm(ctx, publicID, ViaStaff, by.User.ID, "", 0)
}

// confirm turns a pending pledge into a donation in one transaction: the
// ledger posting, the need's funded amount, the receipt, the register line
// and the notification id. expectFen, when not 0, must equal the amount.
func (s *Service) confirm(ctx context.Context, pledgeID string, via ConfirmVia, byUser int64, notificationID string, expectFen int64) (*Pledge, error) {
	pre, err := s.Store.Pledge(ctx, pledgeID)
	if err != nil {
		return nil, err
	}
	donor, err := s.receiptDonor(ctx, pre)
	if err != nil {
		return nil, err
	}
	// Money that arrived is always recorded: when money for the same
	// person keeps moving between the screening and the transaction, the
	// last attempt applies none of it to the need and holds it all for the
	// donor's choice, which can never take the person past their limit.
	for attempt := 1; ; attempt++ {
		out, err := s.confirmOnce(ctx, pre, donor, via, byUser, notificationID, expectFen, attempt == confirmAttempts)
		if !errors.Is(err, errPersonChanged) {
			return out, err
		}
	}
}

// confirmAttempts bounds how often a confirmation screens again because
// money for the same person moved meanwhile.
const confirmAttempts = 12

// giftRoom is what a gift to a need may apply: the screening of the gift
// (StageGift) read before the transaction, and under the person's lock,
// whether the picture it read still holds.
type giftRoom struct {
	scr *kernel.Screening
	// hold: apply nothing (the person's lock is still taken).
	hold bool
}

// screenGift screens a gift of amount to the need before a transaction
// applies it. Without a screener there is no person-level limit.
func (s *Service) screenGift(ctx context.Context, needPublicID string, amount int64) (*giftRoom, error) {
	if s.Screener == nil || amount <= 0 {
		return &giftRoom{}, nil
	}
	scr, err := s.Screener.Screen(ctx, needPublicID, kernel.StageGift, amount)
	if err != nil {
		return nil, fmt.Errorf("screening: %w", err)
	}
	return &giftRoom{scr: scr}, nil
}

// lock takes the person's lock in tx (first, before any other) and
// returns what of the person's limit is left to apply: all of it without a
// screening. errPersonChanged when money for the person moved since the
// screening read it.
func (g *giftRoom) lock(tx Tx, needPublicID string) (int64, error) {
	state, err := tx.LockPerson(needPublicID)
	if err != nil {
		return 0, err
	}
	if g.hold {
		return 0, nil
	}
	if g.scr == nil {
		return math.MaxInt64, nil
	}
	if g.scr.PersonState != "" && state != g.scr.PersonState {
		return 0, errPersonChanged
	}
	return g.scr.RoomFen, nil
}

// confirmOnce is one attempt of confirm.
func (s *Service) confirmOnce(ctx context.Context, pre *Pledge, donor ReceiptDonor, via ConfirmVia, byUser int64, notificationID string, expectFen int64, holdAll bool) (*Pledge, error) {
	pledgeID := pre.PublicID
	var room *giftRoom
	if holdAll && pre.NeedID != 0 {
		room = &giftRoom{hold: true}
	} else if pre.NeedID != 0 && pre.MatchedPledgeID == 0 {
		need, err := s.Store.Need(ctx, pre.TargetPublicID)
		if err != nil {
			return nil, err
		}
		if room, err = s.screenGift(ctx, need.PublicID, min(pre.AmountFen, need.Remaining())); err != nil {
			return nil, fmt.Errorf("funds: confirm pledge: %w", err)
		}
	}
	var out *Pledge
	err := s.Store.InTx(ctx, func(tx Tx) error {
		now := s.now()
		limit := int64(math.MaxInt64)
		if room != nil {
			var err error
			if limit, err = room.lock(tx, pre.TargetPublicID); err != nil {
				return err
			}
		}
		p, err := tx.LockPledge(pledgeID)
		if err != nil {
			return err
		}
		if notificationID != "" {
			if err := tx.RecordNotification(notificationID, p.ID, now); err != nil {
				return err
			}
		}
		switch {
		case p.Status == PledgeConfirmed:
			return kernel.Refuse(kernel.ErrConflict, "refusal_pledge_confirmed", nil, "the pledge is already confirmed")
		case p.Status != PledgePending:
			return kernel.Refuse(kernel.ErrConflict, "refusal_pledge_status", map[string]any{"Status": string(p.Status)}, "the pledge is %s", p.Status)
		case !now.Before(p.ExpiresAt):
			return kernel.Refuse(kernel.ErrConflict, "refusal_pledge_expired", nil, "the pledge expired at %s", p.ExpiresAt.Format(time.RFC3339))
		case byUser != 0 && byUser == p.DonorID:
			return kernel.Refuse(kernel.ErrForbidden, "refusal_confirm_own", nil, "nobody confirms their own pledge")
		case expectFen != 0 && expectFen != p.AmountFen:
			return kernel.Invalid("amount_fen", "is %v, the pledge is %v", kernel.Fen(expectFen), kernel.Fen(p.AmountFen))
		}
		if err := s.applyDonation(tx, p, limit, now); err != nil {
			return err
		}
		p.Status, p.ConfirmedVia, p.ConfirmedAt = PledgeConfirmed, via, &now
		if byUser != 0 {
			p.ConfirmedBy = byUser
		}
		if err := tx.UpdatePledge(p); err != nil {
			return err
		}
		r, err := s.newReceipt(p, donor, now)
		if err != nil {
			return err
		}
		if err := tx.IssueReceipt(r, p.OrgPublicID); err != nil {
			return err
		}
		p.ReceiptID = r.PublicID
		out = p
		return notify.Publish(ctx, tx, confirmedNotices(p, now)...)
	})
	if err != nil {
		return nil, fmt.Errorf("funds: confirm pledge: %w", err)
	}
	return out, nil
}

// applyDonation posts a confirmed pledge's money: from the organization's
// donor clearing account to the fund or project, or to the need up to what
// it lacks and what the person's limit still allows (limit: the room the
// gift's screening found, the need's own screening not blocking). The rest
// is held unapplied, and the donor chooses where it goes (a choice with
// reason EndUnapplied opens at once).
func (s *Service) applyDonation(tx Tx, p *Pledge, limit int64, now time.Time) error {
	from := OrgAccount(AccountDonations, p.OrgPublicID)
	jt := &JournalTx{PublicID: s.NewID(), Kind: TxDonation, RefType: "pledge", RefID: p.PublicID, At: now}
	if p.TargetType != TargetNeed {
		acct := Account{AccountFund, p.TargetPublicID}
		if p.TargetType == TargetProject {
			acct.Kind = AccountProject
		}
		jt.Entries = transfer(from, acct, p.AmountFen)
		return tx.Post(jt)
	}
	need, err := tx.LockNeedByID(p.NeedID)
	if err != nil {
		return err
	}
	take := int64(0)
	if f := need.Facts(now); f.Status == kernel.NeedOpen && f.Screening != kernel.ScreenBlock && need.EndReason(now) == "" {
		take = max(min(p.AmountFen, need.Remaining(), limit), 0)
	}
	jt.Entries = []Entry{{from, -p.AmountFen}}
	if take > 0 {
		jt.Entries = append(jt.Entries, Entry{NeedAccount(need.PublicID), take})
	}
	if rest := p.AmountFen - take; rest > 0 {
		jt.Entries = append(jt.Entries, Entry{OrgAccount(AccountHeld, p.OrgPublicID), rest})
	}
	if err := tx.Post(jt); err != nil {
		return err
	}
	if rest := p.AmountFen - take; rest > 0 {
		r := &Redirect{PublicID: s.NewID(), PledgeID: p.ID, PledgePublicID: p.PublicID, DonorID: p.DonorID, OrgID: p.OrgID,
			OrgPublicID: p.OrgPublicID, NeedID: need.ID, NeedPublicID: need.PublicID, Reason: EndUnapplied,
			FromHeldFen: rest, AmountFen: rest, Deadline: now.Add(s.redirectWindow()), Status: RedirectPending, CreatedAt: now}
		if err := tx.InsertRedirect(r); err != nil {
			return err
		}
	}
	if take == 0 {
		return nil
	}
	if err := tx.AddLot(&Lot{NeedID: need.ID, Kind: LotGift, PledgeID: p.ID, RootPledgeID: p.ID, AmountFen: take, CreatedAt: now}); err != nil {
		return err
	}
	need.FundedFen += take
	if err := s.saveNeed(tx, need, marketplace.ActorSystem, p.PublicID, now); err != nil {
		return err
	}
	if err := tx.InsertDisclosure(s.disclosure(DiscloseDonation, need, take, "donation", "", p.OrgName, p.PublicID, now)); err != nil {
		return err
	}
	return s.applyMatches(tx, p, need, take, limit-take, now)
}

// applyMatches adds the matching gifts (配捐) of every active fund whose
// offer and restrictions cover the need: RatioPct percent of what the need
// took from the donor, within the fund's per-donor and total caps, its
// balance, its per-need cap and what the need still lacks. The staff and
// members of the fund's own organization are never matched, and a gift is
// reversed with the pledge it matched (RefundPledge).
func (s *Service) applyMatches(tx Tx, p *Pledge, need *NeedState, took, room int64, now time.Time) error {
	if p.MatchedPledgeID != 0 || took <= 0 || room <= 0 {
		return nil
	}
	offers, err := tx.MatchingFunds()
	if err != nil {
		return err
	}
	for i := range offers {
		src := &offers[i]
		if !src.Running(now) || need.Remaining() == 0 || room <= 0 {
			continue
		}
		if member, err := tx.IsMember(p.DonorID, src.OrgID); err != nil {
			return err
		} else if member {
			continue
		}
		given, err := tx.GivenFen(src.ID, need.ID)
		if err != nil {
			return err
		}
		facts := need.Facts(now)
		if len(src.Restrictions.Fails(facts, given)) > 0 {
			continue
		}
		total, donor, err := tx.MatchedFen(src.ID, p.DonorID)
		if err != nil {
			return err
		}
		amt := min(took*src.Match.RatioPct/100, src.Match.DonorCapFen-donor, src.Match.TotalCapFen-total,
			src.BalanceFen, src.Restrictions.MaxFen(facts, given), room)
		if amt <= 0 {
			continue
		}
		m := &Pledge{PublicID: s.NewID(), Reference: newReference(), DonorID: p.DonorID, OrgID: src.OrgID, OrgPublicID: src.OrgPublicID,
			OrgName: src.OrgName, TargetType: TargetNeed, SourceID: src.ID, NeedID: need.ID, TargetPublicID: need.PublicID,
			AmountFen: amt, Status: PledgeConfirmed, ConfirmedVia: ViaMatch, MatchedPledgeID: p.ID, CreatedAt: now, ExpiresAt: now, ConfirmedAt: &now}
		// The balance check is the posting's: a fund emptied meanwhile matches nothing.
		err = tx.Post(&JournalTx{PublicID: s.NewID(), Kind: TxMatch, RefType: "pledge", RefID: m.PublicID, At: now,
			Entries: transfer(SourceAccount(src), NeedAccount(need.PublicID), amt)})
		if errors.Is(err, ErrInsufficientFunds) {
			continue
		}
		if err != nil {
			return err
		}
		if err := tx.InsertPledge(m); err != nil {
			return err
		}
		if err := tx.AddLot(&Lot{NeedID: need.ID, Kind: LotMatch, SourceID: src.ID, PledgeID: m.ID, RootPledgeID: p.ID, AmountFen: amt, CreatedAt: now}); err != nil {
			return err
		}
		room -= amt
		need.FundedFen += amt
		if err := s.saveNeed(tx, need, marketplace.ActorSystem, m.PublicID, now); err != nil {
			return err
		}
		if err := tx.InsertDisclosure(s.disclosure(DiscloseMatch, need, amt, string(KindFund), src.PublicID, src.Name, m.PublicID, now)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) disclosure(kind DisclosureKind, n *NeedState, amount int64, srcType, srcID, srcName, ref string, now time.Time) *Disclosure {
	return &Disclosure{PublicID: s.NewID(), Kind: kind, NeedID: n.PublicID, Category: string(n.Category),
		RegionCode: n.DisclosedRegion(), AmountFen: amount, SourceType: srcType, SourceID: srcID, SourceName: srcName,
		RefID: ref, Emergency: n.Emergency, NoticeEndsAt: n.NoticeEndsAt, At: now}
}

// PendingPledges lists, for staff of receiving organizations, up to limit
// (at most 500) pledges of their organizations waiting for their money,
// those expiring first first: the queue staff confirm against the bank
// statement or the payment notice. ErrForbidden for anyone else.
func (s *Service) PendingPledges(ctx context.Context, by *kernel.Principal, limit int) ([]Pledge, error) {
	var ids []int64
	for _, o := range by.OrgsWith(kernel.RoleFederationStaff) {
		ids = append(ids, o.ID)
	}
	if len(ids) == 0 {
		return nil, kernel.ErrForbidden
	}
	ps, err := s.Store.PendingPledgesOf(ctx, ids, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("funds: pending pledges: %w", err)
	}
	return ps, nil
}

// RefundPledge returns a whole confirmed donation to its donor (staff of
// the receiving organization): a reversing transaction of the donation,
// possible only while the money is still where it went, and a refund
// through the channel the money came by (RecordRefund). ErrInsufficientFunds
// when it was spent, ErrConflict when the pledge is not confirmed.
func (s *Service) RefundPledge(ctx context.Context, by *kernel.Principal, publicID string) (*Pledge, error) {
	if _, err := s.RecordRefund(ctx, by, publicID, NewRefund{}, nil); err != nil {
		return nil, err
	}
	return s.Store.Pledge(ctx, publicID)
}

// refundWhole reverses the whole of a confirmed pledge's donation in tx
// (the pledge locked): its matching gifts go back to their funds, the
// pledge is refunded and its receipt void. It returns the public id of the
// refund transaction.
func (s *Service) refundWhole(tx Tx, p *Pledge, actor string, now time.Time) (string, error) {
	if p.MatchedPledgeID != 0 {
		return "", kernel.Refuse(kernel.ErrConflict, "refusal_refund_matching_gift", nil, "a matching gift is reversed with the pledge it matched")
	}
	// A pending choice for money the need could not take goes with the
	// refund; any other choice decides where the money goes.
	held, err := tx.LastRedirect(p.ID)
	switch {
	case errors.Is(err, kernel.ErrNotFound):
		held = nil
	case err != nil:
		return "", err
	case held.Reason != EndUnapplied || held.Status != RedirectPending:
		return "", kernel.Refuse(kernel.ErrConflict, "refusal_refund_need_ended", nil, "this pledge's need ended and the donor's choice decides where its money goes")
	}
	txID, err := s.reverseDonation(tx, p, TxRefund, actor, now)
	if err != nil {
		return "", err
	}
	matches, err := tx.MatchesOf(p.ID)
	if err != nil {
		return "", err
	}
	for i := range matches {
		m := &matches[i]
		if err := s.reverseMatch(tx, m, actor, now); err != nil {
			return "", err
		}
	}
	p.Status, p.RefundedAt = PledgeRefunded, &now
	if err := tx.UpdatePledge(p); err != nil {
		return "", err
	}
	if err := tx.VoidReceipt(p.ID, now); err != nil {
		return "", err
	}
	if held != nil {
		held.Status, held.Action, held.DecidedBy, held.AppliedAt = RedirectApplied, RedirectRefund, DecidedByStaff, &now
		if err := tx.UpdateRedirect(held); err != nil {
			return "", err
		}
	}
	return txID, nil
}

// reverseDonation posts the reversal of a pledge's donation transaction and
// takes the need's share back from its funded amount (actor: who refunds).
// It returns the reversal's public id.
func (s *Service) reverseDonation(tx Tx, p *Pledge, kind TxKind, actor string, now time.Time) (string, error) {
	orig, err := tx.DonationTx(p.PublicID)
	if err != nil {
		return "", err
	}
	var need *NeedState
	var needShare int64
	for _, e := range orig.Entries {
		if e.Account.Kind == AccountNeed {
			needShare += e.AmountFen
		}
	}
	var lot *Lot
	if needShare > 0 {
		if need, err = tx.LockNeedByID(p.NeedID); err != nil {
			return "", err
		}
		if lot, err = pledgeLot(tx, need.ID, LotGift, p.ID); err != nil {
			return "", err
		}
		if lot.PaidFen > 0 || lot.AmountFen < needShare {
			return "", kernel.Refuse(ErrInsufficientFunds, "refusal_refund_disbursed", nil, "the need has already disbursed this money")
		}
	}
	rev := &JournalTx{PublicID: s.NewID(), Kind: kind, ReversesID: orig.ID, RefType: "pledge", RefID: p.PublicID, At: now, Entries: orig.Reverse()}
	if err := tx.Post(rev); err != nil {
		return "", err
	}
	if need == nil {
		return rev.PublicID, nil
	}
	lot.AmountFen -= needShare
	if err := tx.UpdateLot(lot); err != nil {
		return "", err
	}
	need.FundedFen -= needShare
	if err := s.saveNeed(tx, need, actor, p.PublicID, now); err != nil {
		return "", err
	}
	return rev.PublicID, tx.InsertDisclosure(s.disclosure(DiscloseRefund, need, -needShare, "donation", "", p.OrgName, p.PublicID, now))
}

// pledgeLot finds the lot of kind holding pledge's money in a need.
func pledgeLot(tx Tx, needID int64, kind LotKind, pledgeID int64) (*Lot, error) {
	lots, err := tx.NeedLots(needID)
	if err != nil {
		return nil, err
	}
	for i := range lots {
		if lots[i].Kind == kind && lots[i].PledgeID == pledgeID && lots[i].AmountFen > 0 {
			return &lots[i], nil
		}
	}
	return nil, fmt.Errorf("funds: pledge %d holds no %s money in need %d: %w", pledgeID, kind, needID, kernel.ErrNotFound)
}

// reverseMatch returns to its fund what of a matching gift was not paid
// out, when the gift it matched is refunded or moved (actor: who refunds,
// or ActorSystem): all of it reverses the matching gift, which is then
// refunded; a part paid out stays with the need, and the rest goes back.
func (s *Service) reverseMatch(tx Tx, m *Pledge, actor string, now time.Time) error {
	orig, err := tx.PledgeTx(m.PublicID, TxMatch)
	if err != nil {
		return err
	}
	need, err := tx.LockNeedByID(m.NeedID)
	if err != nil {
		return err
	}
	lot, err := pledgeLot(tx, need.ID, LotMatch, m.ID)
	if errors.Is(err, kernel.ErrNotFound) {
		return nil // returned before
	}
	if err != nil {
		return err
	}
	back := lot.Unpaid()
	if back == 0 {
		return nil
	}
	if need.FundedFen-need.DisbursedFen < back {
		return kernel.Refuse(ErrInsufficientFunds, "refusal_refund_gift_disbursed", nil, "the need has already disbursed the matching gift")
	}
	jt := &JournalTx{PublicID: s.NewID(), Kind: TxReversal, ReversesID: orig.ID, RefType: "pledge", RefID: m.PublicID, At: now, Entries: orig.Reverse()}
	if back != lot.AmountFen {
		// Part of it was paid out: only the rest goes back.
		jt.Entries = nil
		for _, e := range orig.Entries {
			sign := int64(1)
			if e.AmountFen < 0 {
				sign = -1
			}
			jt.Entries = append(jt.Entries, Entry{e.Account, -sign * back})
		}
	}
	if err := tx.Post(jt); err != nil {
		return err
	}
	lot.AmountFen -= back
	if err := tx.UpdateLot(lot); err != nil {
		return err
	}
	need.FundedFen -= back
	if err := s.saveNeed(tx, need, actor, m.PublicID, now); err != nil {
		return err
	}
	if lot.AmountFen == 0 {
		m.Status, m.RefundedAt = PledgeRefunded, &now
		if err := tx.UpdatePledge(m); err != nil {
			return err
		}
	}
	return tx.InsertDisclosure(s.disclosure(DiscloseRefund, need, -back, string(KindFund), "", m.OrgName, m.PublicID, now))
}

// ExpirePledges marks unpaid pledges past their time as expired.
func (s *Service) ExpirePledges(ctx context.Context) (int64, error) {
	return s.Store.ExpirePledges(ctx, s.now())
}

// NeedReceiver names the organization that receives donations to the
// published need needPublicID: the charity federation ReceivingOrg picks
// for the need's region, the one a pledge to it goes to. ErrNotFound for a
// need that is not public or has no receiver.
func (s *Service) NeedReceiver(ctx context.Context, needPublicID string) (orgPublicID, name string, err error) {
	need, err := s.Store.Need(ctx, needPublicID)
	if err != nil {
		return "", "", err
	}
	if !need.ConsentPublic || !need.Published {
		return "", "", kernel.ErrNotFound
	}
	_, orgPublicID, name, err = s.Store.ReceivingOrg(ctx, need.RegionCode)
	return orgPublicID, name, err
}
