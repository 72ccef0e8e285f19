package gormstore_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/matching/screening"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/oklog/ulid/v2"

	"github.com/jiujinan/jiujinan/marketplace"
	mgorm "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/matching/screening/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

func newID() string { return strings.ToLower(ulid.MustNew(ulid.Now(), rand.Reader).String()) }

// fakePayments is the statutory record as a list, filtered like the store.
type fakePayments struct {
	mu   sync.Mutex
	rows map[string][]screening.StatutoryPayment
}

func (f *fakePayments) add(pseudonym string, p screening.StatutoryPayment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rows == nil {
		f.rows = map[string][]screening.StatutoryPayment{}
	}
	f.rows[pseudonym] = append(f.rows[pseudonym], p)
}

func (f *fakePayments) PaymentsFor(ctx context.Context, pseudonym string, from, to time.Time) ([]screening.StatutoryPayment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []screening.StatutoryPayment
	for _, p := range f.rows[pseudonym] {
		if (screening.Period{From: from, To: to}).Overlaps(screening.Period{From: p.From, To: p.To}) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakePayments) PaymentsForAny(ctx context.Context, pseudonyms []string, from, to time.Time) ([]screening.StatutoryPayment, error) {
	var out []screening.StatutoryPayment
	seen := map[string]bool{}
	for _, ps := range pseudonyms {
		if seen[ps] {
			continue
		}
		seen[ps] = true
		got, _ := f.PaymentsFor(ctx, ps, from, to)
		for _, p := range got {
			p.Pseudonym = ps
			out = append(out, p)
		}
	}
	return out, nil
}

// fixture is a migrated database with organizations, a verifier and a way
// to post needs directly into the needs table.
type fixture struct {
	t        testing.TB
	db       *sqldb.DB
	svc      *screening.Service
	pays     *fakePayments
	pseudo   *marketplace.Pseudonymizer
	verifier *kernel.Principal
	worker   *kernel.Principal
	orgA     *kernel.Org
	orgB     *kernel.Org
	userKey  int64
	now      time.Time
}

func newFixture(t testing.TB, db *sqldb.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, db: db, pays: &fakePayments{}, now: time.Date(2026, 2, 10, 3, 0, 0, 0, time.UTC)}
	store := mgorm.New(db)
	acc := marketplace.NewAccountService(store, func() time.Time { return f.now }, newID)
	u, err := acc.CreateAdmin(ctx, "admin@test.example", "admin-password-1", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := store.Principal(ctx, u.PublicID)
	f.orgA, err = acc.CreateOrg(ctx, admin, marketplace.NewOrg{Name: "甲社工", Kind: kernel.OrgSocialWorkAgency, RegionCode: "371725"})
	if err != nil {
		t.Fatal(err)
	}
	f.orgB, _ = acc.CreateOrg(ctx, admin, marketplace.NewOrg{Name: "乙慈善", Kind: kernel.OrgCharity, RegionCode: "371725"})
	civil, _ := acc.CreateOrg(ctx, admin, marketplace.NewOrg{Name: "民政", Kind: kernel.OrgCivilAffairs, RegionCode: "371725"})
	v, err := acc.AddMember(ctx, admin, civil.PublicID, marketplace.NewUser{Email: "v@test.example", Password: "password-verifier", DisplayName: "V", Role: kernel.RoleVerifier})
	if err != nil {
		t.Fatal(err)
	}
	f.verifier, _ = store.Principal(ctx, v.PublicID)
	w, _ := acc.AddMember(ctx, admin, f.orgA.PublicID, marketplace.NewUser{Email: "w@test.example", Password: "password-worker1", DisplayName: "W", Role: kernel.RoleSocialWorker})
	f.worker, _ = store.Principal(ctx, w.PublicID)
	f.userKey = w.ID
	f.pseudo, _ = marketplace.NewPseudonymizer([]byte(strings.Repeat("k", 32)))
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	c, _ := marketplace.NewCipher([]marketplace.DataKey{{ID: "d1", Key: key}})
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	f.svc = screening.NewService(gormstore.NewScreenings(db), f.pays, screening.DefaultConfig(), c, d, func() time.Time { return f.now }, newID)
	return f
}

type needSpec struct {
	org        *kernel.Org
	idNumber   string
	status     kernel.NeedStatus
	category   kernel.Category
	from, to   string
	cost, stat int64
	req, fund  int64
	households string
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// post inserts a beneficiary and a need as the needs area would, and
// returns the need's public id.
func (f *fixture) post(s needSpec) string {
	f.t.Helper()
	if s.org == nil {
		s.org = f.orgA
	}
	if s.status == "" {
		s.status = kernel.NeedSubmitted
	}
	if s.category == "" {
		s.category = kernel.CatMedical
	}
	p := f.pseudo.Of(s.idNumber)
	g := f.db.Gorm
	bid := newID()
	if err := g.Exec(`INSERT INTO beneficiaries (public_id, org_id, pseudonym, identity_ct, identity_kid, region_code, age_band, sex, household_types, created_at)
		VALUES (?, ?, ?, ?, 'd1', '371725', '18_59', 'F', ?, ?)`, bid, s.org.ID, p, []byte{1}, s.households, f.now).Error; err != nil {
		f.t.Fatal(err)
	}
	var ben struct{ ID int64 }
	g.Raw(`SELECT id FROM beneficiaries WHERE public_id = ?`, bid).Scan(&ben)
	id := newID()
	if err := needfixture.Create(context.Background(), g, map[string]any{"public_id": id, "org_id": s.org.ID, "created_by": f.userKey,
		"beneficiary_id": ben.ID, "pseudonym": p, "status": string(s.status), "category": string(s.category), "urgency": "normal",
		"region_code": "371725", "age_band": "18_59", "household_types": s.households, "private_ct": []byte{1}, "private_kid": "d1",
		"public_story": "", "verified_cost_fen": s.cost, "statutory_relief_fen": s.stat, "requested_fen": s.req, "funded_fen": s.fund,
		"cost_from": date(s.from), "cost_to": date(s.to), "created_at": f.now, "updated_at": f.now}); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) pay(idNumber string, prog kernel.Programme, fen int64, from, to string) string {
	id := newID()
	f.pays.add(f.pseudo.Of(idNumber), screening.StatutoryPayment{ID: id, Programme: prog, AmountFen: fen, From: date(from), To: date(to), RegionCode: "371725"})
	return id
}

func (f *fixture) needResult(id string) (string, bool) {
	var r struct {
		ScreeningResult string
		BlockOverride   bool
	}
	f.db.Gorm.Raw(`SELECT screening_result, block_override FROM needs WHERE public_id = ?`, id).Scan(&r)
	return r.ScreeningResult, r.BlockOverride
}

const idX = "11010519491231002X"

func TestScreenStoresTheResultOnTheNeed(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		a := f.post(needSpec{idNumber: idX, from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, stat: 200_000, req: 800_000})
		f.pay(idX, kernel.ProgMedical, 200_000, "2026-01-15", "2026-01-15")
		s, err := f.svc.Screen(ctx, a, kernel.StageSubmit, 0)
		if err != nil {
			t.Fatal(err)
		}
		if s.Result != kernel.ScreenClear || s.NeedID != a || len(s.Checks) != 4 {
			t.Fatalf("screening: %+v", s)
		}
		if r, _ := f.needResult(a); r != "clear" {
			t.Errorf("needs.screening_result = %q", r)
		}
		// The same person under an ID with a lowercase x, at another
		// organization, same category and period: a duplicate.
		b := f.post(needSpec{org: f.orgB, idNumber: strings.ToLower(idX), status: kernel.NeedOpen, from: "2026-01-20", to: "2026-02-20", cost: 1_000_000, stat: 200_000, req: 800_000, fund: 300_000})
		s, err = f.svc.Screen(ctx, a, kernel.StageAllocate, 500_001)
		if err != nil {
			t.Fatal(err)
		}
		if s.Result != kernel.ScreenBlock {
			t.Fatalf("result %s, want block: %+v", s.Result, s.Checks)
		}
		dup := s.Checks[1]
		if dup.Rule != kernel.RuleCrossCharityDuplicate || dup.Result != kernel.ScreenWarn || len(dup.Evidence) != 1 || dup.Evidence[0].ID != b {
			t.Errorf("duplicate check: %+v", dup)
		}
		// The amount alone blocks: the request is refused on its own and the
		// need keeps the result of its own screening.
		if r, _ := f.needResult(a); r != "clear" {
			t.Errorf("needs.screening_result = %q after a refused request, want clear", r)
		}
		// Withdrawn, it no longer counts.
		if err := needfixture.Set(ctx, db.Gorm, b, map[string]any{"status": "withdrawn"}); err != nil {
			t.Fatal(err)
		}
		s, _ = f.svc.Screen(ctx, a, kernel.StageAllocate, 500_001)
		if s.Result != kernel.ScreenClear {
			t.Errorf("after withdrawal: %s %+v", s.Result, s.Checks)
		}
		// History: three screenings, the latest first.
		recs, err := f.svc.Screenings(ctx, f.verifier, a, true)
		if err != nil || len(recs) != 3 || recs[0].ID != s.ID || !recs[0].Latest || recs[1].Latest {
			t.Fatalf("history: %d %v", len(recs), err)
		}
		if _, err := f.svc.Screen(ctx, "01jjnotaneed0000000000000", kernel.StageSubmit, 0); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("unknown need: %v", err)
		}
		if _, err := f.svc.Screen(ctx, a, kernel.StageAllocate, -1); err == nil {
			t.Error("a negative amount was screened")
		}
	})
}

func TestOverrideHoldsUntilTheEvidenceChanges(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		a := f.post(needSpec{idNumber: idX, from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, stat: 0, req: 1_000_000})
		f.pay(idX, kernel.ProgMedical, 100_000, "2026-01-31", "2026-01-31")
		s, _ := f.svc.Screen(ctx, a, kernel.StageSubmit, 0)
		if s.Result != kernel.ScreenBlock {
			t.Fatalf("want block: %+v", s)
		}
		q, err := f.svc.ReviewQueue(ctx, f.verifier, 0)
		if err != nil || len(q) != 1 || q[0].Screening.ID != s.ID || q[0].Need.ID != a {
			t.Fatalf("queue: %+v %v", q, err)
		}
		if _, err := f.svc.Decide(ctx, f.verifier, s.ID, screening.DecisionOverride, "too short"); err == nil {
			t.Error("an override with a 9-character reason was accepted")
		}
		if _, err := f.svc.Decide(ctx, f.verifier, s.ID, screening.DecisionAcknowledge, ""); err == nil {
			t.Error("a block was acknowledged")
		}
		if _, err := f.svc.Decide(ctx, f.worker, s.ID, screening.DecisionOverride, "家庭确有额外困难，民政已核实"); !errors.Is(err, kernel.ErrForbidden) {
			t.Errorf("a social worker decided: %v", err)
		}
		if _, err := f.svc.Decide(ctx, f.verifier, s.ID, screening.DecisionOverride, "医疗救助款用于另一次住院，已核实"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Decide(ctx, f.verifier, s.ID, screening.DecisionUphold, ""); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("second decision: %v", err)
		}
		if r, ov := f.needResult(a); r != "warn" || !ov {
			t.Errorf("after override: %s %v", r, ov)
		}
		if q, _ := f.svc.ReviewQueue(ctx, f.verifier, 0); len(q) != 0 {
			t.Errorf("queue after override: %d", len(q))
		}
		// Same evidence, later, at clearance: warn, overridden, not queued.
		f.now = f.now.Add(24 * time.Hour)
		s2, err := f.svc.Screen(ctx, a, kernel.StageClear, 0)
		if err != nil {
			t.Fatal(err)
		}
		if s2.Result != kernel.ScreenWarn || !s2.Overridden {
			t.Errorf("re-screen with the same evidence: %s overridden=%v", s2.Result, s2.Overridden)
		}
		if q, _ := f.svc.ReviewQueue(ctx, f.verifier, 0); len(q) != 0 {
			t.Errorf("queue after re-screen: %d", len(q))
		}
		// A new payment: the block is back and the case is queued again.
		f.pay(idX, kernel.ProgTemporary, 50_000, "2026-01-10", "2026-01-10")
		s3, _ := f.svc.Screen(ctx, a, kernel.StageClear, 0)
		if s3.Result != kernel.ScreenBlock || s3.Overridden {
			t.Errorf("new evidence: %s overridden=%v", s3.Result, s3.Overridden)
		}
		if r, ov := f.needResult(a); r != "block" || ov {
			t.Errorf("need after new evidence: %s %v", r, ov)
		}
		q, _ = f.svc.ReviewQueue(ctx, f.verifier, 0)
		if len(q) != 1 || q[0].Screening.ID != s3.ID {
			t.Errorf("queue after new evidence: %+v", q)
		}
		// Deciding on the older screening is refused: a newer one exists.
		if _, err := f.svc.Decide(ctx, f.verifier, s2.ID, screening.DecisionAcknowledge, ""); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("decision on a stale screening: %v", err)
		}
		// Upheld, the block stays and re-checks keep it out of the queue.
		if _, err := f.svc.Decide(ctx, f.verifier, s3.ID, screening.DecisionUphold, ""); err != nil {
			t.Fatal(err)
		}
		s4, _ := f.svc.Screen(ctx, a, kernel.StageClear, 0)
		if s4.Result != kernel.ScreenBlock {
			t.Errorf("after uphold: %s", s4.Result)
		}
		if q, _ := f.svc.ReviewQueue(ctx, f.verifier, 0); len(q) != 0 {
			t.Errorf("queue after uphold and re-check: %d", len(q))
		}
		// Each decision is on the need's audit chain, without the reason.
		var entries []struct{ Action, Detail string }
		db.Gorm.Raw(`SELECT action, detail FROM audit_log WHERE stream = ? ORDER BY seq`, "need:"+a).Scan(&entries)
		if len(entries) != 2 || entries[0].Action != "screening.override" || entries[1].Action != "screening.uphold" {
			t.Errorf("audit: %+v", entries)
		}
		for _, e := range entries {
			if strings.Contains(e.Detail, "住院") {
				t.Errorf("the reason is in the audit log: %s", e.Detail)
			}
		}
	})
}

// latestOf returns the public id of the need's latest screening and how
// many screenings of the need are marked latest.
func (f *fixture) latestOf(id string) (string, int) {
	f.t.Helper()
	var rows []struct{ PublicID string }
	if err := f.db.Gorm.Raw(`SELECT s.public_id FROM screenings s JOIN needs n ON n.id = s.need_id WHERE n.public_id = ? AND s.latest = 1`, id).
		Scan(&rows).Error; err != nil {
		f.t.Fatal(err)
	}
	if len(rows) == 0 {
		return "", 0
	}
	return rows[0].PublicID, len(rows)
}

// storedLatest reads the latest flag and stage of a stored screening.
func (f *fixture) storedLatest(screeningID string) (bool, kernel.ScreeningStage) {
	f.t.Helper()
	var r struct {
		Latest bool
		Stage  string
	}
	if err := f.db.Gorm.Raw(`SELECT latest, stage FROM screenings WHERE public_id = ?`, screeningID).Scan(&r).Error; err != nil {
		f.t.Fatal(err)
	}
	return r.Latest, kernel.ScreeningStage(r.Stage)
}

// TestARefusedRequestLeavesTheNeedAsItWas: an allocation that asks for more
// than the hardship may still take is refused (block), but the screening
// of its amount is the request's: the need's screening_result, its block
// override, its latest screening and its absence from the review queue
// stay as they were, so nothing else for the need is stopped for review.
func TestARefusedRequestLeavesTheNeedAsItWas(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		// Limit 10,000 − 2,000 = 8,000 yuan; 5,000 already funded here.
		a := f.post(needSpec{idNumber: idX, status: kernel.NeedOpen, from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, stat: 200_000, req: 800_000, fund: 500_000})
		f.pay(idX, kernel.ProgMedical, 200_000, "2026-01-15", "2026-01-15")
		own, err := f.svc.Screen(ctx, a, kernel.StageClear, 0)
		if err != nil || own.Result != kernel.ScreenClear {
			t.Fatalf("the need's own screening: %+v %v", own, err)
		}
		s, err := f.svc.Screen(ctx, a, kernel.StageAllocate, 300_001)
		if err != nil {
			t.Fatal(err)
		}
		if s.Result != kernel.ScreenBlock || s.Checks[2].Rule != kernel.RuleOverAllocation || s.Checks[2].Result != kernel.ScreenBlock {
			t.Fatalf("the over-amount allocation: %s %+v", s.Result, s.Checks)
		}
		if s.RoomFen != 300_000 || s.AmountFen != 300_001 || s.Stage != kernel.StageAllocate {
			t.Errorf("request: room %d, amount %d, stage %s; want 300000, 300001, allocate", s.RoomFen, s.AmountFen, s.Stage)
		}
		if r, ov := f.needResult(a); r != "clear" || ov {
			t.Errorf("need after the refused request: %s override=%v, want clear false", r, ov)
		}
		if id, n := f.latestOf(a); id != own.ID || n != 1 {
			t.Errorf("latest screening %s (%d marked), want the need's own %s", id, n, own.ID)
		}
		if latest, stage := f.storedLatest(s.ID); latest || stage != kernel.StageAllocate {
			t.Errorf("the request's screening is stored latest=%v stage=%s, want false allocate", latest, stage)
		}
		if q, err := f.svc.ReviewQueue(ctx, f.verifier, 0); err != nil || len(q) != 0 {
			t.Errorf("review queue after a refused request: %+v %v", q, err)
		}
		// The need's latest screening, as its page and the API show it.
		if recs := mustScreenings(t, f, a); len(recs) != 2 || recs[0].ID != own.ID || recs[1].ID != s.ID || recs[1].Latest {
			t.Errorf("history: %+v", recs)
		}
		// A refused request is never decided: it is not the need's latest.
		if _, err := f.svc.Decide(ctx, f.verifier, s.ID, screening.DecisionUphold, ""); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("a decision on a refused request: %v", err)
		}

		// A need whose own block a verifier overrode keeps the override
		// through a refused request.
		b := f.post(needSpec{org: f.orgB, idNumber: "110105194912310037", from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, stat: 0, req: 1_000_000})
		f.pay("110105194912310037", kernel.ProgMedical, 100_000, "2026-01-31", "2026-01-31")
		sb, _ := f.svc.Screen(ctx, b, kernel.StageClear, 0)
		if sb.Result != kernel.ScreenBlock {
			t.Fatalf("want the need's own block: %+v", sb)
		}
		if _, err := f.svc.Decide(ctx, f.verifier, sb.ID, screening.DecisionOverride, "医疗救助款用于另一次住院，已核实"); err != nil {
			t.Fatal(err)
		}
		overridden, _ := f.svc.Screen(ctx, b, kernel.StageClear, 0)
		if overridden.Result != kernel.ScreenWarn || !overridden.Overridden {
			t.Fatalf("after the override: %+v", overridden)
		}
		sr, err := f.svc.Screen(ctx, b, kernel.StageAllocate, 900_001)
		if err != nil || sr.Result != kernel.ScreenBlock || sr.Overridden {
			t.Fatalf("an allocation above the limit: %+v %v", sr, err)
		}
		if r, ov := f.needResult(b); r != "warn" || !ov {
			t.Errorf("need after the refused request: %s override=%v, want warn true", r, ov)
		}
		if id, _ := f.latestOf(b); id != overridden.ID {
			t.Errorf("latest screening %s, want %s", id, overridden.ID)
		}
		if q, _ := f.svc.ReviewQueue(ctx, f.verifier, 0); len(q) != 0 {
			t.Errorf("review queue: %d items, want none", len(q))
		}
		// Within the limit the override holds and the allocation goes on.
		if ok, _ := f.svc.Screen(ctx, b, kernel.StageAllocate, 900_000); ok.Result != kernel.ScreenWarn || !ok.Overridden {
			t.Errorf("an allocation within the limit: %s overridden=%v", ok.Result, ok.Overridden)
		}
	})
}

// TestAGiftAboveTheRoomIsRefusedOnItsOwn: a donor's gift is screened like
// an allocation: its amount counts, and a gift the hardship has no room for
// blocks and is stored as the request's screening, not the need's.
func TestAGiftAboveTheRoomIsRefusedOnItsOwn(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		a := f.post(needSpec{idNumber: idX, status: kernel.NeedOpen, from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, stat: 200_000, req: 800_000, fund: 700_000})
		f.pay(idX, kernel.ProgMedical, 200_000, "2026-01-15", "2026-01-15")
		own, _ := f.svc.Screen(ctx, a, kernel.StageSubmit, 0)
		g, err := f.svc.Screen(ctx, a, kernel.StageGift, 100_001)
		if err != nil {
			t.Fatal(err)
		}
		if g.Result != kernel.ScreenBlock || g.Stage != kernel.StageGift || g.Checks[2].Result != kernel.ScreenBlock || g.RoomFen != 100_000 {
			t.Fatalf("gift over the room: %s stage %s room %d %+v", g.Result, g.Stage, g.RoomFen, g.Checks)
		}
		if latest, stage := f.storedLatest(g.ID); latest || stage != kernel.StageGift {
			t.Errorf("stored latest=%v stage=%s, want false gift", latest, stage)
		}
		if r, _ := f.needResult(a); r != "clear" {
			t.Errorf("needs.screening_result = %q, want clear", r)
		}
		if id, _ := f.latestOf(a); id != own.ID {
			t.Errorf("latest screening %s, want the need's own %s", id, own.ID)
		}
		// A gift that fits is the need's latest, as every screening was.
		g, err = f.svc.Screen(ctx, a, kernel.StageGift, 100_000)
		if err != nil || g.Result != kernel.ScreenClear {
			t.Fatalf("gift within the room: %+v %v", g, err)
		}
		if id, _ := f.latestOf(a); id != g.ID {
			t.Errorf("latest screening %s, want the gift's %s", id, g.ID)
		}
	})
}

// TestRoomCountsThePersonsNeedsAtEveryOrganization: the room is the limit
// of this need less what it and the person's related live needs at any
// organization hold; the amount being screened is not counted.
func TestRoomCountsThePersonsNeedsAtEveryOrganization(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		// Limit 10,000 − 2,000 = 8,000 yuan.
		a := f.post(needSpec{idNumber: idX, status: kernel.NeedOpen, from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, stat: 200_000, req: 800_000, fund: 100_000})
		f.pay(idX, kernel.ProgMedical, 200_000, "2026-01-15", "2026-01-15")
		// The same person at another organization (ID typed with a lowercase x) …
		f.post(needSpec{org: f.orgB, idNumber: strings.ToLower(idX), status: kernel.NeedOpen, from: "2026-01-20", to: "2026-02-20", cost: 1_000_000, stat: 200_000, req: 500_000, fund: 300_000})
		// … and at the first organization again.
		f.post(needSpec{idNumber: idX, status: kernel.NeedFunded, from: "2026-01-10", to: "2026-01-12", cost: 200_000, req: 200_000, fund: 200_000})
		// Not the same hardship: another category, a withdrawn need, another person.
		f.post(needSpec{org: f.orgB, idNumber: idX, category: kernel.CatEducation, status: kernel.NeedOpen, from: "2026-01-01", to: "2026-01-31", cost: 900_000, req: 900_000, fund: 900_000})
		f.post(needSpec{org: f.orgB, idNumber: idX, status: kernel.NeedWithdrawn, from: "2026-01-01", to: "2026-01-31", cost: 900_000, req: 900_000, fund: 0})
		f.post(needSpec{org: f.orgB, idNumber: "110105194912310037", status: kernel.NeedOpen, from: "2026-01-01", to: "2026-01-31", cost: 900_000, req: 900_000, fund: 900_000})
		const want = 800_000 - 100_000 - 300_000 - 200_000
		for _, tc := range []struct {
			stage  kernel.ScreeningStage
			amount int64
		}{{kernel.StageSubmit, 0}, {kernel.StageClear, 0}, {kernel.StageAllocate, 150_000}, {kernel.StageGift, 250_000}, {kernel.StageDisburse, 100_000}} {
			s, err := f.svc.Screen(ctx, a, tc.stage, tc.amount)
			if err != nil {
				t.Fatal(err)
			}
			if s.RoomFen != want {
				t.Errorf("%s of %d fen: room %d fen, want %d", tc.stage, tc.amount, s.RoomFen, want)
			}
		}
	})
}

// TestARequestThatChangesNothingIsTheNeedsLatest: when the amount does not
// make the screening worse than the need's own, the request's screening is
// stored as the need's latest, as every screening was.
func TestARequestThatChangesNothingIsTheNeedsLatest(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		a := f.post(needSpec{idNumber: idX, status: kernel.NeedOpen, from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, stat: 200_000, req: 800_000})
		f.pay(idX, kernel.ProgMedical, 200_000, "2026-01-15", "2026-01-15")
		b := f.post(needSpec{org: f.orgB, idNumber: idX, status: kernel.NeedOpen, from: "2026-01-01", to: "2026-01-31", cost: 1_000_000, stat: 200_000, req: 300_000, fund: 300_000})
		own, _ := f.svc.Screen(ctx, a, kernel.StageClear, 0)
		if own.Result != kernel.ScreenWarn {
			t.Fatalf("the need's own screening: %+v", own)
		}
		s, err := f.svc.Screen(ctx, a, kernel.StageAllocate, 500_000)
		if err != nil {
			t.Fatal(err)
		}
		if s.Result != kernel.ScreenWarn || s.RoomFen != 500_000 {
			t.Fatalf("allocation within the room: %s room %d", s.Result, s.RoomFen)
		}
		if id, n := f.latestOf(a); id != s.ID || n != 1 {
			t.Errorf("latest screening %s (%d marked), want the allocation's %s", id, n, s.ID)
		}
		if latest, _ := f.storedLatest(own.ID); latest {
			t.Error("the earlier screening is still marked latest")
		}
		if r, _ := f.needResult(a); r != "warn" {
			t.Errorf("needs.screening_result = %q, want warn", r)
		}
		// Its warning (the other charity's need) is the need's own: queued,
		// with the other need side by side.
		q, err := f.svc.ReviewQueue(ctx, f.verifier, 0)
		if err != nil || len(q) != 1 || q[0].Screening.ID != s.ID || len(q[0].Related) != 1 || q[0].Related[0].ID != b {
			t.Fatalf("review queue: %+v %v", q, err)
		}
	})
}

func TestMissedReliefCreatesOneReferral(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		a := f.post(needSpec{idNumber: idX, category: kernel.CatBasicLiving, from: "2026-02-01", to: "2026-02-28", cost: 300_000, req: 300_000, households: "dibao,elderly_alone"})
		for i := 0; i < 2; i++ {
			s, err := f.svc.Screen(ctx, a, kernel.StageSubmit, 0)
			if err != nil {
				t.Fatal(err)
			}
			if s.Checks[3].Result != kernel.ScreenWarn {
				t.Fatalf("missed relief: %+v", s.Checks[3])
			}
		}
		rs, err := f.svc.Referrals(ctx, f.verifier, screening.ReferralOpen, 0)
		if err != nil || len(rs) != 1 || rs[0].Programme != kernel.ProgDibao || rs[0].NeedID != a {
			t.Fatalf("referrals: %+v %v", rs, err)
		}
		id := rs[0].ID
		if _, err := f.svc.UpdateReferral(ctx, f.verifier, id, screening.ReferralAccepted, "已转民政低保窗口"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.UpdateReferral(ctx, f.verifier, id, screening.ReferralOpen, ""); !errors.Is(err, kernel.ErrConflict) {
			t.Errorf("back to open: %v", err)
		}
		r, err := f.svc.UpdateReferral(ctx, f.verifier, id, screening.ReferralClosed, "已纳入低保")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != screening.ReferralClosed || r.TakenBy != f.verifier.User.PublicID || len(r.Notes) != 2 || r.Notes[1].Text != "已纳入低保" || r.ClosedAt == nil {
			t.Errorf("closed referral: %+v", r)
		}
		if rs, _ := f.svc.Referrals(ctx, f.verifier, screening.ReferralOpen, 0); len(rs) != 0 {
			t.Errorf("open referrals after closing: %d", len(rs))
		}
		// Notes are stored sealed.
		var raw struct{ NotesCt []byte }
		db.Gorm.Raw(`SELECT notes_ct FROM referrals WHERE public_id = ?`, id).Scan(&raw)
		if len(raw.NotesCt) == 0 || strings.Contains(string(raw.NotesCt), "低保") {
			t.Error("referral notes are not sealed")
		}
		// A payment of dibao on record: no missed relief any more.
		f.pay(idX, kernel.ProgDibao, 90_000, "2026-01-01", "2026-01-31")
		s, _ := f.svc.Screen(ctx, a, kernel.StageClear, 0)
		if s.Checks[3].Result != kernel.ScreenClear {
			t.Errorf("with a dibao payment: %+v", s.Checks[3])
		}
	})
}

func TestScreeningVisibility(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		a := f.post(needSpec{idNumber: idX, from: "2026-01-01", to: "2026-01-31", cost: 100, req: 100})
		if _, err := f.svc.Screenings(ctx, f.worker, a, false); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("before any screening: %v", err)
		}
		if _, err := f.svc.Screen(ctx, a, kernel.StageSubmit, 0); err != nil {
			t.Fatal(err)
		}
		if recs, err := f.svc.Screenings(ctx, f.worker, a, false); err != nil || len(recs) != 1 {
			t.Errorf("posting organization's worker: %v", err)
		}
		other := &kernel.Principal{User: kernel.User{PublicID: "x"}, Memberships: []kernel.Membership{{Role: kernel.RoleSocialWorker, Org: f.orgB}}}
		if _, err := f.svc.Screenings(ctx, other, a, false); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("another organization's worker: %v", err)
		}
		b, _ := json.Marshal(mustScreenings(t, f, a))
		if strings.Contains(string(b), f.pseudo.Of(idX)) || strings.Contains(string(b), idX) {
			t.Error("identity in the screening")
		}
	})
}

func mustScreenings(t *testing.T, f *fixture, id string) []screening.Record {
	recs, err := f.svc.Screenings(context.Background(), f.verifier, id, true)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestConcurrentScreeningsKeepOneLatest(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		a := f.post(needSpec{idNumber: idX, from: "2026-01-01", to: "2026-01-31", cost: 100, req: 100, households: "dibao"})
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.svc.Screen(context.Background(), a, kernel.StageAllocate, 10); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var n struct{ Latest, All, Refs int64 }
		db.Gorm.Raw(`SELECT (SELECT COUNT(*) FROM screenings WHERE latest = 1) AS latest, (SELECT COUNT(*) FROM screenings) AS "all",
			(SELECT COUNT(*) FROM referrals) AS refs`).Scan(&n)
		if n.Latest != 1 || n.All != 16 || n.Refs != 1 {
			t.Errorf("latest %d, all %d, referrals %d; want 1, 16, 1", n.Latest, n.All, n.Refs)
		}
	})
}

// TestConcurrentScreeningsOfOnePerson screens several needs of the same
// person from many goroutines at once: no deadlock (MySQL error 1213) or
// busy error reaches the caller, and each need keeps one latest screening.
func TestConcurrentScreeningsOfOnePerson(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		f := newFixture(t, db)
		var ids []string
		for i := 0; i < 6; i++ {
			org := f.orgA
			if i%2 == 1 {
				org = f.orgB
			}
			ids = append(ids, f.post(needSpec{org: org, idNumber: idX, status: kernel.NeedOpen, from: "2026-01-01", to: "2026-01-31",
				cost: 100_000, req: 40_000, fund: 10_000, households: "dibao,tekun"}))
		}
		const workers, rounds = 24, 4
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for r := 0; r < rounds; r++ {
					stage := []kernel.ScreeningStage{kernel.StageSubmit, kernel.StageClear, kernel.StageAllocate, kernel.StageDisburse, kernel.StageGift}[(w+r)%5]
					// Every other worker asks for more than the room: a
					// refused request, stored beside the need's screenings.
					amount := int64(1_000)
					if w%2 == 1 {
						amount = 100_000
					}
					if _, err := f.svc.Screen(context.Background(), ids[(w+r)%len(ids)], stage, amount); err != nil {
						errs <- err
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var n struct{ Latest, All, Refs int64 }
		db.Gorm.Raw(`SELECT (SELECT COUNT(*) FROM screenings WHERE latest = 1) AS latest, (SELECT COUNT(*) FROM screenings) AS "all",
			(SELECT COUNT(*) FROM referrals) AS refs`).Scan(&n)
		if n.Latest != int64(len(ids)) || n.All != workers*rounds || n.Refs != 2*int64(len(ids)) {
			t.Errorf("latest %d, all %d, referrals %d; want %d, %d, %d", n.Latest, n.All, n.Refs, len(ids), workers*rounds, 2*len(ids))
		}
	})
}
