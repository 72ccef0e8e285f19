package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// Every option of the SQLite DSN takes effect on every connection of the
// pool: the driver applies them when it opens a connection, and an option
// it did not read would leave SQLite's default here.
func TestSQLiteConnectionsHaveTheDSNsSettings(t *testing.T) {
	db := sqldbtest.MustOpenSQLite(t)
	ctx := context.Background()
	conns := make([]interface{ Close() error }, 0, 3)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 3; i++ { // distinct connections, held open
		conn, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		for _, tc := range []struct {
			pragma, want string
		}{
			{"journal_mode", "wal"},
			{"wal_autocheckpoint", "0"},
			{"busy_timeout", "10000"},
			{"foreign_keys", "1"},
			{"synchronous", "1"}, // NORMAL
			{"temp_store", "2"},  // MEMORY
		} {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, tc.pragma, got, tc.want)
			}
		}
		// _time_format=sqlite: a time is written as SQLite's date
		// functions read it (the driver's default is Go's String form).
		var text string
		at := time.Date(2026, 12, 7, 8, 9, 10, 500_000_000, time.UTC)
		if err := conn.QueryRowContext(ctx, "SELECT datetime(?)", at).Scan(&text); err != nil {
			t.Fatal(err)
		}
		if text != "2026-12-07 08:09:10" {
			t.Errorf("connection %d: datetime of a bound time = %q, want 2026-12-07 08:09:10", i, text)
		}
	}
}
