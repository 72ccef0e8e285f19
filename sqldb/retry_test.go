package sqldb

import (
	"context"
	"errors"
	"fmt"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"
)

func TestRetryTxRetriesOnlyDeadlocksAndBusy(t *testing.T) {
	ctx := context.Background()
	deadlock := fmt.Errorf("save: %w", &mysqldrv.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"})
	n := 0
	if err := RetryTx(ctx, func() error {
		if n++; n < 3 {
			return deadlock
		}
		return nil
	}); err != nil || n != 3 {
		t.Errorf("deadlocked twice then committed: err %v after %d runs", err, n)
	}
	n = 0
	if err := RetryTx(ctx, func() error { n++; return deadlock }); !errors.Is(err, deadlock) || n != TxAttempts {
		t.Errorf("always deadlocked: err %v after %d runs, want %d", err, n, TxAttempts)
	}
	n = 0
	other := &mysqldrv.MySQLError{Number: 1062, Message: "Duplicate entry"}
	if err := RetryTx(ctx, func() error { n++; return other }); !errors.Is(err, other) || n != 1 {
		t.Errorf("duplicate key: err %v after %d runs, want 1", err, n)
	}
	if !Retryable(errors.New("database is locked (5) (SQLITE_BUSY)")) || Retryable(nil) {
		t.Error("Retryable")
	}
}
