package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/search"
	"github.com/jiujinan/jiujinan/recovery"
)

// meiliIndexName is the Meilisearch index of the needs.
const meiliIndexName = "needs"

// searchDir is the embedded index's folder.
func (c *Config) searchDir() string { return filepath.Join(c.DataDir, "search") }

// lockSearch takes the data folder's search lock without waiting: serve
// holds it for as long as it owns the embedded index, so that reindex never
// swaps the folder under a running server. The lock goes with the process.
func (c *Config) lockSearch() (release func(), err error) {
	path := filepath.Join(c.DataDir, "search.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("search lock %s: %v", path, pathErr(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("the search index in %s is in use by another jiujinan process (is jiujinan serve running? stop it first)", c.DataDir)
	}
	return func() { f.Close() }, nil
}

// OpenSearch opens the index the configuration names: Meilisearch when
// MEILI_URL is set, else the embedded index in DATA_DIR/search, created when
// missing. It sets m.Index and m.Indexer and reports whether the index must
// be rebuilt from the database: an embedded index that was not closed
// cleanly, or an empty one while the database holds public needs.
func (m *Main) OpenSearch(ctx context.Context) (rebuild bool, err error) {
	if m.Config.MeiliURL != "" {
		mi, err := search.NewMeili(m.Config.MeiliURL, m.Config.MeiliAPIKey, meiliIndexName)
		if err != nil {
			return false, fmt.Errorf("MEILI_URL: %v", err)
		}
		m.Index = mi
	} else {
		release, err := m.Config.lockSearch()
		if err != nil {
			return false, err
		}
		b, err := search.OpenBleve(m.Config.searchDir())
		if err != nil {
			release()
			if !strings.Contains(err.Error(), "reindex") {
				err = fmt.Errorf("%w: rebuild it from the database with jiujinan reindex", err)
			}
			return false, err
		}
		m.Index, m.releaseSearch = b, release
		if b.Unclean() {
			m.Log.Warn("the search index was not closed cleanly; rebuilding it from the database")
			rebuild = true
		}
	}
	m.Indexer = search.NewIndexer(m.Index, m.Store, m.Store, m.Now, m.Log)
	if !rebuild {
		have, err := m.Index.Count(ctx)
		if err != nil {
			return false, err
		}
		if have == 0 {
			want, err := m.Store.CountPublicNeeds(ctx)
			if err != nil {
				return false, err
			}
			rebuild = want > 0
		}
	}
	return rebuild, nil
}

// closeSearch closes the index and releases its lock.
func (m *Main) closeSearch() error {
	var err error
	if m.Index != nil {
		err = m.Index.Close()
		m.Index = nil
	}
	if m.releaseSearch != nil {
		m.releaseSearch()
		m.releaseSearch = nil
	}
	return err
}

// wakingNeedStore wakes the indexer after each committed change of a need
// that wrote a search outbox row, so that a published or changed need is
// searchable at once instead of at the next poll.
type wakingNeedStore struct {
	marketplace.NeedStore
	wake func()
}

// SaveNeed implements marketplace.NeedStore.
func (s wakingNeedStore) SaveNeed(ctx context.Context, w marketplace.NeedWrite) error {
	err := s.NeedStore.SaveNeed(ctx, w)
	if err == nil && w.Outbox {
		s.wake()
	}
	return err
}

// wakeIndexer wakes the indexer when serve runs one.
func (m *Main) wakeIndexer() {
	if ix := m.Indexer; ix != nil {
		ix.Wake()
	}
}

// runIndexer rebuilds the index when asked, then drains the search outbox
// until ctx ends.
func (m *Main) runIndexer(ctx context.Context, rebuild bool) {
	if rebuild {
		start := time.Now()
		var st search.RebuildStats
		err := recovery.Run(m.Log, "search index rebuild", func() (err error) {
			st, err = m.Indexer.Rebuild(ctx, nil)
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				m.Log.Error("search index rebuild failed; it stays incomplete until jiujinan reindex", slog.String("error", err.Error()))
			}
		} else {
			m.Log.Info("search index rebuilt", slog.Int("needs", st.Indexed), slog.Duration("took", time.Since(start)))
		}
	}
	m.Indexer.Run(ctx)
}

func cmdReindex(ctx context.Context, args []string, stdout, stderr io.Writer, environ map[string]string) error {
	fs := newFlagSet("reindex", stderr, "Rebuild the search index from the database. The embedded index is built in a new folder and\n"+
		"swapped in at the end (stop jiujinan serve first); Meilisearch (MEILI_URL) is updated in place.")
	cfg, err := loadConfig(fs, args, environ)
	if err != nil {
		return err
	}
	m, err := Open(ctx, cfg, stderr, false)
	if err != nil {
		return err
	}
	defer m.Close()
	if cells, changed, err := m.reproject(ctx); err != nil {
		return err
	} else if changed > 0 {
		fmt.Fprintf(stdout, "re-projected %d cells: %d needs changed\n", cells, changed)
	}
	total, err := m.Store.CountPublicNeeds(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reindexing %d public needs\n", total)
	start := time.Now()
	last := time.Now()
	progress := func(done, total int) {
		if done == total || time.Since(last) >= 2*time.Second {
			last = time.Now()
			rate := float64(done) / time.Since(start).Seconds()
			fmt.Fprintf(stdout, "  %d/%d needs (%.0f%%), %.0f needs/s\n", done, total, 100*float64(done)/float64(max(total, 1)), rate)
		}
	}
	if cfg.MeiliURL != "" {
		mi, err := search.NewMeili(cfg.MeiliURL, cfg.MeiliAPIKey, meiliIndexName)
		if err != nil {
			return fmt.Errorf("MEILI_URL: %v", err)
		}
		ix := search.NewIndexer(mi, m.Store, m.Store, m.Now, m.Log)
		st, err := ix.Rebuild(ctx, progress)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "reindexed %d needs into Meilisearch, removed %d that are not public, in %s\n", st.Indexed, st.Removed, time.Since(start).Round(time.Millisecond))
		return nil
	}
	release, err := cfg.lockSearch()
	if err != nil {
		return err
	}
	defer release()
	dir := cfg.searchDir()
	fresh, old := dir+".new", dir+".old"
	for _, d := range []string{fresh, old} {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("reindex: %v", err)
		}
	}
	b, err := search.OpenBleve(fresh)
	if err != nil {
		return err
	}
	ix := search.NewIndexer(b, m.Store, m.Store, m.Now, m.Log)
	st, err := ix.Rebuild(ctx, progress)
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(fresh)
		return fmt.Errorf("reindex: %w (the old index is unchanged)", err)
	}
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reindex: %v", err)
	}
	if err := os.Rename(fresh, dir); err != nil {
		return fmt.Errorf("reindex: %v", err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("reindex: %v", err)
	}
	fmt.Fprintf(stdout, "reindexed %d needs into %s in %s\n", st.Indexed, dir, time.Since(start).Round(time.Millisecond))
	return nil
}
