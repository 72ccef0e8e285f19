package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/recovery"
)

// stepInterval is how often serve runs the time-limit job. Limits are
// counted in working days, so a few minutes late is never late.
const stepInterval = 5 * time.Minute

// stepService builds the time-limit job over the store. Its notifier tells
// nobody until notifications are wired (marketplace.Notifier).
func (m *Main) stepService() *marketplace.StepService {
	return &marketplace.StepService{Store: m.Store, Divisions: m.Divisions, Calendar: m.Calendar, Now: m.Now, NewID: newID,
		Notifier: marketplace.NopNotifier{}}
}

// stepJobs runs one pass of the time-limit job and logs what it did; a
// failure (a step it could not escalate, a notice it could not give) is
// logged as a warning and returned.
func (m *Main) stepJobs(ctx context.Context) error {
	run, err := m.Steps.Run(ctx)
	if run.Reminded > 0 || run.Escalated > 0 {
		m.Log.Info("time limits", slog.Int("reminded", run.Reminded), slog.Int("escalated", run.Escalated))
	}
	if err != nil && ctx.Err() == nil {
		m.Log.Warn("time limits", slog.Int("failed", run.Failed), slog.String("error", err.Error()))
	}
	return err
}

// runStepJobs runs the time-limit job at start and then every stepInterval
// until ctx ends; a panic in a pass is logged like a failure and the next
// pass runs. Passes on several instances escalate each step once
// (marketplace.StepStore.EscalateStep).
func (m *Main) runStepJobs(ctx context.Context) {
	t := time.NewTicker(stepInterval)
	defer t.Stop()
	for {
		_ = recovery.Run(m.Log, "time limits", func() error { return m.stepJobs(ctx) })
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
