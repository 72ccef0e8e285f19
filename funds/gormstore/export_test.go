package gormstore

// EndedNeedSQL exposes the SQL form of an ended need to the tests, which
// hold it to marketplace.NeedEndReason.
const EndedNeedSQL = endedNeed

// SetFailFlush makes every batch call fail before it writes; an error from
// it spoils the batch as a database error would.
func SetFailFlush(s *Store, fail func() error) { s.failFlush = fail }

// MariaDBReturning exposes the server version check of the batch's inserts.
var MariaDBReturning = mariaDBReturning
