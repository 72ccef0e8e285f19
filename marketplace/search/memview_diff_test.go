package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// TestMemoryViewAgreesWithBleveOverTime holds the bitmap view beside Bleve
// (memview.go) to Bleve's own answers (searchBleve) on random needs in every
// public status and random queries, over many seeds: words, filters, sorts,
// pages and statuses computed at a Now that moves back and forth across
// notice ends and deadlines (the view keeps the needs ended at the last Now
// it saw and reuses them until Now passes another end), before and after
// upserts that change needs' statuses and money, and deletes.
// TestBleveMemoryViewAgreesWithBleve covers open and notice needs at one
// Now on a larger index.
func TestMemoryViewAgreesWithBleveOverTime(t *testing.T) {
	seeds := 8
	if testing.Short() {
		seeds = 2
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 0x6d656d76))
			b := MustOpenBleve(t)
			ctx := context.Background()
			needs := genNeeds(300+r.IntN(300), 100+seed)
			for i := range needs {
				varyNeed(r, &needs[i])
			}
			if err := b.Upsert(ctx, needs); err != nil {
				t.Fatal(err)
			}
			now := genNow
			compare := func(round string) {
				t.Helper()
				for range 120 {
					// Now mostly stays, sometimes steps forward or back by up
					// to ten days: the view's cached ended notices and
					// expired needs must follow either way.
					// On the hour it often falls exactly on a notice's end or a
					// deadline.
					switch r.IntN(6) {
					case 0:
						now = genNow.Add(time.Duration(r.IntN(480)-240) * time.Hour)
					case 1:
						now = genNow.Add(time.Duration(r.IntN(480)-240) * time.Hour).Add(time.Duration(1+r.IntN(3599)) * time.Second)
					}
					if d := viewDiff(t, b, varyQuery(r, now)); d != "" {
						t.Fatalf("seed %d, %s: %s", seed, round, d)
					}
				}
			}
			compare("fresh")
			var changed []marketplace.PublicNeed
			var gone []string
			for i := range needs {
				switch r.IntN(6) {
				case 0:
					n := needs[i]
					varyNeed(r, &n)
					changed = append(changed, n)
				case 1:
					gone = append(gone, needs[i].ID)
				}
			}
			if err := b.Upsert(ctx, changed); err != nil {
				t.Fatal(err)
			}
			if err := b.Delete(ctx, gone); err != nil {
				t.Fatal(err)
			}
			compare("after upserts and deletes")
		})
	}
}

// varyNeed moves a generated need to a random public status with money and
// dates that fit it: funded and disbursed needs are fully funded; open and
// notice ones may have a deadline already past (expired unless fully funded)
// and a notice that ends around genNow.
func varyNeed(r *rand.Rand, n *marketplace.PublicNeed) {
	n.Status = kernel.NeedOpen
	n.NoticeEndsAt = nil
	n.FundedFen = n.RequestedFen * int64(r.IntN(100)) / 100
	switch k := r.IntN(20); {
	case k < 3:
		n.Status, n.FundedFen = kernel.NeedFunded, n.RequestedFen
	case k < 4:
		n.Status, n.FundedFen = kernel.NeedDisbursed, n.RequestedFen
	case k < 5:
		n.Status = kernel.NeedClosed
	case k < 9:
		n.Status = kernel.NeedNotice
		end := genNow.Add(time.Duration(r.IntN(480)-240) * time.Hour)
		n.NoticeEndsAt = &end
	case k < 10:
		n.FundedFen = n.RequestedFen // open and fully funded: never expires
	}
	n.RemainingFen = n.RequestedFen - n.FundedFen
	switch r.IntN(3) {
	case 0:
		n.Deadline = nil
	default:
		d := genNow.Add(time.Duration(r.IntN(720)-360) * time.Hour)
		n.Deadline = &d
	}
}

// varyQuery is genQuery with random statuses at now and a random page size.
func varyQuery(r *rand.Rand, now time.Time) Query {
	q := genQuery(r)
	q.Now = now
	all := []kernel.NeedStatus{kernel.NeedOpen, kernel.NeedNotice, kernel.NeedFunded,
		kernel.NeedDisbursed, kernel.NeedClosed, kernel.NeedExpired}
	q.Statuses = nil
	for range 1 + r.IntN(3) {
		q.Statuses = append(q.Statuses, all[r.IntN(len(all))])
	}
	if r.IntN(5) == 0 {
		q.Q = ""
	}
	q.PerPage = 1 + r.IntN(50)
	if q.Page > 1 && q.Page*q.PerPage > MaxWindow {
		q.Page = 1
	}
	return q
}
