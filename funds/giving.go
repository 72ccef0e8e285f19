package funds

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Trace is a part of a donation that went on to a need: an allocation a
// fund's donations paid for, the gift itself applied to its need (or to
// the need the donor moved it to), or a matching gift it drew. Payments
// are the disbursements that used it.
type Trace struct {
	Kind         string     `json:"kind"` // allocation | donation | match
	AllocationID string     `json:"allocation_id,omitempty"`
	NeedID       string     `json:"need_id"`
	AmountFen    int64      `json:"amount_fen"`
	At           time.Time  `json:"at"`
	Disbursed    bool       `json:"disbursed"`
	DisbursedAt  *time.Time `json:"disbursed_at,omitempty"`
	// PaidFen is what of it was paid out so far. (Money that left the need
	// again — moved or refunded at the donor's choice — is in Giving.Choices.)
	PaidFen  int64          `json:"paid_fen"`
	Payments []TracePayment `json:"payments"`

	lotID, allocationID int64
	// offset is where, within its allocation, the part this trace follows
	// starts (allocation traces): an allocation's payments are shared out
	// among the donations that paid for it in the same order.
	offset int64
}

// TracePayment is a disbursement as a donor sees it: when, to what kind of
// payee, the invoice or receipt reference masked to its last four
// characters, and how much of it came from the traced money.
type TracePayment struct {
	DisbursementID  string       `json:"disbursement_id"`
	At              time.Time    `json:"at"`
	PayeeType       PayeeType    `json:"payee_type"`
	ProviderKind    ProviderKind `json:"provider_kind,omitempty"`
	ReferenceMasked string       `json:"reference_masked,omitempty"`
	AmountFen       int64        `json:"amount_fen"`
}

// GivingLine is one of a donor's pledges with where its money went.
type GivingLine struct {
	Pledge Pledge  `json:"-"`
	Traces []Trace `json:"traces"`
	// UnspentFen is what still waits in the fund or project.
	UnspentFen int64 `json:"unspent_fen"`
	// MatchedFen is what funds added to this pledge as matching gifts.
	MatchedFen int64 `json:"matched_fen"`
}

// Giving is a donor's own view.
type Giving struct {
	Lines []GivingLine
	// YearTotals sums confirmed, not refunded donations by receipt year (UTC+8).
	YearTotals map[int]int64
	Receipts   []Receipt
	// Choices are the donor's choices for money in needs that ended,
	// pending first (MyRedirects).
	Choices []Redirect
	// Recurring are the donor's monthly pledges.
	Recurring []Recurring
}

// MyGiving returns the donor's pledges, each traced to what it paid for. A
// fund's or project's money is fungible, so donations are traced first in,
// first out: the earliest confirmed donations pay for the earliest allocations.
func (s *Service) MyGiving(ctx context.Context, by *kernel.Principal) (*Giving, error) {
	ps, err := s.Store.DonorPledges(ctx, by.User.ID)
	if err != nil {
		return nil, err
	}
	g := &Giving{YearTotals: map[int]int64{}}
	fifo := map[int64]map[int64][]Trace{} // source → pledge row id → traces
	unspent := map[int64]map[int64]int64{}
	for _, p := range ps {
		if p.Status != PledgeConfirmed || p.SourceID == 0 || p.MatchedPledgeID != 0 || fifo[p.SourceID] != nil {
			continue
		}
		tr, un, err := s.traceSource(ctx, p.SourceID)
		if err != nil {
			return nil, err
		}
		fifo[p.SourceID], unspent[p.SourceID] = tr, un
	}
	var giftLines []int
	matched := map[int64]int64{}
	for _, p := range ps {
		if p.MatchedPledgeID != 0 && p.Status == PledgeConfirmed {
			matched[p.MatchedPledgeID] += p.AmountFen
		}
	}
	for _, p := range ps {
		if p.MatchedPledgeID != 0 {
			continue
		}
		line := GivingLine{Pledge: p, Traces: []Trace{}, MatchedFen: matched[p.ID]}
		switch {
		case p.Status != PledgeConfirmed:
		case p.SourceID != 0 && p.NeedID == 0:
			line.Traces = append(line.Traces, fifo[p.SourceID][p.ID]...)
			line.UnspentFen = unspent[p.SourceID][p.ID]
		case p.NeedID != 0:
			giftLines = append(giftLines, len(g.Lines))
		}
		g.Lines = append(g.Lines, line)
	}
	if err := s.traceGifts(ctx, g.Lines, giftLines); err != nil {
		return nil, err
	}
	if err := s.tracePayments(ctx, g.Lines); err != nil {
		return nil, err
	}
	if err := s.withholdTraces(ctx, g.Lines); err != nil {
		return nil, err
	}
	rs, err := s.Store.DonorReceipts(ctx, by.User.ID)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if err := s.openReceipt(&rs[i]); err != nil {
			return nil, err
		}
	}
	g.Receipts = rs
	if g.Choices, err = s.MyRedirects(ctx, by); err != nil {
		return nil, err
	}
	if g.Recurring, err = s.MyRecurring(ctx, by); err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.VoidedAt == nil {
			g.YearTotals[r.Year] += r.AmountFen
		}
	}
	return g, nil
}

// traceGifts traces the gifts to needs of lines[at]: where each gift's
// money sits (its need, or the need the donor moved it to) and the
// matching gifts it drew, each a Trace with what was paid and returned.
func (s *Service) traceGifts(ctx context.Context, lines []GivingLine, at []int) error {
	if len(at) == 0 {
		return nil
	}
	ids := make([]int64, len(at))
	byPledge := map[int64]*GivingLine{}
	for i, k := range at {
		ids[i] = lines[k].Pledge.ID
		byPledge[ids[i]] = &lines[k]
	}
	lots, needs, err := s.Store.PledgeLots(ctx, ids)
	if err != nil {
		return err
	}
	for _, l := range lots {
		line := byPledge[l.RootPledgeID]
		if line == nil {
			continue
		}
		kind := "donation"
		if l.Kind == LotMatch {
			kind = "match"
		}
		line.Traces = append(line.Traces, Trace{Kind: kind, NeedID: needs[l.NeedID], AmountFen: l.AmountFen, At: l.CreatedAt,
			PaidFen: l.PaidFen, Disbursed: l.AmountFen > 0 && l.PaidFen == l.AmountFen, lotID: l.ID})
	}
	return nil
}

// tracePayments fills each trace's payments: the disbursements that drew
// on its lot, or on its allocation's.
func (s *Service) tracePayments(ctx context.Context, lines []GivingLine) error {
	var allocIDs []int64
	for _, l := range lines {
		for _, t := range l.Traces {
			if t.allocationID != 0 {
				allocIDs = append(allocIDs, t.allocationID)
			}
		}
	}
	lotOfAlloc := map[int64]int64{}
	if len(allocIDs) > 0 {
		lots, err := s.Store.AllocationLots(ctx, allocIDs)
		if err != nil {
			return err
		}
		for _, l := range lots {
			lotOfAlloc[l.AllocationID] = l.ID
		}
	}
	var lotIDs []int64
	for i := range lines {
		for j := range lines[i].Traces {
			t := &lines[i].Traces[j]
			if t.allocationID != 0 {
				t.lotID = lotOfAlloc[t.allocationID]
			}
			if t.lotID != 0 {
				lotIDs = append(lotIDs, t.lotID)
			}
		}
	}
	ds, err := s.Store.LotDisbursements(ctx, lotIDs)
	if err != nil {
		return err
	}
	byLot := map[int64][]TracePayment{}
	for _, d := range ds {
		for _, p := range d.Parts {
			byLot[p.LotID] = append(byLot[p.LotID], TracePayment{DisbursementID: d.PublicID, At: d.CreatedAt, PayeeType: d.PayeeType,
				ProviderKind: d.ProviderKind, ReferenceMasked: d.ReferenceMasked, AmountFen: p.AmountFen})
		}
	}
	for i := range lines {
		for j := range lines[i].Traces {
			t := &lines[i].Traces[j]
			t.Payments = byLot[t.lotID]
			if t.allocationID != 0 {
				t.Payments = shareOf(t.Payments, t.offset, t.AmountFen)
				for _, p := range t.Payments {
					t.PaidFen += p.AmountFen
				}
			}
			if t.Payments == nil {
				t.Payments = []TracePayment{}
			}
		}
	}
	return nil
}

// withholdTraces blanks, in the traces of a donation to a fund or project,
// every need the fund's organization's region does not cover
// (marketplace.ShownOrg): the donor knows the fund, and a county fund's
// list of needs would put a need shown at 全国 back in its county
// (docs/privacy.md). The amount, dates and payments stay. A gift to a
// need is the donor's own choice of need and is shown as it is.
func (s *Service) withholdTraces(ctx context.Context, lines []GivingLine) error {
	regions := map[string]string{} // need public id → region shown
	for i := range lines {
		l := &lines[i]
		if l.Pledge.SourceID == 0 || l.Pledge.NeedID != 0 || len(l.Traces) == 0 {
			continue
		}
		shownBy := map[string]bool{}
		for j := range l.Traces {
			t := &l.Traces[j]
			if t.NeedID == "" {
				continue
			}
			r, ok := regions[t.NeedID]
			if !ok {
				n, err := s.Store.Need(ctx, t.NeedID)
				if err != nil && !errors.Is(err, kernel.ErrNotFound) {
					return err
				}
				r = kernel.NationalRegion
				if err == nil {
					r = n.DisclosedRegion()
				}
				regions[t.NeedID] = r
			}
			shown, ok := shownBy[r]
			if !ok {
				m, err := s.SourcesShown(ctx, r, l.Pledge.OrgName)
				if err != nil {
					return err
				}
				shown = m[l.Pledge.OrgName]
				shownBy[r] = shown
			}
			if !shown {
				t.NeedID, t.AllocationID = "", ""
			}
		}
	}
	return nil
}

// shareOf is what of an allocation's payments (in the order they were
// made) fell on the part [offset, offset+amount) of it, first paid first.
func shareOf(payments []TracePayment, offset, amount int64) []TracePayment {
	var out []TracePayment
	var at int64
	for _, p := range payments {
		from, to := max(at, offset), min(at+p.AmountFen, offset+amount)
		if to > from {
			q := p
			q.AmountFen = to - from
			out = append(out, q)
		}
		at += p.AmountFen
	}
	return out
}

// traceSource matches a source's confirmed donations to its allocations in
// order and returns, per pledge, the parts of allocations it paid for and
// what of it is unspent.
func (s *Service) traceSource(ctx context.Context, sourceID int64) (map[int64][]Trace, map[int64]int64, error) {
	ps, err := s.Store.ConfirmedPledgesTo(ctx, sourceID)
	if err != nil {
		return nil, nil, err
	}
	as, err := s.Store.AllocationsOf(ctx, sourceID, 0)
	if err != nil {
		return nil, nil, err
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].ConfirmedAt.Before(*ps[j].ConfirmedAt) })
	out := map[int64][]Trace{}
	un := map[int64]int64{}
	pi, left := 0, int64(0)
	if len(ps) > 0 {
		left = ps[0].AmountFen
	}
	for _, a := range as {
		if a.Status == AllocReversed {
			continue
		}
		need := a.AmountFen
		for need > 0 && pi < len(ps) {
			take := min(need, left)
			if take > 0 {
				out[ps[pi].ID] = append(out[ps[pi].ID], Trace{Kind: "allocation", AllocationID: a.PublicID, NeedID: a.NeedPublicID,
					AmountFen: take, At: a.CreatedAt, Disbursed: a.Status == AllocDisbursed, DisbursedAt: a.DisbursedAt, allocationID: a.ID,
					offset: a.AmountFen - need})
			}
			need -= take
			left -= take
			if left == 0 {
				pi++
				if pi < len(ps) {
					left = ps[pi].AmountFen
				}
			}
		}
	}
	for i := pi; i < len(ps); i++ {
		if i == pi {
			un[ps[i].ID] = left
		} else {
			un[ps[i].ID] = ps[i].AmountFen
		}
	}
	return out, un, nil
}

// Receipt returns a receipt to its donor or to staff of the issuing
// organization; ErrNotFound to anyone else.
func (s *Service) Receipt(ctx context.Context, by *kernel.Principal, publicID string) (*Receipt, error) {
	r, err := s.Store.Receipt(ctx, publicID)
	if err != nil {
		return nil, err
	}
	if r.DonorID != by.User.ID && !staffOf(by, r.OrgID) {
		return nil, kernel.ErrNotFound
	}
	if err := s.openReceipt(r); err != nil {
		return nil, err
	}
	return r, nil
}

// MyPendingPledges returns the donor's pledges to one need, fund or project
// that wait for their money, so that a page can show them before the donor
// pledges again (after going back, say).
func (s *Service) MyPendingPledges(ctx context.Context, by *kernel.Principal, tt TargetType, targetID string) ([]Pledge, error) {
	if by == nil || !by.Has(kernel.RoleDonor) {
		return nil, nil
	}
	ps, err := s.Store.DonorPledges(ctx, by.User.ID)
	if err != nil {
		return nil, err
	}
	var out []Pledge
	for _, p := range ps {
		if p.TargetType == tt && p.TargetPublicID == targetID && p.Status == PledgePending {
			out = append(out, p)
		}
	}
	return out, nil
}
