package sqldb

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
)

// TxAttempts is how many times RetryTx runs a transaction that keeps
// failing only for lack of luck. Allocations under heavy contention on
// MariaDB are deadlock victims several times in a row; the pauses grow with
// the square of the attempt, so the last ones wait a few hundred ms.
const TxAttempts = 20

// Retryable reports whether a transaction failed only for lack of luck and
// was rolled back whole, so that running it again is safe: a deadlock
// victim (MySQL/MariaDB error 1213) or a lock wait timeout (1205, which
// rolls back the statement only: callers of RetryTx roll the rest back), a
// busy database on SQLite.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var me *mysqldrv.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// RetryTx runs tx, which must begin, run and commit (or roll back) one
// whole transaction (or one statement) and touch nothing outside it, and
// runs it again, at most TxAttempts times in all with a short random pause,
// while it fails with a Retryable error. Any other error, or a done ctx,
// ends it. It is the project's one retry loop for lack of luck.
func RetryTx(ctx context.Context, tx func() error) error {
	var err error
	for attempt := 0; attempt < TxAttempts; attempt++ {
		if err = tx(); err == nil || !Retryable(err) || ctx.Err() != nil {
			return err
		}
		pause := time.Duration(1+rand.IntN(1+attempt*attempt)) * time.Millisecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
	return err
}
