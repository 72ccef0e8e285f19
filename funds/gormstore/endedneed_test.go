package gormstore_test

import (
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// The SQL that finds pledges to redirect (an ended need) says of every
// need what marketplace.NeedEndReason says: every stored status, deadlines
// before, at and after now or none, and the money unfunded, part funded,
// funded, part and fully disbursed.
func TestEndedNeedSQLAgreesWithNeedEndReason(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		id := f.need(needSpec{RequestedFen: 1000})
		now := f.now.Load().Truncate(time.Second)
		past, at, future := now.Add(-time.Hour), now, now.Add(time.Hour)
		statuses := []kernel.NeedStatus{kernel.NeedDraft, kernel.NeedSubmitted, kernel.NeedCleared,
			kernel.NeedNotice, kernel.NeedOpen, kernel.NeedFunded, kernel.NeedDisbursed,
			kernel.NeedClosed, kernel.NeedRejected, kernel.NeedWithdrawn, kernel.NeedSuspended,
			kernel.NeedReferred}
		money := [][2]int64{{0, 0}, {400, 0}, {400, 400}, {1000, 0}, {1000, 600}, {1000, 1000}}
		reasons := map[string]int{}
		for _, st := range statuses {
			for _, dl := range []*time.Time{nil, &past, &at, &future} {
				for _, m := range money {
					if err := needfixture.Set(t.Context(), db.Gorm, id, map[string]any{"status": string(st), "deadline": dl, "requested_fen": 1000,
						"funded_fen": m[0], "disbursed_fen": m[1]}); err != nil {
						t.Fatal(err)
					}
					var n int
					if err := db.Gorm.Raw("SELECT COUNT(*) FROM needs n WHERE n.public_id = ? AND "+gormstore.EndedNeedSQL, id, now).Scan(&n).Error; err != nil {
						t.Fatal(err)
					}
					why := marketplace.NeedEndReason(st, dl, 1000, m[0], m[1], now)
					reasons[why]++
					want := why != ""
					if got := n == 1; got != want {
						deadline := "none"
						if dl != nil {
							deadline = dl.Sub(now).String()
						}
						t.Errorf("%s, deadline %s from now, funded %d, disbursed %d: SQL says ended=%v, NeedEndReason says %v",
							st, deadline, m[0], m[1], got, want)
					}
				}
			}
		}
		// Withdrawn, closed with money not paid out, open or in notice past
		// the deadline short of the request: all three reasons were seen.
		for _, why := range []string{marketplace.EndWithdrawn, marketplace.EndClosed, marketplace.EndExpired, ""} {
			if reasons[why] == 0 {
				t.Errorf("no case with end reason %q: the table does not exercise the rule", why)
			}
		}
	})
}
