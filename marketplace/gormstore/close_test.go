package gormstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// TestCloseWithMoneyNotPaidOut: closing (结案) a need that holds money not
// paid out needs the worker's reason why it will not be paid out; without
// one it is refused with the amount and nothing is written. With the reason
// the need closes and the reason is sealed with the close event. A need
// whose money was all paid out closes with the note alone, and a reason
// given there is not stored.
func TestCloseWithMoneyNotPaidOut(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
		ctx := context.Background()
		nb := newNeedBench(t, db)
		store := gormstore.New(db)
		// published needs asking 3,000,000 fen, with money set as funds
		// would leave it
		need := func(cols map[string]any) string {
			t.Helper()
			id := nb.cleared(t)
			if _, _, err := nb.svc.Publish(ctx, nb.worker, id); err != nil {
				t.Fatal(err)
			}
			if err := needfixture.Set(ctx, db.Gorm, id, cols); err != nil {
				t.Fatal(err)
			}
			return id
		}
		partly := need(map[string]any{"status": "open", "funded_fen": 1_000_000, "disbursed_fen": 0})
		funded := need(map[string]any{"status": "funded", "funded_fen": 3_000_000, "disbursed_fen": 2_999_999})
		paid := need(map[string]any{"status": "disbursed", "funded_fen": 3_000_000, "disbursed_fen": 3_000_000})
		paidWithReason := need(map[string]any{"status": "disbursed", "funded_fen": 3_000_000, "disbursed_fen": 3_000_000})

		audits := func(id string) []marketplace.AuditEntry {
			t.Helper()
			es, err := store.AuditEntries(ctx, "need:"+id)
			if err != nil {
				t.Fatal(err)
			}
			return es
		}
		closeEvent := func(id string) *marketplace.PrivateEvent {
			t.Helper()
			p, err := nb.svc.Private(ctx, nb.worker, id)
			if err != nil {
				t.Fatal(err)
			}
			for i := range p.Events {
				if p.Events[i].Action == "need.close" {
					return &p.Events[i]
				}
			}
			return nil
		}
		status := func(id string) kernel.NeedStatus {
			t.Helper()
			p, err := nb.svc.Private(ctx, nb.worker, id)
			if err != nil {
				t.Fatal(err)
			}
			return p.Need.Status
		}

		// Refused without a reason, whatever the need's status, with the amount.
		for _, tc := range []struct {
			name, need, reason string
			unpaid             int64
		}{
			{"open, nothing paid, no reason", partly, "", 1_000_000},
			{"open, nothing paid, a blank reason", partly, " \n\t ", 1_000_000},
			{"funded, one fen not paid, no reason", funded, "", 1},
		} {
			before := len(audits(tc.need))
			_, err := nb.svc.Close(ctx, nb.worker, tc.need, marketplace.CloseInput{Note: "结案", UnpaidReason: tc.reason})
			var r *kernel.Refusal
			if !errors.As(err, &r) || r.Key != "refusal_close_money_unpaid" || !errors.Is(err, kernel.ErrConflict) || r.Args["UnpaidFen"] != tc.unpaid {
				t.Errorf("%s: %v (%+v), want refusal_close_money_unpaid of %d fen", tc.name, err, r, tc.unpaid)
			}
			if got := len(audits(tc.need)); got != before {
				t.Errorf("%s: the refused close wrote %d audit entries", tc.name, got-before)
			}
			if ev := closeEvent(tc.need); ev != nil {
				t.Errorf("%s: the refused close wrote an event", tc.name)
			}
		}
		if got := status(partly); got != kernel.NeedOpen {
			t.Errorf("after the refusals the need is %s, want open", got)
		}

		// The reason is validated like the note.
		_, err := nb.svc.Close(ctx, nb.worker, partly, marketplace.CloseInput{Note: "结案", UnpaidReason: strings.Repeat("字", marketplace.MaxNoteRunes+1)})
		var ve *kernel.ValidationError
		if !errors.As(err, &ve) || ve.Fields["unpaid_reason"] == "" || len(ve.Fields) != 1 {
			t.Errorf("a reason too long: %v, want a field error naming unpaid_reason", err)
		}

		// With the reason: closed, the reason sealed with the close event.
		const reason = "患者转院至省立医院，由该院救助"
		n, err := nb.svc.Close(ctx, nb.worker, partly, marketplace.CloseInput{Note: "患者已转院", UnpaidReason: reason})
		if err != nil || n.Status != kernel.NeedClosed {
			t.Fatalf("close with a reason: %v", err)
		}
		if got := status(partly); got != kernel.NeedClosed {
			t.Errorf("closed with a reason, the need is %s", got)
		}
		if ev := closeEvent(partly); ev == nil || ev.Note != "患者已转院" || ev.UnpaidReason != reason {
			t.Errorf("the close event: %+v, want the note and the unpaid reason", ev)
		}
		es := audits(partly)
		last := es[len(es)-1]
		if last.Action != "need.close" || !strings.Contains(last.Detail, `"unpaid_reason":"sealed"`) || strings.Contains(last.Detail, "转院") {
			t.Errorf("the close audit entry: %s %s, want the reason marked sealed and not in clear", last.Action, last.Detail)
		}
		var sealed int64
		if err := db.Gorm.Raw("SELECT COUNT(*) FROM need_events WHERE action = 'need.close' AND note_ct IS NOT NULL").Scan(&sealed).Error; err != nil || sealed != 1 {
			t.Errorf("sealed close events: %d (%v), want 1", sealed, err)
		}

		// Everything paid out: no reason needed, and one given is not kept.
		for _, tc := range []struct{ name, need, reason string }{
			{"all paid, no reason", paid, ""},
			{"all paid, a reason", paidWithReason, "不需要的说明"},
		} {
			if _, err := nb.svc.Close(ctx, nb.worker, tc.need, marketplace.CloseInput{Note: "疗程结束，费用已全部拨付", UnpaidReason: tc.reason}); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if ev := closeEvent(tc.need); ev == nil || ev.UnpaidReason != "" {
				t.Errorf("%s: the close event %+v, want one without an unpaid reason", tc.name, ev)
			}
			es := audits(tc.need)
			if last := es[len(es)-1]; last.Action != "need.close" || strings.Contains(last.Detail, "unpaid_reason") {
				t.Errorf("%s: the close audit entry %s %s", tc.name, last.Action, last.Detail)
			}
		}
	})
}
