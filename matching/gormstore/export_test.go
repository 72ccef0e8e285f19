package gormstore

import "github.com/jiujinan/jiujinan/matching"

// RawSQLiteRefused reports whether w fell back from prepared statements
// to json_each on SQLite.
func RawSQLiteRefused(w matching.PaymentWriter) bool { return w.(*paymentWriter).noRawSQLite }

// UseJSONInsert makes w insert through json_each, as on a connection that
// refuses prepared statements.
func UseJSONInsert(w matching.PaymentWriter) { w.(*paymentWriter).noRawSQLite = true }
