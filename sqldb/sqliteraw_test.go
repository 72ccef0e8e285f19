package sqldb_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// A statement prepared once through WithSQLite runs many times inside the
// transaction of its connection: its rows are there after the commit, gone
// after a rollback; texts are bound as values (quotes and all), integers
// keep their binding across executions, and a failing execution is an
// error that leaves the statement usable.
func TestWithSQLiteRunsAPreparedStatementInTheConnectionsTransaction(t *testing.T) {
	db := sqldbtest.MustOpenSQLite(t)
	ctx := context.Background()
	pool := db.SQL()
	if _, err := pool.ExecContext(ctx, `CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL) WITHOUT ROWID`); err != nil {
		t.Fatal(err)
	}
	insert := func(commit bool, keys ...string) (int64, error) {
		conn, err := pool.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		var added int64
		err = sqldb.WithSQLite(conn, func(c *sqldb.SQLiteConn) error {
			st, err := c.Prepare(`INSERT OR IGNORE INTO kv (k, v, n) VALUES (?1, ?2, ?3)`)
			if err != nil {
				return err
			}
			st.BindInt64(3, 7)
			long := strings.Repeat("x", 100_000) // more than the statement's text arena
			for _, k := range keys {
				st.BindString(1, k)
				if k == "long" {
					st.BindString(2, long)
				} else {
					st.BindText(2, []byte("v'"+k))
				}
				n, err := st.Exec()
				if err != nil {
					return err
				}
				added += n
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		if commit {
			return added, tx.Commit()
		}
		return added, tx.Rollback()
	}
	if n, err := insert(false, "gone"); n != 1 || err != nil {
		t.Fatalf("rolled back insert: %d %v", n, err)
	}
	if n, err := insert(true, "a", "b", "a", "long", "it's"); n != 4 || err != nil {
		t.Fatalf("insert: %d rows, %v; want 4 (one duplicate ignored)", n, err)
	}
	rows, err := pool.QueryContext(ctx, `SELECT k, length(v), n FROM kv ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var k string
		var l, n int
		if err := rows.Scan(&k, &l, &n); err != nil {
			t.Fatal(err)
		}
		if n != 7 {
			t.Fatalf("n = %d, want the integer bound once", n)
		}
		if k == "long" && l != 100_000 || k != "long" && l != len(k)+2 {
			t.Fatalf("%s: value of %d bytes", k, l)
		}
		got = append(got, k)
	}
	if strings.Join(got, ",") != "a,b,it's,long" {
		t.Fatalf("rows %v", got)
	}

	// A constraint failure is an error; the next execution works.
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = sqldb.WithSQLite(conn, func(c *sqldb.SQLiteConn) error {
		if _, err := c.Prepare(`INSERT INTO nowhere VALUES (?1)`); err == nil {
			t.Error("prepared a statement on a missing table")
		}
		st, err := c.Prepare(`INSERT INTO kv (k, v, n) VALUES (?1, ?2, 1)`)
		if err != nil {
			return err
		}
		st.BindString(1, "a")
		st.BindString(2, "again")
		if _, err := st.Exec(); err == nil || !strings.Contains(err.Error(), "UNIQUE") {
			t.Errorf("duplicate key: %v, want a UNIQUE constraint error", err)
		}
		st.BindString(1, "c")
		st.BindString(2, "new")
		if n, err := st.Exec(); n != 1 || err != nil {
			t.Errorf("after the error: %d %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// On a connection that is not SQLite's, WithSQLite refuses with
// ErrNoRawSQLite and runs nothing.
func TestWithSQLiteRefusesOtherConnections(t *testing.T) {
	db := sqldbtest.MustOpenMySQL(t)
	conn, err := db.SQL().Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ran := false
	err = sqldb.WithSQLite(conn, func(*sqldb.SQLiteConn) error { ran = true; return nil })
	if !errors.Is(err, sqldb.ErrNoRawSQLite) || ran {
		t.Fatalf("WithSQLite on MySQL: %v (ran %v), want ErrNoRawSQLite", err, ran)
	}
}
