package sqldb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSQLiteCheckpointsInTheBackground: commits never checkpoint (the
// automatic checkpoint is off on every connection), the background
// checkpointer copies the log into the database file, and Close leaves it
// checkpointed.
func TestSQLiteCheckpointsInTheBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pool := db.SQL()
	var auto int
	if err := pool.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d (%v), want 0 on request connections", auto, err)
	}
	if _, err := pool.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	// About 2,000 pages of 4 KiB, more than the old automatic threshold.
	pad := strings.Repeat("x", 4000)
	for i := 0; i < 2000; i++ {
		if _, err := pool.ExecContext(ctx, "INSERT INTO t (v) VALUES (?)", pad); err != nil {
			t.Fatal(err)
		}
	}
	// The database file grows when a checkpoint copies the pages in; no
	// commit did, so only the background checkpointer can.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if st, err := os.Stat(path); err == nil && st.Size() > 4_000*2_000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the log was not checkpointed within a minute")
		}
	}
	// A second Close (the deferred one) must not hang on the stopped
	// checkpointer.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
