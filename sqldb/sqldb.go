// Package sqldb opens the relational database behind every store: SQLite
// (pure Go, the embedded default) or MySQL/MariaDB, chosen by the database
// URL alone. It knows nothing of the domain; stores receive the *gorm.DB it
// returns.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
	"github.com/libtnb/sqlite"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the SQL dialect of an open database; it also picks the
// migration folder.
type Dialect string

const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql"
)

// DB is an open database with its dialect.
type DB struct {
	Gorm    *gorm.DB
	Dialect Dialect
	// Target is the URL with any password removed, safe to print.
	Target string

	// checkpoint copies SQLite's write-ahead log back outside requests.
	checkpoint *checkpointer
}

// ParseURL splits a database URL into its dialect and driver DSN. It accepts
// "sqlite:PATH", "mysql://DSN" or "mysql:DSN", and a bare go-sql-driver DSN
// such as "user:pass@tcp(127.0.0.1:3306)/jiujinan".
func ParseURL(url string) (Dialect, string, error) {
	url = strings.TrimSpace(url)
	switch {
	case url == "":
		return "", "", errors.New("database URL is empty")
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
		if path == "" {
			return "", "", errors.New("sqlite: URL has no file path (want sqlite:PATH)")
		}
		return SQLite, path, nil
	}
	dsn := strings.TrimPrefix(strings.TrimPrefix(url, "mysql://"), "mysql:")
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return "", "", fmt.Errorf("not sqlite:PATH and not a MySQL DSN: %v", err)
	}
	if cfg.DBName == "" {
		return "", "", errors.New("MySQL DSN names no database (want user:pass@tcp(host:3306)/dbname)")
	}
	cfg.ParseTime = true
	// Arguments are interpolated client-side (safe with utf8mb4): one round
	// trip per statement instead of prepare, execute and close.
	cfg.InterpolateParams = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["charset"] = "utf8mb4"
	cfg.Collation = "utf8mb4_unicode_ci"
	cfg.Params["time_zone"] = "'+00:00'"
	return MySQL, cfg.FormatDSN(), nil
}

// Redact returns the URL with its password replaced, for messages and logs.
func Redact(url string) string {
	d, dsn, err := ParseURL(url)
	if err != nil || d == SQLite {
		if err != nil {
			return "(invalid database URL)"
		}
		return url
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return "(invalid database URL)"
	}
	if cfg.Passwd != "" {
		cfg.Passwd = "xxxxx"
	}
	return "mysql:" + cfg.User + "@" + cfg.Net + "(" + cfg.Addr + ")/" + cfg.DBName
}

// Open opens and pings the database named by url. SQLite files get WAL,
// foreign keys, a busy timeout and immediate transactions, which is what makes
// concurrent read-then-write transactions correct on SQLite.
func Open(ctx context.Context, url string) (*DB, error) {
	dialect, dsn, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	cfg := &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	var g *gorm.DB
	switch dialect {
	case SQLite:
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("sqlite: create folder: %w", err)
			}
		}
		pool, perr := sql.Open(sqlite.DriverName, sqliteDSN(dsn))
		if perr != nil {
			return nil, fmt.Errorf("open sqlite database: %w", perr)
		}
		g, err = gorm.Open(sqlite.New(sqlite.Config{DriverName: sqlite.DriverName, Conn: pool}), cfg)
		if err != nil {
			pool.Close()
		}
	case MySQL:
		g, err = gorm.Open(mysql.Open(dsn), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		// One writer at a time is SQLite's rule; a small pool still lets
		// readers run beside it in WAL mode.
		sqlDB.SetMaxOpenConns(8)
	} else {
		sqlDB.SetMaxOpenConns(64)
		sqlDB.SetMaxIdleConns(32)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database %s: %w", dialect, Redact(url), err)
	}
	db := &DB{Gorm: g, Dialect: dialect, Target: Redact(url)}
	if dialect == SQLite {
		db.checkpoint = startCheckpointer(sqlDB)
	}
	return db, nil
}

// sqliteDSN is the modernc.org/sqlite DSN of the database file at path.
// The driver validates the values of the options it knows before it
// applies any (a bad value fails the connection), but passes over a key it
// does not know: TestSQLiteConnectionsHaveTheDSNsSettings and
// TestConcurrentReadThenWriteTransactions check that each one is in force.
//   - _txlock=immediate: read-write transactions begin IMMEDIATE, taking
//     the write lock at once and honouring busy_timeout, so that two
//     read-then-write transactions wait for each other instead of failing
//     with SQLITE_BUSY (a DEFERRED transaction cannot wait when it upgrades
//     its read to a write after another writer committed);
//   - wal_autocheckpoint(0): the background checkpointer does it (see
//     CheckpointEvery);
//   - temp_store(MEMORY): statement and savepoint journals (one per
//     allocation in a grouped transaction) stay in memory instead of
//     costing a write system call per page;
//   - _time_format=sqlite: times are written as "2006-01-02
//     15:04:05.999999999-07:00", which SQLite's date functions read.
//
// Each _pragma holds one statement (the dialector turns on the driver's
// StrictPragmas).
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_txlock=immediate&_time_format=sqlite"
}

// SQL returns the underlying *sql.DB.
func (db *DB) SQL() *sql.DB {
	s, _ := db.Gorm.DB()
	return s
}

// Close closes the connection pool.
func (db *DB) Close() error {
	if db.checkpoint != nil {
		db.checkpoint.stop(db.SQL())
	}
	return db.SQL().Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.SQL().PingContext(ctx)
}
