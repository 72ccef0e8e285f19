package sqldb_test

import (
	"context"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// Read-then-write transactions on SQLite wait for each other instead of
// failing with SQLITE_BUSY: every increment lands, without retries.
func TestConcurrentReadThenWriteTransactions(t *testing.T) {
	db := sqldbtest.MustOpenSQLite(t)
	ctx := context.Background()
	if err := db.Gorm.Exec(`CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	db.Gorm.Exec(`INSERT INTO counter (id, n) VALUES (1, 0)`)
	const workers, each = 12, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				errs <- db.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
					var n int64
					if err := tx.Raw(`SELECT n FROM counter WHERE id = 1`).Scan(&n).Error; err != nil {
						return err
					}
					return tx.Exec(`UPDATE counter SET n = ? WHERE id = 1`, n+1).Error
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int64
	db.Gorm.Raw(`SELECT n FROM counter WHERE id = 1`).Scan(&n)
	if n != workers*each {
		t.Fatalf("counter %d, want %d", n, workers*each)
	}
	if db.Dialect != sqldb.SQLite {
		t.Fatal("not sqlite")
	}
}
