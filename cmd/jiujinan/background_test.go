package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// lockedLog is a logger whose text tests read.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The loops serve runs in goroutines of their own log a panic in a pass
// and go on (here: until their context ends) instead of ending the
// process. A Main without services makes every pass panic.
func TestServeLoopsSurviveAPanic(t *testing.T) {
	for name, loop := range map[string]func(m *Main, ctx context.Context){
		"fund jobs":     (*Main).runFundJobs,
		"re-projection": (*Main).runReprojection,
	} {
		t.Run(name, func(t *testing.T) {
			var logs lockedLog
			m := &Main{Log: slog.New(slog.NewTextHandler(&logs, nil))}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // one pass, then the loop ends
			loop(m, ctx)
			if !strings.Contains(logs.String(), "panic") || !strings.Contains(logs.String(), name) {
				t.Fatalf("the panic is not logged: %s", logs.String())
			}
		})
	}
}
