package recovery_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/recovery"
)

func TestRunTurnsAPanicIntoALoggedError(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	err := recovery.Run(log, "test work", func() error {
		var m map[string]int
		m["x"] = 1 // panics: assignment to entry in nil map
		return nil
	})
	var pe *recovery.PanicError
	if !errors.As(err, &pe) || pe.What != "test work" {
		t.Fatalf("err = %v, want a *PanicError for test work", err)
	}
	if !strings.Contains(logs.String(), "nil map") || !strings.Contains(logs.String(), "recovery_test.go") {
		t.Fatalf("the log lacks the panic or its stack: %s", logs.String())
	}
}

func TestRunReturnsTheErrorOfWorkThatDoesNotPanic(t *testing.T) {
	want := errors.New("plain")
	if err := recovery.Run(nil, "w", func() error { return want }); err != want {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func TestGoKeepsTheProcessAliveAfterAPanic(t *testing.T) {
	var logs bytes.Buffer
	done := make(chan struct{})
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &logs, done: done}, nil))
	recovery.Go(log, "goroutine", func() { panic("boom") })
	<-done // the panic was logged; the test process is still here
	if !strings.Contains(logs.String(), "boom") {
		t.Fatalf("log: %s", logs.String())
	}
}

// syncWriter signals after its first write.
type syncWriter struct {
	w    *bytes.Buffer
	done chan struct{}
}

func (s *syncWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	close(s.done)
	return n, err
}

func TestCatchSetsTheErrorOfTheFunctionThatPanicked(t *testing.T) {
	f := func() (err error) {
		defer recovery.Catch(slog.New(slog.NewTextHandler(io.Discard, nil)), "f", &err)
		panic("boom")
	}
	var pe *recovery.PanicError
	if err := f(); !errors.As(err, &pe) || pe.Value != "boom" {
		t.Fatalf("err = %v", err)
	}
}
