// Package migrations holds the versioned SQL schema, one folder per dialect
// (mysql, sqlite) with the same version numbers, embedded in the binary, and
// the small runner that applies it. The schema is defined here and only here:
// nothing calls gorm's AutoMigrate.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"github.com/jiujinan/jiujinan/sqldb"
)

//go:embed mysql/*.sql sqlite/*.sql
var files embed.FS

// Status is one migration's state.
type Status struct {
	Version int64
	Name    string
	Applied bool
	// AppliedAt is empty when the migration is pending.
	AppliedAt string
}

func provider(db *sqldb.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(files, string(db.Dialect))
	if err != nil {
		return nil, err
	}
	d := goose.DialectSQLite3
	if db.Dialect == sqldb.MySQL {
		d = goose.DialectMySQL
	}
	return goose.NewProvider(d, db.SQL(), sub)
}

// Up applies every pending migration and returns how many it applied.
func Up(ctx context.Context, db *sqldb.DB) (int, error) {
	p, err := provider(db)
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrations: up: %w", err)
	}
	return len(res), nil
}

// List returns every migration known to the binary with its state.
func List(ctx context.Context, db *sqldb.DB) ([]Status, error) {
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	sts, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: status: %w", err)
	}
	out := make([]Status, 0, len(sts))
	for _, s := range sts {
		st := Status{Version: s.Source.Version, Name: s.Source.Path, Applied: s.State == goose.StateApplied}
		if st.Applied {
			st.AppliedAt = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		out = append(out, st)
	}
	return out, nil
}

// Pending reports whether some migration has not been applied; serve refuses
// to start (and /readyz fails) while it is true.
func Pending(ctx context.Context, db *sqldb.DB) (bool, error) {
	p, err := provider(db)
	if err != nil {
		return false, err
	}
	return p.HasPending(ctx)
}
