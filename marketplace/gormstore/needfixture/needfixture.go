// Package needfixture writes needs straight into the database for tests of
// the code that reads them (the public projection, the search outbox, the
// browsing API, funds and screening), without going through the need
// lifecycle. Only tests import it, and tests write the needs table through
// it only: the needs store and this package are the one place that writes
// needs.
package needfixture

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
)

// Need is one row of the needs table. Zero values get defaults that make a
// published, consented, open medical need in 371725 (see Insert).
type Need struct {
	PublicID string
	// OrgID is an organizations row id; 0 uses the fixture organization.
	OrgID            int64
	Status           string
	Category         string
	Urgency          string
	RegionCode       string // private, exact
	PublicRegionCode string
	// PublicOrgShown lets public surfaces name the organization (as
	// publication decides when k needs of the cell are its own).
	PublicOrgShown       bool
	AgeBand              string
	HouseholdTypes       string // private
	PublicHouseholdTypes string
	PrivateCT            []byte
	PublicTitle          string
	PublicStory          string
	VerifiedCostFen      int64
	StatutoryReliefFen   int64
	RequestedFen         int64
	FundedFen            int64
	ServiceNeeds         string
	Deadline             *time.Time
	Emergency            bool
	// NoConsent leaves consent_public at 0; Unpublished leaves published_at
	// NULL.
	NoConsent, Unpublished bool
	NoticeEndsAt           *time.Time
	PublishedAt            *time.Time
	Pseudonym              string
	// NoOutbox skips the search outbox row that Insert writes in the same
	// transaction by default.
	NoOutbox bool
}

// NewID returns a random lowercase id of 26 characters, like a ULID.
func NewID() string {
	b := make([]byte, 13)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:26]
}

// Base is the owner of fixture needs: an organization, a user and a
// beneficiary.
type Base struct {
	OrgID, UserID, BeneficiaryID int64
	OrgPublicID, OrgName         string
}

// Setup creates an organization named orgName with a user and a
// beneficiary to own fixture needs.
func Setup(tb testing.TB, db *sqldb.DB, orgName string) Base {
	tb.Helper()
	now := time.Now().UTC()
	b := Base{OrgPublicID: NewID(), OrgName: orgName}
	g := db.Gorm
	must := func(err error) {
		if err != nil {
			tb.Helper()
			tb.Fatalf("needfixture: %v", err)
		}
	}
	must(g.Exec("INSERT INTO organizations (public_id, name, kind, region_code, created_at) VALUES (?, ?, 'social_work_agency', '371725', ?)",
		b.OrgPublicID, orgName, now).Error)
	must(g.Raw("SELECT id FROM organizations WHERE public_id = ?", b.OrgPublicID).Scan(&b.OrgID).Error)
	uid := NewID()
	must(g.Exec("INSERT INTO users (public_id, email, password_hash, display_name, created_at) VALUES (?, ?, 'x', 'fixture', ?)",
		uid, uid+"@fixture.example", now).Error)
	must(g.Raw("SELECT id FROM users WHERE public_id = ?", uid).Scan(&b.UserID).Error)
	bid := NewID()
	must(g.Exec("INSERT INTO beneficiaries (public_id, org_id, pseudonym, identity_ct, identity_kid, region_code, age_band, sex, created_at) "+
		"VALUES (?, ?, ?, ?, 'k1', '371725', '18_59', 'f', ?)", bid, b.OrgID, strings.Repeat("a", 64), []byte{1, 2, 3}, now).Error)
	must(g.Raw("SELECT id FROM beneficiaries WHERE public_id = ?", bid).Scan(&b.BeneficiaryID).Error)
	return b
}

func (b Base) row(n Need, now time.Time) mstore.NeedRow {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&n.PublicID, NewID())
	def(&n.Status, "open")
	def(&n.Category, "medical")
	def(&n.Urgency, "normal")
	def(&n.RegionCode, "371725")
	def(&n.PublicRegionCode, "371725")
	def(&n.AgeBand, "18_59")
	def(&n.PublicTitle, "医疗费用困难")
	def(&n.PublicStory, "患者需要长期治疗，家庭无力承担。")
	def(&n.Pseudonym, strings.Repeat("b", 64))
	if n.PrivateCT == nil {
		n.PrivateCT = []byte("ciphertext")
	}
	if n.VerifiedCostFen == 0 {
		n.VerifiedCostFen = 1_000_000
	}
	if n.RequestedFen == 0 {
		n.RequestedFen = n.VerifiedCostFen - n.StatutoryReliefFen
	}
	if n.PublishedAt == nil && !n.Unpublished {
		p := now.Add(-time.Hour)
		n.PublishedAt = &p
	}
	org := n.OrgID
	if org == 0 {
		org = b.OrgID
	}
	return mstore.NeedRow{
		PublicID: n.PublicID, OrgID: org, CreatedBy: b.UserID, BeneficiaryID: b.BeneficiaryID, Pseudonym: n.Pseudonym,
		Status: n.Status, Category: n.Category, Urgency: n.Urgency, RegionCode: n.RegionCode, PublicRegionCode: n.PublicRegionCode, PublicOrgShown: n.PublicOrgShown,
		AgeBand: n.AgeBand, HouseholdTypes: n.HouseholdTypes, PublicHouseholdTypes: n.PublicHouseholdTypes,
		PrivateCT: n.PrivateCT, PrivateKID: "k1", PublicTitle: n.PublicTitle, PublicStory: n.PublicStory,
		VerifiedCostFen: n.VerifiedCostFen, StatutoryReliefFen: n.StatutoryReliefFen, RequestedFen: n.RequestedFen, FundedFen: n.FundedFen,
		CostFrom: now.AddDate(0, -1, 0), CostTo: now.AddDate(0, 2, 0), ServiceNeeds: n.ServiceNeeds, Deadline: n.Deadline,
		Emergency: n.Emergency, ConsentPublic: !n.NoConsent, NoticeEndsAt: n.NoticeEndsAt, PublishedAt: n.PublishedAt,
		CreatedAt: now, UpdatedAt: now, Version: 1,
	}
}

// Insert writes the needs (and, unless NoOutbox, one search outbox row each)
// in one transaction and returns their row ids and public ids.
func (b Base) Insert(tb testing.TB, db *sqldb.DB, needs ...Need) (rowIDs []int64, publicIDs []string) {
	tb.Helper()
	now := time.Now().UTC()
	rows := make([]mstore.NeedRow, len(needs))
	for i := range needs {
		rows[i] = b.row(needs[i], now)
	}
	err := db.Gorm.Transaction(func(tx *gorm.DB) error {
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return err
		}
		var out []mstore.OutboxRow
		for i := range rows {
			if !needs[i].NoOutbox {
				out = append(out, mstore.OutboxRow{NeedID: rows[i].ID, CreatedAt: now})
			}
		}
		if len(out) > 0 {
			return tx.CreateInBatches(out, 500).Error
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("needfixture: insert: %v", err)
	}
	for _, r := range rows {
		rowIDs = append(rowIDs, r.ID)
		publicIDs = append(publicIDs, r.PublicID)
	}
	return rowIDs, publicIDs
}

// Update changes columns of a need and writes a search outbox row for it in
// the same transaction, as every change of a public projection must.
func Update(tb testing.TB, db *sqldb.DB, rowID int64, cols map[string]any) {
	tb.Helper()
	err := db.Gorm.Transaction(func(tx *gorm.DB) error {
		if err := set(tx, "id", rowID, cols); err != nil {
			return err
		}
		return tx.Create(&mstore.OutboxRow{NeedID: rowID, CreatedAt: time.Now().UTC()}).Error
	})
	if err != nil {
		tb.Fatalf("needfixture: update: %v", err)
	}
}

// Set changes columns of the need with this public id, named as the caller
// names them (a value may be a gorm.Expr such as "version + 1"), and
// nothing else: no search outbox row, no version or updated_at of its own.
// Tests use it to put a need in a state the need lifecycle would reach
// slowly or never (a deadline in the past, a status, money from elsewhere,
// a change the outbox lost). It fails when no need has the id.
func Set(ctx context.Context, db *gorm.DB, publicID string, cols map[string]any) error {
	return set(db.WithContext(ctx), "public_id", publicID, cols)
}

// set updates the need whose key column equals value.
func set(db *gorm.DB, key string, value any, cols map[string]any) error {
	res := db.Table("needs").Where(key+" = ?", value).Updates(cols)
	if res.Error != nil {
		return fmt.Errorf("needfixture: set need %s %v: %w", key, value, res.Error)
	}
	if res.RowsAffected > 0 {
		return nil
	}
	// MariaDB counts changed rows only: setting the values a row already
	// holds affects none, and that is no error.
	var n int64
	if err := db.Table("needs").Where(key+" = ?", value).Count(&n).Error; err != nil {
		return fmt.Errorf("needfixture: set need %s %v: %w", key, value, err)
	}
	if n == 0 {
		return fmt.Errorf("needfixture: set need: no need with %s %v", key, value)
	}
	return nil
}

// Create inserts needs rows in one statement, each a map of column to value
// named as the caller names them, and nothing else: no search outbox row,
// no defaults. It is for tests that own the organization, user and
// beneficiary of their needs (Insert writes needs of a Base). Like gorm, it
// adds an "@id" entry to each map.
func Create(ctx context.Context, db *gorm.DB, rows ...map[string]any) error {
	if len(rows) == 0 {
		return nil
	}
	if err := db.WithContext(ctx).Table("needs").Create(rows).Error; err != nil {
		return fmt.Errorf("needfixture: create needs: %w", err)
	}
	return nil
}
