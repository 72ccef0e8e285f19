package gormstore

import "github.com/jiujinan/jiujinan/funds"

// EndedNeedSQL exposes the SQL form of an ended need to the tests, which
// hold it to marketplace.NeedEndReason.
const EndedNeedSQL = endedNeed

// SetFailFlush makes every batch call fail before it writes; an error from
// it spoils the batch as a database error would.
func SetFailFlush(s *Store, fail func() error) { s.failFlush = fail }

// MariaDBReturning exposes the server version check of the batch's inserts.
var MariaDBReturning = mariaDBReturning

// Spoiled returns how many batches the database spoiled: their calls ran
// again alone. Where nothing else writes, a batch has no reason to fail.
func Spoiled(s *Store) int64 { return s.spoiled.Load() }

// Batches returns how many batches the store ran (spoiled ones included).
func Batches(s *Store) int64 { return s.batches.Load() }

// Queued returns how many InTxGrouped calls wait in the lane for a batch.
func Queued(s *Store) int {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	return len(s.group.queue)
}

// BatchOf returns the batch a Tx belongs to, nil for InTx's Tx: calls
// whose Tx has the same batch shared one database transaction.
func BatchOf(tx funds.Tx) any {
	if t, ok := tx.(*btx); ok {
		return t.b
	}
	return nil
}
