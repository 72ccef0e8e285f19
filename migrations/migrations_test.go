package migrations_test

import (
	"context"
	"testing"

	"github.com/jiujinan/jiujinan/migrations"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

func TestUpFromEmptyTwiceAndStatus(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db, err := sqldb.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()

		pending, err := migrations.Pending(ctx, db)
		if err != nil || !pending {
			t.Fatalf("empty database: pending = %v, %v; want true", pending, err)
		}
		n, err := migrations.Up(ctx, db)
		if err != nil {
			t.Fatalf("first up: %v", err)
		}
		list, err := migrations.List(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 || n != len(list) {
			t.Fatalf("first up applied %d of %d migrations", n, len(list))
		}
		n, err = migrations.Up(ctx, db)
		if err != nil || n != 0 {
			t.Fatalf("second up: applied %d, err %v; want 0, nil", n, err)
		}
		list, err = migrations.List(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			if !s.Applied || s.AppliedAt == "" {
				t.Errorf("migration %d %s: applied=%v at %q", s.Version, s.Name, s.Applied, s.AppliedAt)
			}
		}
		if pending, _ := migrations.Pending(ctx, db); pending {
			t.Error("pending after up")
		}
		// The schema is really there: a table of the first migration answers.
		var c int64
		if err := db.Gorm.Raw("SELECT COUNT(*) FROM users").Scan(&c).Error; err != nil {
			t.Fatalf("users table: %v", err)
		}
	})
}

func TestBothDialectsHaveTheSameVersions(t *testing.T) {
	ctx := context.Background()
	lite := sqldbtest.MustOpenSQLite(t)
	ls, err := migrations.List(ctx, lite)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := migrations.FS().ReadDir("mysql")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(ls) {
		t.Fatalf("mysql has %d migrations, sqlite %d", len(entries), len(ls))
	}
	for i, e := range entries {
		if got, want := e.Name()[:5], ls[i].Name[:5]; got != want {
			t.Errorf("migration %d: mysql %s, sqlite %s", i, e.Name(), ls[i].Name)
		}
	}
}
