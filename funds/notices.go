package funds

import (
	"time"

	"github.com/jiujinan/jiujinan/notify"
)

// The notifications of money (package notify), written with the money's
// transaction (Tx.Publish). Other payment channels call the same:
// notify.Publish(ctx, tx, notify.PledgeConfirmed(…)) or
// notify.MonthlyGiftTaken(…) where their money is recorded.

// giftOf is what a notice says of pledge p.
func giftOf(p *Pledge) notify.Gift {
	g := notify.Gift{Pledge: p.PublicID, DonorRow: p.DonorID, AmountFen: p.AmountFen, Org: p.OrgName}
	if p.TargetType == TargetNeed {
		g.Need = p.TargetPublicID
	}
	return g
}

// confirmedNotices tell the donor that a pledge's money arrived: the month
// of a monthly gift, or a pledge. A matching gift (配捐) is a fund's, whose
// staff confirmed nothing by hand: no notice.
func confirmedNotices(p *Pledge, now time.Time) []notify.Event {
	switch {
	case p.MatchedPledgeID != 0:
		return nil
	case p.RecurringID != 0:
		return []notify.Event{notify.MonthlyGiftTaken(giftOf(p), now)}
	}
	return []notify.Event{notify.PledgeConfirmed(giftOf(p), now)}
}

// disbursedNotices tell each donor whose gift paid part of disbursement d
// how much of it was paid out (the need's lots as d drew on them).
func disbursedNotices(d *Disbursement, lots []Lot, now time.Time) []notify.Event {
	byLot := make(map[int64]*Lot, len(lots))
	for i := range lots {
		byLot[lots[i].ID] = &lots[i]
	}
	paid := map[int64]int64{}
	var order []int64
	for _, part := range d.Parts {
		l := byLot[part.LotID]
		if l == nil || l.Kind != LotGift || l.RootPledgeID == 0 {
			continue
		}
		if _, seen := paid[l.RootPledgeID]; !seen {
			order = append(order, l.RootPledgeID)
		}
		paid[l.RootPledgeID] += part.AmountFen
	}
	n := notify.NeedRef{ID: d.NeedPublicID}
	out := make([]notify.Event, 0, len(order))
	for _, pledge := range order {
		out = append(out, notify.GiftDisbursed(d.PublicID, pledge, paid[pledge], n, now))
	}
	return out
}
