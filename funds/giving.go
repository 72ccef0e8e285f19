package funds

import (
	"context"
	"sort"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// Trace is a part of a donation that went on to a need.
type Trace struct {
	Kind         string     `json:"kind"` // allocation | donation
	AllocationID string     `json:"allocation_id,omitempty"`
	NeedID       string     `json:"need_id"`
	AmountFen    int64      `json:"amount_fen"`
	At           time.Time  `json:"at"`
	Disbursed    bool       `json:"disbursed"`
	DisbursedAt  *time.Time `json:"disbursed_at,omitempty"`
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
			t := Trace{Kind: "donation", NeedID: p.TargetPublicID, AmountFen: p.AmountFen, At: *p.ConfirmedAt}
			line.Traces = append(line.Traces, t)
		}
		g.Lines = append(g.Lines, line)
	}
	rs, err := s.Store.DonorReceipts(ctx, by.User.ID)
	if err != nil {
		return nil, err
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
					AmountFen: take, At: a.CreatedAt, Disbursed: a.Status == AllocDisbursed, DisbursedAt: a.DisbursedAt})
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
	return r, nil
}
