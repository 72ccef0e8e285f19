package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jiujinan/jiujinan/marketplace/anonymize"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/recovery"
)

// reprojectInterval is how often serve re-projects every cell. Publishing
// re-projects its own cell at once; the pass catches what two publications
// committing side by side could not see of each other, and a changed
// JIUJINAN_K_ANONYMITY.
const reprojectInterval = 10 * time.Minute

// ReprojectCell implements marketplace.NeedStore and wakes the indexer when
// a projection changed.
func (s wakingNeedStore) ReprojectCell(ctx context.Context, cell anonymize.ProjectionCell, now time.Time, fn func([]anonymize.CellNeeds) []anonymize.ProjectionChange, retext marketplace.Retexter) (int, error) {
	n, err := s.NeedStore.ReprojectCell(ctx, cell, now, fn, retext)
	if err == nil && n > 0 {
		s.wake()
	}
	return n, err
}

// reproject runs one re-projection pass over every cell and logs it.
func (m *Main) reproject(ctx context.Context) (cells, changed int, err error) {
	start := time.Now()
	cells, changed, err = m.Needs.ReprojectAll(ctx)
	if err != nil {
		return cells, changed, err
	}
	if changed > 0 {
		m.Log.Info("public projections re-projected", slog.Int("cells", cells), slog.Int("needs_changed", changed), slog.Duration("took", time.Since(start)))
	}
	return cells, changed, nil
}

// runReprojection re-projects every cell at start and then every
// reprojectInterval until ctx ends; a panic in a pass is logged like an
// error and the next pass runs.
func (m *Main) runReprojection(ctx context.Context) {
	t := time.NewTicker(reprojectInterval)
	defer t.Stop()
	for {
		if err := recovery.Run(m.Log, "re-projection", func() error {
			_, _, err := m.reproject(ctx)
			return err
		}); err != nil && ctx.Err() == nil {
			m.Log.Warn("re-projection", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func cmdReproject(ctx context.Context, args []string, stdout, stderr io.Writer, environ map[string]string) error {
	fs := newFlagSet("reproject", stderr, "Recompute the region and household types every published need is shown with, from the\n"+
		"current counts of its cell and JIUJINAN_K_ANONYMITY (docs/privacy.md); changed needs go to the search outbox,\n"+
		"which serve drains.")
	cfg, err := loadConfig(fs, args, environ)
	if err != nil {
		return err
	}
	m, err := Open(ctx, cfg, stderr, false)
	if err != nil {
		return err
	}
	defer m.Close()
	cells, changed, err := m.reproject(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-projected %d cells: %d needs changed\n", cells, changed)
	return nil
}
