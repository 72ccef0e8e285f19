// Package record is the statutory payment record as Jiujinan keeps it: the
// payments civil affairs made (低保, 特困, 临时救助, medical aid …) imported
// from their CSV files — validated row by row, ID numbers replaced by their
// keyed pseudonyms, sorted outside the database, written once into a keyed,
// de-duplicating table — and read back by screening (PaymentReader).
//
// It imports kernel, marketplace (the pseudonymizer), recovery and the
// standard library. Its SQL store is in gormstore/; paymentgen/ writes
// synthetic files for tests and benchmarks.
package record
