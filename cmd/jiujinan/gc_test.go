package main

import (
	"runtime/debug"
	"testing"
)

func TestServeRaisesTheGCTargetUnlessGOGCIsSet(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)

	tuneGC(map[string]string{})
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Fatalf("GC target without GOGC = %d, want %d", got, serveGCPercent)
	}
	tuneGC(map[string]string{"GOGC": "150"})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GC target with GOGC set = %d, want the runtime's own (100 here)", got)
	}
}
