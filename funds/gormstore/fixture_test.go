package gormstore_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/oklog/ulid/v2"

	"github.com/jiujinan/jiujinan/funds"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/marketplace"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
)

func newID() string { return strings.ToLower(ulid.MustNew(ulid.Now(), rand.Reader).String()) }

// fixture is a funds service over a real database with a federation, a
// social work agency, staff, donors and a clock the test moves.
type fixture struct {
	t        testing.TB
	db       *sqldb.DB
	svc      *funds.Service
	accounts *marketplace.AccountService
	mstore   *mstore.Store
	admin    *kernel.Principal
	fed      *kernel.Org
	other    *kernel.Org
	swa      *kernel.Org
	staff    *kernel.Principal
	now      atomic.Pointer[time.Time]
	n        atomic.Int64
	workerID int64
}

var start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newFixture(t testing.TB, db *sqldb.DB) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, mstore: mstore.New(db)}
	s := start
	f.now.Store(&s)
	now := func() time.Time { return *f.now.Load() }
	f.accounts = marketplace.NewAccountService(f.mstore, now, newID)
	ctx := context.Background()
	u, err := f.accounts.CreateAdmin(ctx, "admin@test.example", "admin-password-1", "Admin")
	if err != nil {
		t.Fatal(err)
	}
	if f.admin, err = f.mstore.Principal(ctx, u.PublicID); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, kind kernel.OrgKind, region string) *kernel.Org {
		o, err := f.accounts.CreateOrg(ctx, f.admin, marketplace.NewOrg{Name: name, Kind: kind, RegionCode: region})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	f.fed = mk("郓城县慈善总会", kernel.OrgCharityFederation, "371725")
	f.other = mk("隆回县慈善总会", kernel.OrgCharityFederation, "430524")
	f.swa = mk("郓城县社工站", kernel.OrgSocialWorkAgency, "371725")
	f.staff = f.user(kernel.RoleFederationStaff, f.fed)
	f.workerID = f.user(kernel.RoleSocialWorker, f.swa).User.ID
	div, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	c, err := marketplace.NewCipher([]marketplace.DataKey{{ID: "k1", Key: make([]byte, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = funds.NewService(fstore.New(db), c, div, now, newID)
	f.svc.WebhookSecret = []byte("0123456789abcdef0123456789abcdef")
	return f
}

func (f *fixture) advance(d time.Duration) {
	t := f.now.Load().Add(d)
	f.now.Store(&t)
}

// user creates a user with role (staff roles in org).
func (f *fixture) user(role kernel.Role, org *kernel.Org) *kernel.Principal {
	f.t.Helper()
	ctx := context.Background()
	n := marketplace.NewUser{Email: newID() + "@test.example", Password: "password-" + string(role), DisplayName: "用户" + string(role), Role: role}
	var u *kernel.User
	var err error
	if role == kernel.RoleDonor || role == kernel.RoleVolunteer {
		u, err = f.accounts.Register(ctx, n)
	} else {
		u, err = f.accounts.AddMember(ctx, f.admin, org.PublicID, n)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := f.mstore.Principal(ctx, u.PublicID)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// needSpec describes a need row the fixture inserts directly (the needs
// service owns the lifecycle; funds only reads and updates the money).
type needSpec struct {
	Status         kernel.NeedStatus
	Category       kernel.Category
	Region         string
	HouseholdTypes string
	RequestedFen   int64
	NoticeEndsAt   *time.Time
	Emergency      bool
	Screening      kernel.ScreeningOutcome
	// Person is the pseudonym of the person the need is for: needs with
	// the same one are postings of one person. Empty: a person of its own.
	Person string
	// VerifiedCostFen and StatutoryFen default to the requested amount and 0.
	VerifiedCostFen int64
	StatutoryFen    int64
}

// need inserts a need (open, medical, 371725, 100,000 fen by default).
func (f *fixture) need(s needSpec) string {
	f.t.Helper()
	if s.Status == "" {
		s.Status = kernel.NeedOpen
	}
	if s.Category == "" {
		s.Category = kernel.Category("medical")
	}
	if s.Region == "" {
		s.Region = "371725001"
	}
	if s.RequestedFen == 0 {
		s.RequestedFen = 100_000
	}
	if s.NoticeEndsAt == nil && s.Status == kernel.NeedOpen && !s.Emergency {
		past := (*f.now.Load()).Add(-time.Hour)
		s.NoticeEndsAt = &past
	}
	g := f.db.Gorm
	now := *f.now.Load()
	bid := newID()
	if s.Person == "" {
		s.Person = fmt.Sprintf("%064x", sha256.Sum256([]byte(bid)))
	}
	if s.VerifiedCostFen == 0 {
		s.VerifiedCostFen = s.RequestedFen
	}
	if err := g.Exec(`INSERT INTO beneficiaries (public_id, org_id, pseudonym, identity_ct, identity_kid, region_code, age_band, sex, household_types, created_at)
		VALUES (?, ?, ?, ?, 'k1', ?, '18_59', 'F', ?, ?)`, bid, f.swa.ID, s.Person, []byte{1}, s.Region, s.HouseholdTypes, now).Error; err != nil {
		f.t.Fatal(err)
	}
	var benID int64
	g.Raw("SELECT id FROM beneficiaries WHERE public_id = ?", bid).Scan(&benID)
	id := newID()
	if err := needfixture.Create(context.Background(), g, map[string]any{"public_id": id, "org_id": f.swa.ID, "created_by": f.workerID,
		"beneficiary_id": benID, "pseudonym": s.Person, "status": string(s.Status), "category": string(s.Category),
		"urgency": "urgent", "region_code": s.Region, "public_region_code": s.Region[:6], "age_band": "18_59",
		"household_types": s.HouseholdTypes, "private_ct": []byte{1}, "private_kid": "k1", "public_story": "",
		"verified_cost_fen": s.VerifiedCostFen, "statutory_relief_fen": s.StatutoryFen, "requested_fen": s.RequestedFen, "cost_from": now,
		"cost_to": now.Add(30 * 24 * time.Hour), "emergency": s.Emergency, "consent_public": 1, "screening_result": string(s.Screening),
		"notice_ends_at": s.NoticeEndsAt, "published_at": now, "created_at": now, "updated_at": now}); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// needMoney reads a need's funded, disbursed and status.
func (f *fixture) needMoney(id string) (funded, disbursed int64, status string) {
	row := struct {
		FundedFen    int64
		DisbursedFen int64
		Status       string
	}{}
	f.db.Gorm.Raw("SELECT funded_fen, disbursed_fen, status FROM needs WHERE public_id = ?", id).Scan(&row)
	return row.FundedFen, row.DisbursedFen, row.Status
}

// fund creates a fund of the federation with restrictions.
func (f *fixture) fund(r kernel.Restrictions) *funds.Source {
	f.t.Helper()
	s, err := f.svc.CreateSource(context.Background(), f.staff, funds.NewSource{Kind: funds.KindFund, Name: "助医基金" + newID()[20:],
		Namer: "王先生", Purpose: "大病医疗救助", Restrictions: r})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// donate pledges amount to a source or need as a new donor and confirms it.
func (f *fixture) donate(tt funds.TargetType, target string, amount int64) *funds.Pledge {
	f.t.Helper()
	ctx := context.Background()
	donor := f.user(kernel.RoleDonor, nil)
	p, err := f.svc.CreatePledge(ctx, donor, funds.NewPledge{TargetType: tt, TargetID: target, AmountFen: amount}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	p, err = f.svc.ConfirmPledge(ctx, f.staff, p.PublicID)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// verify fails the test when the ledger is not sound.
func (f *fixture) verify() *funds.LedgerFacts {
	f.t.Helper()
	problems, facts, err := f.svc.VerifyLedger(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, p := range problems {
		f.t.Errorf("ledger: %s", p)
	}
	return facts
}
