package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	fstore "github.com/jiujinan/jiujinan/funds/gormstore"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/recovery"
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
	store := fstore.NewWithOptions(m.DB, fstore.Options{NoBatching: m.Config.AllocationBatching == "off"})
	m.Funds = funds.NewService(store, c, m.Divisions, m.Now, newID)
	m.Funds.WebhookSecret = m.Secrets.WebhookSecret
	m.Funds.Audit = m.Store
	if m.Config.PledgeTTL > 0 {
		m.Funds.PledgeTTL = m.Config.PledgeTTL
	}
	if m.Config.RedirectWindow > 0 {
		m.Funds.RedirectWindow = m.Config.RedirectWindow
	}
	// The monthly gifts' pay links stay valid across restarts and
	// instances: their key is derived from the pseudonym key, which never
	// changes, for this use alone.
	m.Funds.PayLinkKey = payLinkKey(m.Secrets.PseudonymKey)
	// Reminders of monthly gifts go to the notification outbox once it is
	// open (openNotify); no provider charges a month (funds.Charger).
	m.Funds.Notifier = funds.NoNotifier{}
	return nil
}

// payLinkKey derives the key of the monthly gifts' pay links.
func payLinkKey(pseudonymKey []byte) []byte {
	h := hmac.New(sha256.New, pseudonymKey)
	h.Write([]byte("jiujinan pay link key v1"))
	return h.Sum(nil)
}

// runFundJobs runs fundJobs every minute until ctx ends; a panic in one
// run is logged and the next minute runs again.
func (m *Main) runFundJobs(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		_ = recovery.Run(m.Log, "fund jobs", func() error { return m.fundJobs(ctx) })
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// fundJobs runs the funds' background work once: expire unpaid pledges,
// create the month's pledge of every recurring pledge due (once per month
// however many instances run it), remind its donor or charge it through
// the donor's agreement (once per month, taken up again after a restart), open the donors' choices for money in
// needs that ended, apply the default to choices past their deadline, and
// forget old idempotency keys. It logs what it did and returns the first error.
func (m *Main) fundJobs(ctx context.Context) error {
	var first error
	note := func(what string, n int64, err error) {
		if err != nil && ctx.Err() == nil {
			m.Log.Warn(what, slog.String("error", err.Error()))
			if first == nil {
				first = fmt.Errorf("%s: %w", what, err)
			}
		} else if n > 0 {
			m.Log.Info(what, slog.Int64("count", n))
		}
	}
	n, err := m.Funds.ExpirePledges(ctx)
	note("expired unpaid pledges", n, err)
	r, err := m.Funds.RunRecurring(ctx)
	note("generated monthly pledges", int64(r), err)
	mo, err := m.Funds.DispatchMonths(ctx)
	note("reminded donors of (or charged) monthly pledges", int64(mo), err)
	o, err := m.Funds.OpenRedirects(ctx)
	note("opened donors' choices for ended needs", int64(o), err)
	d, err := m.Funds.ApplyRedirectDefaults(ctx)
	note("applied the default to donors' choices past their deadline", int64(d), err)
	_, err = m.Funds.PurgeIdempotent(ctx)
	note("purge idempotency keys", 0, err)
	return first
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
		fmt.Fprintf(stdout, "ledger balanced: %d transaction(s), %d entries, every balance equal to its entries, no fund below zero, no need above its request, each need's money by origin equal to its funded and paid-out amounts\n",
			facts.Transactions, facts.Entries)
	}
	return len(problems) == 0, nil
}
