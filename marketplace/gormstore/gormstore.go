// Package gormstore is the gorm implementation of marketplace's stores, on
// SQLite and MySQL/MariaDB alike. Row structs and their mapping to domain
// types live here; domain types carry no gorm tags. The schema is defined by
// the SQL in migrations/, not by these structs.
//
// It is the one writer of the needs table: the funds and screening stores
// write a need's money, status and screening outcome through the functions
// of needmoney.go, inside their own transactions.
package gormstore

import (
	"errors"
	"sync"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/sqldb"
)

// Store implements the marketplace stores on one database.
type Store struct {
	db      *gorm.DB
	dialect sqldb.Dialect
	// outboxMu orders the search outbox drainers of this process on SQLite
	// (see DrainSearchOutbox).
	outboxMu sync.Mutex
}

// New returns a store over db.
func New(db *sqldb.DB) *Store {
	return &Store{db: db.Gorm, dialect: db.Dialect}
}

var (
	_ marketplace.AccountStore = (*Store)(nil)
	_ marketplace.AuditReader  = (*Store)(nil)
)

// MapError turns gorm's errors into the domain's: a missing record into
// ErrNotFound, a duplicate key into ErrConflict.
func MapError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return kernel.ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return kernel.Refuse(kernel.ErrConflict, "refusal_duplicate", nil, "duplicate")
	}
	return err
}

// ForUpdate adds a row lock on MySQL; SQLite's immediate transactions already
// hold the database's one write lock.
func ForUpdate(tx *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() == "mysql" {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}
