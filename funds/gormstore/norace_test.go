//go:build !race

package gormstore_test

const raceEnabled = false
