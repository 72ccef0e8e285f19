//go:build race

package gormstore_test

// raceEnabled: the race detector slows the database-heavy tests about
// tenfold; the longest of them run fewer rounds under it.
const raceEnabled = true
