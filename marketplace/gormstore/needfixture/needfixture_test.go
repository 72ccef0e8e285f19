package needfixture_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// Set changes the columns it is given, accepts values a row already holds
// (MariaDB reports no affected row for them) and refuses an unknown need.
func TestSetChangesColumnsAndRefusesAnUnknownNeed(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := t.Context()
		base := needfixture.Setup(t, db, "阳光社工站")
		_, ids := base.Insert(t, db, needfixture.Need{NoOutbox: true})
		for range 2 {
			if err := needfixture.Set(ctx, db.Gorm, ids[0], map[string]any{"status": "withdrawn", "funded_fen": 5}); err != nil {
				t.Fatal(err)
			}
		}
		var row struct {
			Status    string
			FundedFen int64
		}
		if err := db.Gorm.Raw("SELECT status, funded_fen FROM needs WHERE public_id = ?", ids[0]).Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.Status != "withdrawn" || row.FundedFen != 5 {
			t.Errorf("after Set: %+v", row)
		}
		var outbox int64
		if err := db.Gorm.Raw("SELECT COUNT(*) FROM search_outbox").Scan(&outbox).Error; err != nil {
			t.Fatal(err)
		}
		if outbox != 0 {
			t.Errorf("Set wrote %d outbox rows, want none", outbox)
		}
		err := needfixture.Set(ctx, db.Gorm, needfixture.NewID(), map[string]any{"status": "withdrawn"})
		if err == nil || !strings.Contains(err.Error(), "no need with public_id") {
			t.Errorf("Set of an unknown need: %v", err)
		}
	})
}

// Create inserts the rows with the columns given, in one statement.
func TestCreateInsertsTheColumnsGiven(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		base := needfixture.Setup(t, db, "阳光社工站")
		now := time.Now().UTC().Truncate(time.Second)
		var rows []map[string]any
		for _, id := range []string{needfixture.NewID(), needfixture.NewID()} {
			rows = append(rows, map[string]any{"public_id": id, "org_id": base.OrgID, "created_by": base.UserID,
				"beneficiary_id": base.BeneficiaryID, "pseudonym": strings.Repeat("a", 64), "status": "submitted", "category": "medical",
				"urgency": "normal", "region_code": "371725", "age_band": "18_59", "household_types": "", "private_ct": []byte{1},
				"private_kid": "k1", "public_story": "", "verified_cost_fen": 1000, "statutory_relief_fen": 0, "requested_fen": 700,
				"cost_from": now, "cost_to": now, "created_at": now, "updated_at": now})
		}
		if err := needfixture.Create(t.Context(), db.Gorm, rows...); err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := db.Gorm.Raw("SELECT COUNT(*) FROM needs WHERE status = 'submitted' AND requested_fen = 700 AND org_id = ?", base.OrgID).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("%d needs created, want 2", n)
		}
	})
}
