package gormstore

// EndedNeedSQL exposes the SQL form of an ended need to the tests, which
// hold it to marketplace.NeedEndReason.
const EndedNeedSQL = endedNeed
