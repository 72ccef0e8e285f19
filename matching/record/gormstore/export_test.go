package gormstore

import "github.com/jiujinan/jiujinan/matching/record"

// RawSQLiteRefused reports whether w fell back from prepared statements
// to json_each on SQLite.
func RawSQLiteRefused(w record.PaymentWriter) bool { return w.(*paymentWriter).noRawSQLite }

// UseJSONInsert makes w insert through json_each, as on a connection that
// refuses prepared statements.
func UseJSONInsert(w record.PaymentWriter) { w.(*paymentWriter).noRawSQLite = true }
