package funds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// Allocate commits amountFen of a fund's or project's money to a need, for
// federation staff of the holder organization. Screening runs first (a
// block is a *kernel.ScreeningBlockedError); then, in one transaction with the
// person's needs locked (screening runs again when any of them changed
// since it read them, so two allocations to two needs of one person never
// both pass on the same picture) and the need locked: the source's restrictions (marketplace.Restrictions.Fails), the
// need effectively open, the amount within MaxFen, the source's balance
// (ErrInsufficientFunds). ValidationError, ErrForbidden, ErrNotFound,
// *IneligibleError.
func (s *Service) Allocate(ctx context.Context, by *kernel.Principal, kind SourceKind, sourceID, needID string, amountFen int64, idem *Idem) (*Allocation, error) {
	v := &kernel.ValidationError{}
	if needID == "" || len(needID) > 32 {
		v.Add("need_id", "is required")
	}
	checkAmount(v, "amount_fen", amountFen)
	if err := v.Err(); err != nil {
		return nil, err
	}
	// Who holds the source never changes: the store may answer this from
	// memory, and the transaction reads the source itself.
	srcKind, orgID, err := s.Store.SourceOwner(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	if srcKind != kind {
		return nil, kernel.ErrNotFound
	}
	if !staffOf(by, orgID) {
		src, err := s.Source(ctx, kind, sourceID)
		if err != nil {
			return nil, err
		}
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_allocate_org_only", map[string]any{"Org": src.OrgName}, "only staff of %s allocate its money", src.OrgName)
	}
	// Screening runs before the transaction (it stores its result, with
	// its own transaction); the transaction then locks the person's needs
	// and checks that nothing moved for the person since the screening
	// read them. When something did (another charity's allocation to
	// another need of the same person committed in between), the
	// screening runs again on the new picture.
	for attempt := 1; ; attempt++ {
		out, err := s.allocate(ctx, by, sourceID, needID, amountFen, idem)
		if !errors.Is(err, errPersonChanged) {
			return out, err
		}
		if attempt == allocateAttempts {
			return nil, fmt.Errorf("funds: allocate: %w: money for the same beneficiary kept moving; try again", kernel.ErrConflict)
		}
	}
}

// allocateAttempts bounds how often Allocate screens again because money
// for the same person moved between its screening and its transaction.
const allocateAttempts = 4

// errPersonChanged: the person's needs changed after the screening.
var errPersonChanged = errors.New("the beneficiary's needs changed since screening")

// allocate is one attempt of Allocate.
func (s *Service) allocate(ctx context.Context, by *kernel.Principal, sourceID, needID string, amountFen int64, idem *Idem) (*Allocation, error) {
	var scr *kernel.Screening
	var err error
	if s.Screener != nil {
		scr, err = s.Screener.Screen(ctx, needID, kernel.StageAllocate, amountFen)
		if err != nil {
			return nil, fmt.Errorf("funds: allocate: screening: %w", err)
		}
		if scr.Result == kernel.ScreenBlock {
			return nil, &kernel.ScreeningBlockedError{Stage: kernel.StageAllocate, Screening: scr}
		}
	}
	var out *Allocation
	// The person's needs are locked first, always: the fund's per-need cap
	// is per person (GivenFen), and two allocations to two postings of one
	// person must queue for it.
	hint := GroupHint{Source: sourceID, Need: needID, Person: true}
	err = s.Store.InTxGrouped(ctx, hint, func(tx Tx) error {
		now := s.now()
		state, err := tx.LockPerson(needID)
		if err != nil {
			return err
		}
		if scr != nil && scr.PersonState != "" && state != scr.PersonState {
			return errPersonChanged
		}
		need, err := tx.LockNeed(needID)
		if err != nil {
			return err
		}
		src, err := tx.Source(sourceID)
		if err != nil {
			return err
		}
		if !src.Running(now) {
			return ineligible("source_closed", nil, "this %s gives no money now (closed or outside its period)", src.Kind)
		}
		var given int64
		if src.Restrictions.PerNeedCapFen > 0 {
			if given, err = tx.GivenFen(src.ID, need.ID); err != nil {
				return err
			}
		}
		if err := need.ObjectionHold(); err != nil {
			return err
		}
		facts := need.Facts(now)
		if facts.Status == kernel.NeedOpen && !need.NoticeOver(now) {
			return ineligible("notice", nil, "the need's public notice has not ended and it is not on the emergency path")
		}
		if fails := src.Restrictions.Fails(facts, given); len(fails) > 0 {
			return &IneligibleError{Reasons: fails}
		}
		if why := need.EndReason(now); why != "" {
			return ineligible("need_ended", nil, "the need has ended (%s)", why)
		}
		if m := src.Restrictions.MaxFen(facts, given); amountFen > m {
			return ineligible("over_max", map[string]any{"MaxFen": m}, "at most %d fen may go from this %s to this need now", m, src.Kind)
		}
		a := &Allocation{PublicID: s.NewID(), SourceID: src.ID, SourcePublicID: src.PublicID, SourceKind: src.Kind,
			SourceName: src.Name, SourceOrgID: src.OrgID, NeedID: need.ID, NeedPublicID: need.PublicID,
			AmountFen: amountFen, Status: AllocAllocated, CreatedBy: by.User.ID, CreatedAt: now}
		if scr != nil {
			a.Screening = scr.Result
		}
		if err := tx.InsertAllocation(a); err != nil {
			return err
		}
		if err := tx.AddLot(&Lot{NeedID: need.ID, Kind: LotAllocation, SourceID: src.ID, AllocationID: a.ID, AmountFen: amountFen, CreatedAt: now}); err != nil {
			return err
		}
		need.FundedFen += amountFen
		if err := s.saveNeed(tx, need, by.User.PublicID, a.PublicID, now); err != nil {
			return err
		}
		if err := tx.InsertDisclosure(s.disclosure(DiscloseAllocation, need, amountFen, string(src.Kind), src.PublicID, src.Name, a.PublicID, now)); err != nil {
			return err
		}
		// The posting comes last: the source's balance row is the one every
		// allocation from it queues on, so it is locked for the shortest time.
		if err := tx.Post(&JournalTx{PublicID: s.NewID(), Kind: TxAllocation, RefType: "allocation", RefID: a.PublicID, At: now,
			Entries: transfer(SourceAccount(src), NeedAccount(need.PublicID), amountFen)}); err != nil {
			return err
		}
		out = a
		return s.finishIdem(tx, by, idem, a)
	})
	if err != nil {
		return nil, fmt.Errorf("funds: allocate: %w", err)
	}
	return out, nil
}

// Payee is who receives a disbursement. It is stored only sealed; the API
// shows Masked.
type Payee struct {
	Type PayeeType `json:"type"`
	Name string    `json:"name"`
	// Reference is the provider's invoice or receipt number (发票/收据号).
	Reference string `json:"reference"`
	Account   string `json:"account,omitempty"`
	// Reason records why the household is paid directly rather than a
	// provider (required then); it is sealed with the payee.
	Reason string `json:"reason,omitempty"`
}

// Masked is the payee as shown: a provider's name (an institution) in
// full, a household's name reduced to its first character, the account and
// the reference to their last four characters.
func (p Payee) Masked() string {
	name := p.Name
	if p.Type == PayeeHousehold {
		r := []rune(name)
		if len(r) > 0 {
			name = string(r[0]) + strings.Repeat("*", min(len(r)-1, 3))
		}
	}
	parts := []string{name}
	if p.Account != "" {
		parts = append(parts, "account "+maskTail(p.Account))
	}
	if p.Reference != "" {
		parts = append(parts, "ref "+maskTail(p.Reference))
	}
	return strings.Join(parts, " · ")
}

func maskTail(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	return "****" + string(r[len(r)-4:])
}

// MaySeeAllocation reports whether by may see allocation a, its payee
// (masked) and disburse it: federation staff of the organization holding
// the fund or project it came from. It is the one rule for allocations, by
// API and by page; the others are answered as if it did not exist.
func MaySeeAllocation(by *kernel.Principal, a *Allocation) bool {
	return staffOf(by, a.SourceOrgID)
}

// Allocation returns an allocation to staff of its holder; ErrNotFound to others.
func (s *Service) Allocation(ctx context.Context, by *kernel.Principal, publicID string) (*Allocation, error) {
	a, err := s.Store.Allocation(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if !MaySeeAllocation(by, a) {
		return nil, kernel.ErrNotFound
	}
	return a, nil
}

// saveNeed writes a need whose amounts a money movement has just set, in
// tx: when they move it along the lifecycle (funded, disbursed, reopened:
// marketplace.MoveMoney) its new status goes with the event and audit
// entry that record it. actor is who moved the money (a user's public id
// or marketplace.ActorSystem), ref the allocation or pledge that did.
func (s *Service) saveNeed(tx Tx, need *NeedState, actor, ref string, now time.Time) error {
	to, change, err := marketplace.MoveMoney(need.PublicID, need.Status, need.RequestedFen, need.FundedFen, need.DisbursedFen, actor, ref, s.NewID, now)
	if err != nil {
		return err
	}
	need.Status = to
	return tx.SaveNeedMoney(need, change, now)
}

// marketplace.ActorSystem moves money no user moved by hand (marketplace.ActorSystem).
