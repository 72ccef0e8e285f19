package gormstore_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// The auditor's ledger browser lists the transactions of the auditor's
// organization, newest first with every entry, filtered by kind, fund and
// time and paged by key; another federation's books stay out, and only
// auditors browse.
func TestJournalScopesFiltersAndPages(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		auditor := f.user(kernel.RoleAuditor, f.fed)
		otherAuditor := f.user(kernel.RoleAuditor, f.other)
		otherStaff := f.user(kernel.RoleFederationStaff, f.other)

		fund := f.fund(kernel.Restrictions{})
		other, err := f.svc.CreateSource(ctx, otherStaff, funds.NewSource{Kind: funds.KindFund, Name: "隆回助学基金", Namer: "李女士", Purpose: "助学"})
		if err != nil {
			t.Fatal(err)
		}
		need := f.need(needSpec{})
		t0 := *f.now.Load()
		f.donate(funds.TargetFund, fund.PublicID, 50_000) // day 0
		f.advance(24 * time.Hour)
		// Day 1: a gift to the other federation's fund, confirmed by its staff.
		p, err := f.svc.CreatePledge(ctx, f.user(kernel.RoleDonor, nil), funds.NewPledge{TargetType: funds.TargetFund, TargetID: other.PublicID, AmountFen: 30_000}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ConfirmPledge(ctx, otherStaff, p.PublicID); err != nil {
			t.Fatal(err)
		}
		f.advance(24 * time.Hour)
		if _, err := f.svc.Allocate(ctx, f.staff, funds.KindFund, fund.PublicID, need, 20_000, nil); err != nil { // day 2
			t.Fatal(err)
		}
		f.advance(24 * time.Hour)
		f.donate(funds.TargetNeed, need, 5_000) // day 3, received by the county's federation

		journal := func(by *kernel.Principal, q funds.JournalQuery) []funds.LedgerTx {
			t.Helper()
			if q.Limit == 0 {
				q.Limit = 100
			}
			txs, err := f.svc.Journal(ctx, by, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			return txs
		}
		kinds := func(txs []funds.LedgerTx) []string {
			var out []string
			for i, tx := range txs {
				if i > 0 && tx.Key >= txs[i-1].Key {
					t.Errorf("not newest first")
				}
				var sum int64
				for _, e := range tx.Entries {
					sum += e.AmountFen
				}
				if len(tx.Entries) < 2 || sum != 0 {
					t.Errorf("%s: entries %+v do not balance", tx.PublicID, tx.Entries)
				}
				out = append(out, string(tx.Kind)+"/"+strconv.FormatInt(tx.AmountFen(), 10))
			}
			return out
		}
		want := func(name string, got []string, want ...string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s:\n got %v\nwant %v", name, got, want)
			}
		}

		mine := journal(auditor, funds.JournalQuery{})
		want("the federation's books", kinds(mine), "donation/5000", "allocation/20000", "donation/50000")
		alloc := mine[1]
		if i := slices.IndexFunc(alloc.Entries, func(e funds.Entry) bool { return e.Account.Kind == funds.AccountNeed }); i < 0 ||
			alloc.Entries[i].Account.Owner != need || alloc.Entries[i].AmountFen != 20_000 {
			t.Errorf("the allocation's entries: %+v", alloc.Entries)
		}
		want("another federation's books", kinds(journal(otherAuditor, funds.JournalQuery{})), "donation/30000")
		want("kind", kinds(journal(auditor, funds.JournalQuery{Kind: funds.TxAllocation})), "allocation/20000")
		want("fund", kinds(journal(auditor, funds.JournalQuery{Source: fund.PublicID})), "allocation/20000", "donation/50000")
		want("days 1 and 2", kinds(journal(auditor, funds.JournalQuery{From: t0.Add(24 * time.Hour), To: t0.Add(72 * time.Hour)})), "allocation/20000")
		want("from day 3", kinds(journal(auditor, funds.JournalQuery{From: t0.Add(72 * time.Hour)})), "donation/5000")

		var paged []string
		q := funds.JournalQuery{Limit: 1}
		for range 5 {
			txs := journal(auditor, q)
			if len(txs) == 0 {
				break
			}
			paged = append(paged, kinds(txs)...)
			q.Before = txs[len(txs)-1].Key
		}
		want("pages of one", paged, kinds(mine)...)

		names, err := f.svc.OwnerNames(ctx, mine)
		if err != nil {
			t.Fatal(err)
		}
		if names[fund.PublicID] != fund.Name || names[f.fed.PublicID] != "郓城县慈善总会" || names[need] != "" {
			t.Errorf("owner names: %v", names)
		}
		srcs, err := f.svc.AuditorSources(ctx, auditor)
		if err != nil {
			t.Fatal(err)
		}
		if len(srcs) != 1 || srcs[0].PublicID != fund.PublicID {
			t.Errorf("the auditor's funds: %+v", srcs)
		}

		// Refusals: another federation's fund, an unknown one, a non-auditor.
		var refusal *kernel.Refusal
		if _, err := f.svc.Journal(ctx, auditor, funds.JournalQuery{Source: other.PublicID, Limit: 10}); !errors.As(err, &refusal) || !errors.Is(err, kernel.ErrForbidden) {
			t.Errorf("another federation's fund: %v", err)
		}
		if _, err := f.svc.Journal(ctx, auditor, funds.JournalQuery{Source: "01jjnotanid000000000000000", Limit: 10}); !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("unknown fund: %v", err)
		}
		if _, err := f.svc.Journal(ctx, f.staff, funds.JournalQuery{Limit: 10}); !errors.Is(err, kernel.ErrForbidden) {
			t.Errorf("staff browse the journal: %v", err)
		}
		var ve *kernel.ValidationError
		if _, err := f.svc.Journal(ctx, auditor, funds.JournalQuery{Kind: "gift", Limit: 10}); !errors.As(err, &ve) {
			t.Errorf("unknown kind: %v", err)
		}
		if _, err := f.svc.Journal(ctx, auditor, funds.JournalQuery{Limit: 1001}); !errors.As(err, &ve) {
			t.Errorf("page of 1001: %v", err)
		}
	})
}
