package funds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/notify"
)

// NewDisbursement is a payment out of a need's money.
type NewDisbursement struct {
	AmountFen int64
	Payee     Payee
	// ProviderKind is required for a provider payee.
	ProviderKind ProviderKind
}

// MinHouseholdReason is the shortest reason accepted for paying the
// household itself rather than a provider.
const MinHouseholdReason = 4

// checkPayee validates a payee: a provider with its kind, name and the
// invoice or receipt reference; the household with its name and the
// recorded reason it is paid directly.
func checkPayee(v *kernel.ValidationError, p *Payee, kind *ProviderKind, kindRequired bool) {
	p.Name, p.Reference, p.Account, p.Reason = strings.TrimSpace(p.Name), strings.TrimSpace(p.Reference), strings.TrimSpace(p.Account), strings.TrimSpace(p.Reason)
	switch p.Type {
	case PayeeProvider:
		if *kind == "" && !kindRequired {
			*kind = ProviderOther
		}
		if !kind.Valid() {
			v.Add("provider_kind", "must be hospital, school, landlord, shop or other")
		}
		checkText(v, "reference", p.Reference, true, 100)
		checkText(v, "reason", p.Reason, false, 500)
	case PayeeHousehold:
		*kind = ""
		checkText(v, "reference", p.Reference, false, 100)
		checkText(v, "reason", p.Reason, kindRequired, 500)
		if kindRequired && p.Reason != "" && len([]rune(p.Reason)) < MinHouseholdReason {
			v.Add("reason", "must say in at least %d characters why the household is paid directly", MinHouseholdReason)
		}
	default:
		v.Add("payee_type", "must be provider or household")
	}
	checkText(v, "payee_name", p.Name, true, 100)
	checkText(v, "account", p.Account, false, 64)
}

// MayDisburseNeed reports whether by pays out the money of a need whose
// donations receivingOrg receives: its federation staff. It is the one
// rule for a need's money, by API and by page.
func MayDisburseNeed(by *kernel.Principal, receivingOrg int64) bool {
	return staffOf(by, receivingOrg)
}

// receiver resolves the organization that receives a need's donations and
// pays its money out.
func (s *Service) receiver(ctx context.Context, n *NeedState) (int64, string, string, error) {
	id, pub, name, err := s.Store.ReceivingOrg(ctx, n.RegionCode)
	if errors.Is(err, kernel.ErrNotFound) {
		return 0, "", "", ineligible("no_receiver", nil, "no charity federation receives donations for this need's region yet")
	}
	return id, pub, name, err
}

// NeedMoney returns a need's lots and disbursements to staff of the
// organization that pays its money out; ErrForbidden to other staff,
// ErrNotFound to anyone else.
func (s *Service) NeedMoney(ctx context.Context, by *kernel.Principal, needID string) (*NeedMoney, error) {
	n, _, orgPub, err := s.payer(ctx, by, needID)
	if err != nil {
		return nil, err
	}
	lots, err := s.Store.NeedLots(ctx, n.ID)
	if err != nil {
		return nil, err
	}
	ds, err := s.Store.NeedDisbursements(ctx, n.ID)
	if err != nil {
		return nil, err
	}
	m := &NeedMoney{Need: n, ReceivingOrg: orgPub, Lots: lots, Disbursements: ds}
	for i := range lots {
		m.UnpaidFen += lots[i].Unpaid()
	}
	return m, nil
}

// payer reads a need and the organization that pays its money out, and
// refuses by unless they are its staff (MayDisburseNeed, notPayer).
func (s *Service) payer(ctx context.Context, by *kernel.Principal, needID string) (*NeedState, int64, string, error) {
	n, err := s.Store.Need(ctx, needID)
	if err != nil {
		return nil, 0, "", err
	}
	orgID, orgPub, orgName, err := s.receiver(ctx, n)
	if err != nil {
		return nil, 0, "", err
	}
	if !MayDisburseNeed(by, orgID) {
		return nil, 0, "", s.notPayer(by, orgName)
	}
	return n, orgID, orgPub, nil
}

// notPayer is the refusal for someone who does not pay a need's money out.
func (s *Service) notPayer(by *kernel.Principal, orgName string) error {
	if by != nil && by.Has(kernel.RoleFederationStaff) {
		return kernel.Refuse(kernel.ErrForbidden, "refusal_disburse_org_only", map[string]any{"Org": orgName}, "only staff of %s pay out this need's money", orgName)
	}
	return kernel.ErrNotFound
}

// DisburseNeed pays out money of a need, whatever its source (allocations,
// donors' gifts, matching gifts), for staff of the organization receiving
// the need's donations: to a provider (hospital, school, landlord, shop)
// against its invoice or receipt, or to the household with a recorded
// reason. The money is drawn from the need's lots in the order it arrived,
// a matching gift right after the gift it matched. A need whose money is
// all paid out is disbursed. Screening runs first, as for an allocation's
// disbursement (*kernel.ScreeningBlockedError). ValidationError,
// ErrForbidden, ErrNotFound, *IneligibleError.
func (s *Service) DisburseNeed(ctx context.Context, by *kernel.Principal, needID string, nd NewDisbursement, idem *Idem) (*Disbursement, error) {
	v := &kernel.ValidationError{}
	if needID == "" || len(needID) > 32 {
		v.Add("need_id", "is required")
	}
	checkAmount(v, "amount_fen", nd.AmountFen)
	checkPayee(v, &nd.Payee, &nd.ProviderKind, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	pre, orgID, orgPub, err := s.payer(ctx, by, needID)
	if err != nil {
		return nil, err
	}
	d := &Disbursement{PublicID: s.NewID(), NeedID: pre.ID, NeedPublicID: pre.PublicID, OrgID: orgID, OrgPublicID: orgPub,
		AmountFen: nd.AmountFen, PayeeType: nd.Payee.Type, ProviderKind: nd.ProviderKind, CreatedBy: by.User.ID}
	_, err = s.disburse(ctx, by, d, nd.Payee, func(l *Lot) bool { return true }, idem)
	if err != nil {
		return nil, fmt.Errorf("funds: disburse need: %w", err)
	}
	return d, nil
}

// Disburse pays the money of one allocation not yet paid out to a provider
// or the household, for federation staff of the holder, after the need's
// notice period (or at once on the emergency path). It is DisburseNeed
// drawing on that allocation alone. ErrNotFound for an allocation by may
// not see (MaySeeAllocation).
func (s *Service) Disburse(ctx context.Context, by *kernel.Principal, allocationID string, payee Payee, idem *Idem) (*Allocation, error) {
	return s.DisburseAllocation(ctx, by, allocationID, payee, "", idem)
}

// DisburseAllocation is Disburse naming the kind of a provider payee
// (hospital, school, landlord, shop, other; "" is other). ValidationError
// on provider_kind for an unknown kind.
func (s *Service) DisburseAllocation(ctx context.Context, by *kernel.Principal, allocationID string, payee Payee, kind ProviderKind, idem *Idem) (*Allocation, error) {
	v := &kernel.ValidationError{}
	checkPayee(v, &payee, &kind, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	pre, err := s.Store.Allocation(ctx, allocationID)
	if err != nil {
		return nil, err
	}
	if !MaySeeAllocation(by, pre) {
		return nil, fmt.Errorf("funds: disburse: %w", kernel.ErrNotFound)
	}
	if pre.Status != AllocAllocated {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_allocation_status", map[string]any{"Status": string(pre.Status)}, "the allocation is %s", pre.Status)
	}
	d := &Disbursement{PublicID: s.NewID(), NeedID: pre.NeedID, NeedPublicID: pre.NeedPublicID, OrgID: pre.SourceOrgID,
		OrgPublicID: pre.SourceOrgPublicID, AllocationID: pre.ID, AllocationPublicID: pre.PublicID, PayeeType: payee.Type, ProviderKind: kind, CreatedBy: by.User.ID}
	out, err := s.disburse(ctx, by, d, payee, func(l *Lot) bool { return l.AllocationID == pre.ID }, idem)
	if err != nil {
		return nil, fmt.Errorf("funds: disburse: %w", err)
	}
	return out, nil
}

// disburse screens the need and pays d out in one transaction, drawing on
// the lots take accepts: all of their unpaid money when d.AmountFen is 0.
// It returns the allocation d paid, when it paid one (the response then
// stored with idem), else nil (d is).
func (s *Service) disburse(ctx context.Context, by *kernel.Principal, d *Disbursement, payee Payee, take func(*Lot) bool, idem *Idem) (*Allocation, error) {
	var out *Allocation
	if s.Screener != nil {
		scr, err := s.Screener.Screen(ctx, d.NeedPublicID, kernel.StageDisburse, d.AmountFen)
		if err != nil {
			return nil, fmt.Errorf("screening: %w", err)
		}
		if scr.Result == kernel.ScreenBlock {
			return nil, &kernel.ScreeningBlockedError{Stage: kernel.StageDisburse, Screening: scr}
		}
	}
	plain, _ := json.Marshal(payee)
	// The payee is sealed bound to what it paid: an allocation (as its row
	// has always been) or the disbursement.
	aad := "disbursement.payee:" + d.PublicID
	if d.AllocationPublicID != "" {
		aad = "allocation.payee:" + d.AllocationPublicID
	}
	ct, kid, err := s.Cipher.Seal(plain, []byte(aad))
	if err != nil {
		return nil, err
	}
	d.PayeeCT, d.PayeeKID, d.PayeeMasked = ct, kid, payee.Masked()
	if payee.Reference != "" {
		d.ReferenceMasked = maskTail(payee.Reference)
	}
	err = s.Store.InTx(ctx, func(tx Tx) error {
		out = nil
		now := s.now()
		need, err := tx.LockNeedByID(d.NeedID)
		if err != nil {
			return err
		}
		if err := need.ObjectionHold(); err != nil {
			return err
		}
		if !need.NoticeOver(now) {
			return ineligible("notice", nil, "the need's public notice has not ended; money leaves only after it")
		}
		switch st := marketplace.EffectiveStatus(need.Status, need.NoticeEndsAt, now); st {
		case kernel.NeedOpen, kernel.NeedFunded, kernel.NeedDisbursed:
		default:
			return ineligible(kernel.FailStatus, map[string]any{"Status": string(st)}, "the need is %s", st)
		}
		if need.Facts(now).Screening == kernel.ScreenBlock {
			return ineligible(kernel.FailScreening, nil, "the need's screening blocks it; stopped for review")
		}
		lots, err := tx.NeedLots(need.ID)
		if err != nil {
			return err
		}
		var avail int64
		for i := range lots {
			if take(&lots[i]) {
				avail += lots[i].Unpaid()
			}
		}
		amount := d.AmountFen
		if amount == 0 {
			amount = avail
		}
		if amount <= 0 || amount > avail {
			return ineligible("over_unpaid", map[string]any{"UnpaidFen": avail}, "the need holds %d fen not yet paid out", avail)
		}
		d.AmountFen, d.CreatedAt, d.Parts = amount, now, nil
		var paidAllocs []int64
		bySource := map[int64]int64{} // fund or project → what its money paid; 0: donors' gifts
		left := amount
		for i := range lots {
			l := &lots[i]
			if left == 0 {
				break
			}
			if !take(l) || l.Unpaid() == 0 {
				continue
			}
			part := min(left, l.Unpaid())
			l.PaidFen += part
			left -= part
			d.Parts = append(d.Parts, DisbursementPart{LotID: l.ID, Kind: l.Kind, AmountFen: part})
			if err := tx.UpdateLot(l); err != nil {
				return err
			}
			if l.Kind == LotGift {
				bySource[0] += part
			} else {
				bySource[l.SourceID] += part
			}
			if l.AllocationID != 0 && l.Unpaid() == 0 {
				paidAllocs = append(paidAllocs, l.AllocationID)
			}
		}
		// An allocation's payment is booked against the allocation, as the
		// register and the fund's books have always shown it.
		refType, ref := "disbursement", d.PublicID
		if d.AllocationPublicID != "" {
			refType, ref = "allocation", d.AllocationPublicID
		}
		payable, paid := OrgAccount(AccountPayable, d.OrgPublicID), OrgAccount(AccountPaid, d.OrgPublicID)
		if err := tx.Post(&JournalTx{PublicID: s.NewID(), Kind: TxDisburse, RefType: refType, RefID: ref, At: now,
			Entries: transfer(NeedAccount(need.PublicID), payable, amount)}); err != nil {
			return err
		}
		if err := tx.Post(&JournalTx{PublicID: s.NewID(), Kind: TxPayout, RefType: refType, RefID: ref, At: now,
			Entries: transfer(payable, paid, amount)}); err != nil {
			return err
		}
		if err := tx.InsertDisbursement(d); err != nil {
			return err
		}
		if len(paidAllocs) > 0 {
			if err := tx.SetAllocationsPaid(paidAllocs, by.User.ID, now); err != nil {
				return err
			}
		}
		if d.AllocationID != 0 {
			a, err := tx.LockAllocation(d.AllocationPublicID)
			if err != nil {
				return err
			}
			a.PayeeType, a.PayeeCT, a.PayeeKID, a.PayeeMasked = payee.Type, d.PayeeCT, d.PayeeKID, d.PayeeMasked
			a.DisbursedBy, a.DisbursedAt = by.User.ID, &now
			if a.Status == AllocAllocated && slices.Contains(paidAllocs, a.ID) {
				a.Status = AllocDisbursed
			}
			if err := tx.UpdateAllocation(a); err != nil {
				return err
			}
			out = a
		}
		need.DisbursedFen += amount
		if err := s.saveNeed(tx, need, by.User.PublicID, ref, now); err != nil {
			return err
		}
		// One register line per origin of the money: each fund or project
		// (its own register shows what its money paid), and donors' gifts.
		for _, l := range lots {
			srcID := l.SourceID
			if l.Kind == LotGift {
				srcID = 0
			}
			amt, ok := bySource[srcID]
			if !ok {
				continue
			}
			delete(bySource, srcID)
			srcType, srcPub, srcName := "donation", "", ""
			if srcID != 0 {
				src, err := tx.SourceByID(srcID)
				if err != nil {
					return err
				}
				srcType, srcPub, srcName = string(src.Kind), src.PublicID, src.Name
			}
			if err := tx.InsertDisclosure(s.disclosure(DiscloseDisbursement, need, amt, srcType, srcPub, srcName, ref, now)); err != nil {
				return err
			}
		}
		if err := notify.Publish(ctx, tx, disbursedNotices(d, lots, now)...); err != nil {
			return err
		}
		if out != nil {
			return s.finishIdem(tx, by, idem, out)
		}
		return s.finishIdem(tx, by, idem, d)
	})
	return out, err
}
