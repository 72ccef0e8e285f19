package gormstore

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
