package gormstore_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// The batched money path writes many needs in one go (SaveNeedsMoney): the
// needs, their events and audit entries must come out as the one-by-one
// path (SaveNeedMoney) leaves them, with each chain continuing from the
// entries before it, two changes of one need chained in order, and only
// the needs whose status moved getting an event.
func TestSaveNeedsMoneyIsSaveNeedMoneyForMany(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		store := gormstore.New(db)
		base := needfixture.Setup(t, db, "郓城县社工站")
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		specs := make([]needfixture.Need, 6)
		for i := range specs {
			specs[i] = needfixture.Need{PublicID: needfixture.NewID(), Status: string(kernel.NeedOpen), RequestedFen: 1_000}
		}
		rowIDs, ids := base.Insert(t, db, specs...)
		// Each need's stream already holds an entry (its publication).
		for _, id := range ids {
			err := db.Gorm.Transaction(func(tx *gorm.DB) error {
				return gormstore.AppendAudit(tx, &marketplace.AuditEntry{Stream: "need:" + id, At: at, Actor: "u1", Action: "need.publish",
					ObjectType: "need", ObjectID: id, Detail: `{"from":"cleared","to":"open"}`})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		seq := 0
		newID := func() string { seq++; return needfixture.NewID() }
		// move is need i funded to fen with the change MoveMoney gives it
		// from status.
		move := func(i int, status kernel.NeedStatus, funded, disbursed int64) marketplace.MoneyMove {
			to, ch, err := marketplace.MoveMoney(ids[i], status, 1_000, funded, disbursed, "u2", "a1", newID, at)
			if err != nil {
				t.Fatal(err)
			}
			m := marketplace.MoneyMove{NeedID: rowIDs[i], NeedPublicID: ids[i], FundedFen: funded, DisbursedFen: disbursed, Status: to, At: at, Saves: 2}
			if ch != nil {
				m.Changes = []marketplace.StatusChange{*ch}
			}
			return m
		}
		// Needs 0–2 one by one, 3–5 in one batch: funded fully, funded in
		// part (no change), funded and paid out (two changes).
		build := func(first int) []marketplace.MoneyMove {
			full, part, paid := move(first, kernel.NeedOpen, 1_000, 0), move(first+1, kernel.NeedOpen, 400, 0), move(first+2, kernel.NeedOpen, 1_000, 0)
			out := move(first+2, paid.Status, 1_000, 1_000)
			paid.DisbursedFen, paid.Status, paid.Changes = 1_000, out.Status, append(paid.Changes, out.Changes...)
			return []marketplace.MoneyMove{full, part, paid}
		}
		err := db.Gorm.Transaction(func(tx *gorm.DB) error {
			for _, m := range build(0) {
				if err := gormstore.SaveNeedMoney(tx, m); err != nil {
					return err
				}
			}
			return gormstore.SaveNeedsMoney(ctx, tx, build(3))
		})
		if err != nil {
			t.Fatal(err)
		}
		heads, err := store.AuditStreams(ctx)
		if err != nil {
			t.Fatal(err)
		}
		head := map[string]marketplace.AuditHead{}
		for _, h := range heads {
			head[h.Stream] = h
		}
		type state struct {
			Status, Actions string
			Version         int64
			Entries         int
		}
		var got [6]state
		for i, id := range ids {
			n, err := store.NeedByPublicID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			evs, err := store.NeedEvents(ctx, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			got[i].Status, got[i].Version = string(n.Status), n.Version
			for _, e := range evs {
				got[i].Actions += e.Action + ":" + string(e.From) + ">" + string(e.To) + " "
			}
			es, err := store.AuditEntries(ctx, "need:"+id)
			if err != nil {
				t.Fatal(err)
			}
			got[i].Entries = len(es)
			if p := marketplace.VerifyChain("need:"+id, es, head["need:"+id].Seq, head["need:"+id].Hash); len(p) > 0 {
				t.Errorf("need %d: chain broken: %v", i, p)
			}
			for j, e := range es[1:] {
				if want := evs[j].Action; e.Action != want {
					t.Errorf("need %d: audit entry %d is %s, event %s", i, j+2, e.Action, want)
				}
			}
		}
		want := [3]state{
			{Status: "funded", Actions: "need.funded:open>funded ", Version: 3, Entries: 2},
			{Status: "open", Actions: "", Version: 3, Entries: 1},
			{Status: "disbursed", Actions: "need.funded:open>funded need.disbursed:funded>disbursed ", Version: 3, Entries: 3},
		}
		for i := range 6 {
			if got[i] != want[i%3] {
				t.Errorf("need %d: %+v, want %+v", i, got[i], want[i%3])
			}
		}
		if seq != 6 {
			t.Errorf("%d event ids drawn, want 6: one per change", seq)
		}
	})
}
