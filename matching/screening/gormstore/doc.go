// Package gormstore is the SQL implementation of screening's store on SQLite
// and MySQL/MariaDB: screenings, overrides and referrals, the reads of needs
// screening makes, and the payment record read through the record's own
// store. Its hot statements are prepared once and reused.
package gormstore
