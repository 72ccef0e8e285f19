package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/marketplace"
)

// openFunds builds the funds service: payee details sealed with the data
// keys, payment notifications authenticated with the webhook secret.
func (m *Main) openFunds() error {
	keys := make([]marketplace.DataKey, len(m.Secrets.DataKeys))
	for i, k := range m.Secrets.DataKeys {
		keys[i] = marketplace.DataKey{ID: k.ID, Key: k.Key}
	}
	c, err := marketplace.NewCipher(keys)
	if err != nil {
		return err
	}
	m.Funds = funds.NewService(fstore.New(m.DB), c, m.Divisions, m.Now, newID)
	m.Funds.WebhookSecret = m.Secrets.WebhookSecret
	if m.Config.PledgeTTL > 0 {
		m.Funds.PledgeTTL = m.Config.PledgeTTL
	}
	return nil
}

// runFundJobs expires unpaid pledges and forgets old idempotency keys
// every minute until ctx ends.
func (m *Main) runFundJobs(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if n, err := m.Funds.ExpirePledges(ctx); err != nil && ctx.Err() == nil {
			m.Log.Warn("expire pledges", slog.String("error", err.Error()))
		} else if n > 0 {
			m.Log.Info("expired unpaid pledges", slog.Int64("count", n))
		}
		if _, err := m.Funds.PurgeIdempotent(ctx); err != nil && ctx.Err() == nil {
			m.Log.Warn("purge idempotency keys", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// verifyLedger runs funds.VerifyLedger for audit-verify and prints what it
// found; it reports whether the books are sound.
func (m *Main) verifyLedger(ctx context.Context, stdout io.Writer) (bool, error) {
	problems, facts, err := m.Funds.VerifyLedger(ctx)
	if err != nil {
		return false, err
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, "LEDGER", p)
	}
	if len(problems) == 0 {
		fmt.Fprintf(stdout, "ledger balanced: %d transaction(s), %d entries, every balance equal to its entries, no fund below zero, no need above its request\n",
			facts.Transactions, facts.Entries)
	}
	return len(problems) == 0, nil
}
