// Package sqldbtest opens migrated test databases: SQLite in a temporary
// folder on every run, and a fresh MariaDB/MySQL database of its own when
// JIUJINAN_TEST_MYSQL_DSN is set (for example
// "root@tcp(127.0.0.1:3306)/test"). Each test's MySQL database is created
// and dropped by the test, so runs never see each other's rows.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/jiujinan/jiujinan/migrations"
	"github.com/jiujinan/jiujinan/sqldb"
)

// EnvMySQL names the environment variable with the MariaDB/MySQL server DSN.
const EnvMySQL = "JIUJINAN_TEST_MYSQL_DSN"

// MustOpenSQLite returns a migrated SQLite database in tb's temp folder.
func MustOpenSQLite(tb testing.TB) *sqldb.DB {
	tb.Helper()
	return mustOpen(tb, SQLiteURL(tb))
}

// SQLiteURL returns the URL of a new, empty SQLite file in tb's temp folder.
func SQLiteURL(tb testing.TB) string {
	tb.Helper()
	return "sqlite:" + filepath.Join(tb.TempDir(), "test.db")
}

// MySQLURL creates an empty database on the server named by
// JIUJINAN_TEST_MYSQL_DSN, drops it when tb ends, and returns its URL; it
// skips tb when the variable is unset.
func MySQLURL(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvMySQL)
	if dsn == "" {
		tb.Skipf("%s is not set: MySQL/MariaDB tests not run", EnvMySQL)
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", EnvMySQL, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "jj_test_" + hex.EncodeToString(b)
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name)
		admin.Close()
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// MustOpenMySQL returns a migrated database of its own on MariaDB/MySQL, or
// skips tb when JIUJINAN_TEST_MYSQL_DSN is unset.
func MustOpenMySQL(tb testing.TB) *sqldb.DB {
	tb.Helper()
	return mustOpen(tb, MySQLURL(tb))
}

func mustOpen(tb testing.TB, url string) *sqldb.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, url)
	if err != nil {
		tb.Fatalf("open %s: %v", sqldb.Redact(url), err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := migrations.Up(ctx, db); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return db
}

// Each runs fn as a subtest on SQLite and, when configured, on MariaDB/MySQL.
func Each(t *testing.T, fn func(t *testing.T, db *sqldb.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, MustOpenSQLite(t)) })
	t.Run("mysql", func(t *testing.T) { fn(t, MustOpenMySQL(t)) })
}

// EachURL runs fn as a subtest with the URL of an empty, unmigrated database
// on SQLite and, when configured, on MariaDB/MySQL.
func EachURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteURL(t)) })
	t.Run("mysql", func(t *testing.T) { fn(t, MySQLURL(t)) })
}
