// Package gormstore is the SQL implementation of the statutory payment
// record's store (matching/record) on
// SQLite and MySQL/MariaDB. The schema is defined by the SQL in migrations/.
// The import's hot path goes through database/sql with prepared multi-row
// INSERTs on one dedicated connection; everything else through gorm.
package gormstore

import (
	"database/sql"
	"sync"

	"github.com/jiujinan/jiujinan/matching/record"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/sqldb"
)

// Store implements matching's stores on one database.
type Store struct {
	db      *gorm.DB
	sql     *sql.DB
	dialect sqldb.Dialect

	mu          sync.Mutex
	paymentsFor *sql.Stmt // prepared on first use; see PaymentsFor
	// paymentsForAny holds PaymentsForAny's statements by how many
	// pseudonyms they take (a power of two, see anyWidths).
	paymentsForAny map[int]*sql.Stmt
	// writeMode picks how the payment import writes rows; tests set it
	// to hold every way to the same record.
	writeMode writeMode
}

// New returns a store over db.
func New(db *sqldb.DB) *Store {
	return &Store{db: db.Gorm, sql: db.SQL(), dialect: db.Dialect}
}

var _ record.PaymentImportStore = (*Store)(nil)
