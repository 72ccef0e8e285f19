package funds

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// The auditor's browser of the ledger: the journal transactions of the
// auditor's organization (those with an entry in an account of one of its
// funds or projects, or in one of its own accounts), newest first, with
// every entry, filtered and paged by key.

// JournalQuery selects journal transactions, newest first (in the order
// they were posted).
type JournalQuery struct {
	// From and To bound the transaction's time: From ≤ At < To; zero is
	// unbounded.
	From, To time.Time
	// Kind keeps one kind of transaction.
	Kind TxKind
	// Source keeps the transactions with an entry in the account of this
	// fund or project (public id).
	Source string
	// OrgIDs, when not nil, keeps the transactions with an entry in an
	// account of one of these organizations: its funds' and projects', and
	// its own (donations, held, payable, paid). An empty, non-nil list
	// keeps nothing.
	OrgIDs []int64
	// Before keeps the transactions posted before the one with this key
	// (LedgerTx.Key): the next page. 0 starts from the newest.
	Before int64
	// Limit is the most transactions returned (1..1000).
	Limit int
}

// LedgerTx is a journal transaction as the ledger browser shows it.
type LedgerTx struct {
	// Key orders transactions and pages through them.
	Key      int64
	PublicID string
	Kind     TxKind
	// Reverses is the public id of the transaction this one reverses.
	Reverses string
	// RefType and RefID name the business object (pledge, allocation,
	// disbursement…).
	RefType, RefID string
	At             time.Time
	// Entries in the order they were posted; they sum to zero.
	Entries []Entry
}

// AmountFen is the money the transaction moved: the sum of its entries
// into accounts.
func (t *LedgerTx) AmountFen() int64 {
	var n int64
	for _, e := range t.Entries {
		if e.AmountFen > 0 {
			n += e.AmountFen
		}
	}
	return n
}

// JournalReader is what the ledger browser needs of the store.
type JournalReader interface {
	// Journal returns the transactions q selects, newest first, at most
	// q.Limit, each with its entries.
	Journal(ctx context.Context, q JournalQuery) ([]LedgerTx, error)
	// OrgSources lists the funds and projects held by these organizations,
	// by name.
	OrgSources(ctx context.Context, orgIDs []int64) ([]SourceRef, error)
	// OwnerNames names the funds, projects and organizations with these
	// public ids; other ids (needs) are left out.
	OwnerNames(ctx context.Context, publicIDs []string) (map[string]string, error)
}

// maxJournalPage bounds one page of the browser.
const maxJournalPage = 1000

// auditorOrgs returns the internal ids of the organizations in which by is
// an auditor: the books by may browse.
func auditorOrgs(by *kernel.Principal) []int64 {
	var out []int64
	for _, o := range by.OrgsWith(kernel.RoleAuditor) {
		out = append(out, o.ID)
	}
	return out
}

// journal is the store's JournalReader, or ErrNotFound when it has none.
func (s *Service) journal() (JournalReader, error) {
	j, ok := s.Store.(JournalReader)
	if !ok {
		return nil, fmt.Errorf("funds: the store has no journal: %w", kernel.ErrNotFound)
	}
	return j, nil
}

// Journal returns the transactions q selects within by's books: those of
// the organizations in which by is an auditor. ErrForbidden for anyone who
// is no organization's auditor, and (a refusal) for a fund or project
// another organization holds; ErrNotFound for an unknown fund or project;
// ValidationError for a bad limit, kind or range.
func (s *Service) Journal(ctx context.Context, by *kernel.Principal, q JournalQuery) ([]LedgerTx, error) {
	orgs := auditorOrgs(by)
	if len(orgs) == 0 {
		return nil, kernel.ErrForbidden
	}
	v := &kernel.ValidationError{}
	if q.Limit <= 0 || q.Limit > maxJournalPage {
		v.Add("limit", "must be between 1 and %d", maxJournalPage)
	}
	if q.Kind != "" && !slices.Contains(TxKinds, q.Kind) {
		v.Add("kind", "must be one of %v", TxKinds)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		v.Add("to", "must be after from")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if q.Source != "" {
		_, org, err := s.Store.SourceOwner(ctx, q.Source)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(orgs, org) {
			return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_ledger_other_org", nil, "the fund or project is another organization's")
		}
	}
	j, err := s.journal()
	if err != nil {
		return nil, err
	}
	q.OrgIDs = orgs
	txs, err := j.Journal(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("funds: journal: %w", err)
	}
	return txs, nil
}

// AuditorSources lists the funds and projects whose books by may browse,
// by name; ErrForbidden for anyone who is no organization's auditor.
func (s *Service) AuditorSources(ctx context.Context, by *kernel.Principal) ([]SourceRef, error) {
	orgs := auditorOrgs(by)
	if len(orgs) == 0 {
		return nil, kernel.ErrForbidden
	}
	j, err := s.journal()
	if err != nil {
		return nil, err
	}
	return j.OrgSources(ctx, orgs)
}

// OwnerNames names the funds, projects and organizations whose accounts the
// entries of txs are in; needs are left to the caller, which names them by
// their public titles.
func (s *Service) OwnerNames(ctx context.Context, txs []LedgerTx) (map[string]string, error) {
	var ids []string
	seen := map[string]bool{}
	for _, t := range txs {
		for _, e := range t.Entries {
			if e.Account.Kind != AccountNeed && !seen[e.Account.Owner] {
				seen[e.Account.Owner] = true
				ids = append(ids, e.Account.Owner)
			}
		}
	}
	if len(ids) == 0 {
		return map[string]string{}, nil
	}
	j, err := s.journal()
	if err != nil {
		return nil, err
	}
	names, err := j.OwnerNames(ctx, ids)
	if err != nil && !errors.Is(err, kernel.ErrNotFound) {
		return nil, fmt.Errorf("funds: owner names: %w", err)
	}
	return names, nil
}

// TxKinds lists every kind of journal transaction.
var TxKinds = []TxKind{TxDonation, TxAllocation, TxDisburse, TxPayout, TxRefund, TxMatch, TxReversal, TxMove}
