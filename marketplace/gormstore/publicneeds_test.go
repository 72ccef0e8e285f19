package gormstore_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

var allStatuses = []kernel.NeedStatus{
	kernel.NeedDraft, kernel.NeedSubmitted, kernel.NeedCleared, kernel.NeedNotice, kernel.NeedOpen,
	kernel.NeedFunded, kernel.NeedDisbursed, kernel.NeedClosed, kernel.NeedRejected, kernel.NeedWithdrawn,
	kernel.NeedSuspended, kernel.NeedReferred,
}

// Only published, consented needs in a public status are public, and the
// SQL filter of the bulk readers agrees with the check of the single ones.
func TestPublicNeedVisibility(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		base := needfixture.Setup(t, db, "阳光社工站")
		now := time.Now().UTC()
		type tc struct {
			status               kernel.NeedStatus
			unpublished, noCons  bool
			noRegion, wantPublic bool
		}
		var cases []tc
		for _, st := range allStatuses {
			pub := st == kernel.NeedNotice || st == kernel.NeedOpen || st == kernel.NeedFunded ||
				st == kernel.NeedDisbursed || st == kernel.NeedClosed
			cases = append(cases, tc{status: st, wantPublic: pub}, tc{status: st, unpublished: true},
				tc{status: st, noCons: true}, tc{status: st, noRegion: true})
		}
		var needs []needfixture.Need
		for _, c := range cases {
			needs = append(needs, needfixture.Need{Status: string(c.status), Unpublished: c.unpublished, NoConsent: c.noCons})
		}
		// The fixture fills an empty public region; the public region is
		// blanked afterwards for the noRegion cases.
		rowIDs, ids := base.Insert(t, db, needs...)
		for i, c := range cases {
			if c.noRegion {
				if err := db.Gorm.Exec("UPDATE needs SET public_region_code = '' WHERE id = ?", rowIDs[i]).Error; err != nil {
					t.Fatal(err)
				}
			}
		}
		var wantPublic, wantHidden []string
		for i, c := range cases {
			_, err := s.PublicNeed(ctx, ids[i], now)
			switch {
			case c.wantPublic && err != nil:
				t.Errorf("%+v: PublicNeed: %v, want the need", c, err)
			case !c.wantPublic && !errors.Is(err, kernel.ErrNotFound):
				t.Errorf("%+v: PublicNeed: %v, want ErrNotFound", c, err)
			}
			if c.wantPublic {
				wantPublic = append(wantPublic, ids[i])
			} else {
				wantHidden = append(wantHidden, ids[i])
			}
		}
		if len(wantPublic) != 5 {
			t.Fatalf("%d public cases, want 5", len(wantPublic))
		}
		pub, hidden, err := s.PublicNeedsByRowID(ctx, append(rowIDs, 999999), now)
		if err != nil {
			t.Fatal(err)
		}
		if got := idsOf(pub); !slices.Equal(got, wantPublic) {
			t.Errorf("PublicNeedsByRowID public = %v, want %v", got, wantPublic)
		}
		if !slices.Equal(hidden, wantHidden) {
			t.Errorf("PublicNeedsByRowID hidden = %v, want %v", hidden, wantHidden)
		}
		// By public id (the titles of a page's table): only the public ones.
		byID, err := s.PublicNeedsByPublicID(ctx, append(slices.Clone(ids), "nosuch"), now)
		if err != nil {
			t.Fatal(err)
		}
		gotByID := idsOf(byID)
		slices.Sort(gotByID)
		sortedPublic := slices.Clone(wantPublic)
		slices.Sort(sortedPublic)
		if !slices.Equal(gotByID, sortedPublic) {
			t.Errorf("PublicNeedsByPublicID = %v, want %v", gotByID, sortedPublic)
		}
		// Paged readers, 3 at a time.
		var paged, pagedHidden []string
		for after := int64(0); ; {
			ns, last, err := s.PublicNeedsAfter(ctx, after, 3, now)
			if err != nil {
				t.Fatal(err)
			}
			if last == 0 {
				break
			}
			paged, after = append(paged, idsOf(ns)...), last
		}
		for after := int64(0); ; {
			hs, last, err := s.HiddenNeedIDsAfter(ctx, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			if last == 0 {
				break
			}
			pagedHidden, after = append(pagedHidden, hs...), last
		}
		if !slices.Equal(paged, wantPublic) || !slices.Equal(pagedHidden, wantHidden) {
			t.Errorf("paged: public %v hidden %v, want %v and %v", paged, pagedHidden, wantPublic, wantHidden)
		}
		if n, err := s.CountPublicNeeds(ctx); err != nil || n != len(wantPublic) {
			t.Errorf("CountPublicNeeds = %d, %v; want %d", n, err, len(wantPublic))
		}
		if _, err := s.PublicNeed(ctx, "no-such-need", now); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("unknown id: %v", err)
		}
	})
}

func idsOf(ns []marketplace.PublicNeed) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

// The projection carries the public columns, the organization and region
// names, the remaining amount and the status at the time asked.
func TestPublicNeedProjection(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		base := needfixture.Setup(t, db, "阳光社工站")
		ends := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
		deadline := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
		published := time.Date(2026, 11, 20, 8, 30, 15, 0, time.UTC)
		_, ids := base.Insert(t, db,
			needfixture.Need{Status: "notice", Category: "education", Urgency: "urgent", RegionCode: "371725", PublicRegionCode: "371700",
				AgeBand: "14_17", HouseholdTypes: "dibao,orphan", PublicHouseholdTypes: "dibao", PublicTitle: "高中生学费困难",
				PublicStory: "某某同学考上高中，学费无着落。", VerifiedCostFen: 800000, StatutoryReliefFen: 200000, FundedFen: 150000,
				ServiceNeeds: "tutoring,emotional_support", Deadline: &deadline, NoticeEndsAt: &ends, PublishedAt: &published},
			needfixture.Need{PublicHouseholdTypes: `["tekun","elderly_alone"]`, Emergency: true, PublicOrgShown: true})
		before, err := s.PublicNeed(ctx, ids[0], ends.Add(-time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		want := marketplace.PublicNeed{
			ID: ids[0], Status: kernel.NeedNotice, Category: kernel.CatEducation, RegionCode: "371700", RegionName: "山东省菏泽市",
			AgeBand: kernel.Age14to17, HouseholdTypes: []kernel.HouseholdType{kernel.HHDibao}, Title: "高中生学费困难",
			Story: "某某同学考上高中，学费无着落。", VerifiedCostFen: 800000, StatutoryReliefFen: 200000, RequestedFen: 600000,
			FundedFen: 150000, RemainingFen: 450000, Urgency: kernel.UrgencyUrgent, Deadline: &deadline,
			ServiceNeeds: []kernel.Service{kernel.SvcTutoring, kernel.SvcEmotional}, NoticeEndsAt: &ends,
			// The posting agency is a county's (371725), finer than the
			// region shown (371700): naming it would put the need back in
			// its county, so only its kind is shown.
			PublishedAt: &published, OrgKind: kernel.OrgSocialWorkAgency,
		}
		if !equalNeed(*before, want) {
			t.Errorf("projection\n got %+v\nwant %+v", *before, want)
		}
		after, err := s.PublicNeed(ctx, ids[0], ends)
		if err != nil || after.Status != kernel.NeedOpen {
			t.Errorf("at the end of notice: status %v, %v; want open", after.Status, err)
		}
		other, err := s.PublicNeed(ctx, ids[1], ends)
		if err != nil {
			t.Fatal(err)
		}
		// Shown at the agency's own county: it is named.
		if other.RegionCode != "371725" || other.OrgName != "阳光社工站" || other.OrgID != base.OrgPublicID {
			t.Errorf("a need shown at its agency's county: org %q %q at %s", other.OrgID, other.OrgName, other.RegionCode)
		}
		if !slices.Equal(other.HouseholdTypes, []kernel.HouseholdType{kernel.HHTekun, kernel.HHElderlyAlone}) ||
			other.ServiceNeeds == nil || len(other.ServiceNeeds) != 0 || !other.Emergency || other.Deadline != nil || other.NoticeEndsAt != nil {
			t.Errorf("second need: %+v", other)
		}
	})
}

func equalNeed(a, b marketplace.PublicNeed) bool {
	eqT := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	if !eqT(a.Deadline, b.Deadline) || !eqT(a.NoticeEndsAt, b.NoticeEndsAt) || !eqT(a.PublishedAt, b.PublishedAt) {
		return false
	}
	if !slices.Equal(a.HouseholdTypes, b.HouseholdTypes) || !slices.Equal(a.ServiceNeeds, b.ServiceNeeds) {
		return false
	}
	a.Deadline, a.NoticeEndsAt, a.PublishedAt, a.HouseholdTypes, a.ServiceNeeds = nil, nil, nil, nil, nil
	b.Deadline, b.NoticeEndsAt, b.PublishedAt, b.HouseholdTypes, b.ServiceNeeds = nil, nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

// A drain that fails keeps its rows; a drain that succeeds deletes only the
// rows it was given, so a change written meanwhile is drained next time.
func TestDrainSearchOutbox(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		base := needfixture.Setup(t, db, "阳光社工站")
		rowIDs, _ := base.Insert(t, db, needfixture.Need{}, needfixture.Need{}, needfixture.Need{})
		needfixture.Update(t, db, rowIDs[0], map[string]any{"funded_fen": 1000}) // a second row for need 0
		boom := errors.New("index down")
		n, err := s.DrainSearchOutbox(ctx, 10, func(ctx context.Context, ids []int64) error { return boom })
		if !errors.Is(err, boom) || n != 0 {
			t.Fatalf("failing drain: %d, %v", n, err)
		}
		if l, _ := s.SearchOutboxLen(ctx); l != 4 {
			t.Fatalf("after a failed drain %d rows, want 4", l)
		}
		var got []int64
		n, err = s.DrainSearchOutbox(ctx, 10, func(ctx context.Context, ids []int64) error {
			got = ids
			// A change committed while the index is written.
			needfixture.Update(t, db, rowIDs[2], map[string]any{"funded_fen": 2000})
			return nil
		})
		if err != nil || n != 4 {
			t.Fatalf("drain: %d, %v", n, err)
		}
		if !slices.Equal(got, rowIDs) {
			t.Errorf("drained needs %v, want each of %v once", got, rowIDs)
		}
		n, err = s.DrainSearchOutbox(ctx, 10, func(ctx context.Context, ids []int64) error { got = ids; return nil })
		if err != nil || n != 1 || !slices.Equal(got, rowIDs[2:]) {
			t.Errorf("second drain: %d %v %v, want the change made meanwhile", n, got, err)
		}
		if n, err := s.DrainSearchOutbox(ctx, 10, func(ctx context.Context, ids []int64) error { t.Error("called on empty outbox"); return nil }); n != 0 || err != nil {
			t.Errorf("empty drain: %d, %v", n, err)
		}
	})
}

// Two drainers never hold the same rows at once: the second waits for the
// first to finish with the oldest rows (so an older projection can never be
// indexed after a newer one).
func TestDrainSearchOutboxExcludesConcurrentDrainers(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		s := gormstore.New(db)
		base := needfixture.Setup(t, db, "阳光社工站")
		var needs []needfixture.Need
		for i := 0; i < 40; i++ {
			needs = append(needs, needfixture.Need{})
		}
		base.Insert(t, db, needs...)
		var mu sync.Mutex
		inside, maxInside, total := 0, 0, 0
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					n, err := s.DrainSearchOutbox(ctx, 7, func(ctx context.Context, ids []int64) error {
						mu.Lock()
						inside++
						maxInside = max(maxInside, inside)
						for _, id := range ids {
							seen[id]++
						}
						mu.Unlock()
						time.Sleep(5 * time.Millisecond)
						mu.Lock()
						inside--
						mu.Unlock()
						return nil
					})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					total += n
					mu.Unlock()
					if n == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		if maxInside != 1 {
			t.Errorf("%d drainers held rows at once, want 1", maxInside)
		}
		if total != 40 || len(seen) != 40 {
			t.Errorf("drained %d rows of %d needs, want 40 of 40", total, len(seen))
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("need %d drained %d times", id, k)
			}
		}
	})
}
