package gormstore

import "github.com/jiujinan/jiujinan/matching"

// RawSQLiteRefused reports whether w fell back from prepared statements
// to json_each on SQLite.
func RawSQLiteRefused(w matching.PaymentWriter) bool { return w.(*paymentWriter).noRawSQLite }
