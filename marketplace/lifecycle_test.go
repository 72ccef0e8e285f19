package marketplace

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestNextFollowsTheLifecycleTable(t *testing.T) {
	cases := []struct {
		name   string
		from   kernel.NeedStatus
		action NeedAction
		to     kernel.NeedStatus
		// refused: the refusal's wording ("cannot withdraw a need that is funded").
		refused string
	}{
		{name: "a submitted need is cleared", from: kernel.NeedSubmitted, action: ActClear, to: kernel.NeedCleared},
		{name: "a submitted need is referred", from: kernel.NeedSubmitted, action: ActRefer, to: kernel.NeedReferred},
		{name: "publication puts a cleared need into notice", from: kernel.NeedCleared, action: ActPublish, to: kernel.NeedNotice},
		{name: "the emergency path opens a cleared need", from: kernel.NeedCleared, action: ActPublishOpen, to: kernel.NeedOpen},
		{name: "an objection keeps a need in notice", from: kernel.NeedNotice, action: ActObject, to: kernel.NeedNotice},
		{name: "an upheld objection rejects a need in notice", from: kernel.NeedNotice, action: ActUphold, to: kernel.NeedRejected},
		{name: "a dismissed objection resumes the notice", from: kernel.NeedSuspended, action: ActResume, to: kernel.NeedNotice},
		{name: "money to the full request funds an open need", from: kernel.NeedOpen, action: ActFund, to: kernel.NeedFunded},
		{name: "paying it all out disburses a funded need", from: kernel.NeedFunded, action: ActDisburse, to: kernel.NeedDisbursed},
		{name: "a refund reopens a funded need", from: kernel.NeedFunded, action: ActReopen, to: kernel.NeedOpen},
		{name: "a disbursed need is closed", from: kernel.NeedDisbursed, action: ActClose, to: kernel.NeedClosed},
		{name: "a funded need cannot be withdrawn", from: kernel.NeedFunded, action: ActWithdraw, refused: "cannot withdraw a need that is funded"},
		{name: "a cleared need cannot be cleared again", from: kernel.NeedCleared, action: ActReject, refused: "cannot clear a need that is cleared"},
		{name: "a need in notice cannot be published", from: kernel.NeedNotice, action: ActPublishOpen, refused: "cannot publish a need that is notice"},
		{name: "a closed need is never reopened", from: kernel.NeedClosed, action: ActReopen, refused: "cannot reopen a need that is closed"},
		{name: "a withdrawn need is never funded", from: kernel.NeedWithdrawn, action: ActFund, refused: "cannot fund a need that is withdrawn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			to, err := Next(tc.from, tc.action)
			if tc.refused != "" {
				var te *TransitionError
				if !errors.As(err, &te) || !errors.Is(err, kernel.ErrConflict) || te.Error() != "conflict: "+tc.refused {
					t.Fatalf("Next(%s, %s) = %q, %v; want the refusal %q", tc.from, tc.action, to, err, tc.refused)
				}
				return
			}
			if err != nil || to != tc.to {
				t.Fatalf("Next(%s, %s) = %q, %v; want %s", tc.from, tc.action, to, err, tc.to)
			}
		})
	}
}

func TestMoneyActionFollowsTheAmounts(t *testing.T) {
	cases := []struct {
		name                         string
		status                       kernel.NeedStatus
		requested, funded, disbursed int64
		want                         NeedAction
	}{
		{"funded in part stays open", kernel.NeedOpen, 1000, 999, 0, ""},
		{"funded fully is funded", kernel.NeedOpen, 1000, 1000, 0, ActFund},
		{"funded fully after notice is funded", kernel.NeedNotice, 1000, 1000, 0, ActFund},
		{"paid out in part stays funded", kernel.NeedFunded, 1000, 1000, 400, ""},
		{"paid out fully is disbursed", kernel.NeedFunded, 1000, 1000, 1000, ActDisburse},
		{"a refund below the request reopens", kernel.NeedFunded, 1000, 600, 0, ActReopen},
		{"money back from a withdrawn need leaves it withdrawn", kernel.NeedWithdrawn, 1000, 200, 0, ""},
		{"money back from a closed need leaves it closed", kernel.NeedClosed, 1000, 600, 600, ""},
		{"money back from an open need leaves it open", kernel.NeedOpen, 1000, 0, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := MoneyAction(tc.status, tc.requested, tc.funded, tc.disbursed); got != tc.want {
				t.Errorf("MoneyAction = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMoveMoneyRecordsTheMove(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ids := 0
	newID := func() string { ids++; return "ev1" }
	to, ch, err := MoveMoney("n1", kernel.NeedOpen, 1000, 1000, 0, "u1", "a1", newID, at)
	if err != nil || to != kernel.NeedFunded || ch == nil {
		t.Fatalf("MoveMoney = %s, %+v, %v", to, ch, err)
	}
	if ch.Event.Action != "need.funded" || ch.Event.From != kernel.NeedOpen || ch.Event.To != kernel.NeedFunded || ch.Event.Actor != "u1" {
		t.Errorf("event %+v", ch.Event)
	}
	if ch.Audit.Stream != "need:n1" || ch.Audit.Action != "need.funded" || ch.Audit.Detail !=
		`{"disbursed_fen":0,"event":"ev1","from":"open","funded_fen":1000,"ref":"a1","requested_fen":1000,"to":"funded"}` {
		t.Errorf("audit %+v", ch.Audit)
	}
	if to, ch, err := MoveMoney("n1", kernel.NeedOpen, 1000, 500, 0, "u1", "a2", newID, at); err != nil || to != kernel.NeedOpen || ch != nil {
		t.Errorf("a part: %s, %+v, %v; want no change", to, ch, err)
	}
	if ids != 1 {
		t.Errorf("%d event ids drawn, want 1", ids)
	}
}

func TestMayAnswersAsTheServiceRefuses(t *testing.T) {
	d, err := kernel.LoadDivisions()
	if err != nil {
		t.Fatal(err)
	}
	rules := NeedRules{Divisions: d}
	swa := &kernel.Org{ID: 1, Kind: kernel.OrgSocialWorkAgency, RegionCode: "371725"}
	worker := &kernel.Principal{User: kernel.User{PublicID: "w"}, Memberships: []kernel.Membership{{Role: kernel.RoleSocialWorker, Org: swa}}}
	civil := &kernel.Org{ID: 2, Kind: kernel.OrgCivilAffairs, RegionCode: "371725"}
	verifier := &kernel.Principal{User: kernel.User{PublicID: "v"}, Memberships: []kernel.Membership{{Role: kernel.RoleVerifier, Org: civil}}}
	far := &kernel.Org{ID: 3, Kind: kernel.OrgCivilAffairs, RegionCode: "430524"}
	farVerifier := &kernel.Principal{User: kernel.User{PublicID: "f"}, Memberships: []kernel.Membership{{Role: kernel.RoleVerifier, Org: far}}}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	need := func(st kernel.NeedStatus, funded int64) *Need {
		return &Need{OrgID: 1, RegionCode: "371725001", Status: st, RequestedFen: 1000, FundedFen: funded}
	}
	ended := now.Add(-time.Hour)
	inNotice := need(kernel.NeedNotice, 0)
	inNotice.NoticeEndsAt = &ended
	cases := []struct {
		name   string
		by     *kernel.Principal
		action NeedAction
		need   *Need
		want   string // "" allowed, else the refusal's catalogue key or "forbidden"/"transition"
	}{
		{"the covering verifier clears", verifier, ActClear, need(kernel.NeedSubmitted, 0), ""},
		{"a verifier elsewhere does not clear", farVerifier, ActClear, need(kernel.NeedSubmitted, 0), "refusal_clear_verifier_only"},
		{"the worker does not clear", worker, ActClear, need(kernel.NeedSubmitted, 0), "refusal_clear_verifier_only"},
		{"nobody clears a cleared need", verifier, ActClear, need(kernel.NeedCleared, 0), "transition"},
		{"the worker publishes", worker, ActPublish, need(kernel.NeedCleared, 0), ""},
		{"the worker withdraws before money", worker, ActWithdraw, need(kernel.NeedOpen, 0), ""},
		{"nobody withdraws after money", worker, ActWithdraw, need(kernel.NeedOpen, 100), "refusal_withdraw_allocated"},
		{"the verifier does not withdraw", verifier, ActWithdraw, need(kernel.NeedOpen, 0), "refusal_withdraw_role"},
		{"the worker closes after money", worker, ActClose, need(kernel.NeedFunded, 1000), ""},
		{"nobody closes without money", worker, ActClose, need(kernel.NeedOpen, 0), "refusal_close_no_money"},
		{"nobody closes a submitted need", worker, ActClose, need(kernel.NeedSubmitted, 0), "transition"},
		{"anyone objects during notice", nil, ActObject, need(kernel.NeedNotice, 0), ""},
		{"nobody objects once the notice ended", nil, ActObject, inNotice, "transition"},
		{"the worker confirms a funded need", worker, ActConfirm, need(kernel.NeedFunded, 1000), ""},
		{"nobody confirms a disbursed need", worker, ActConfirm, need(kernel.NeedDisbursed, 1000), "transition"},
		{"nobody funds a need by hand", worker, ActFund, need(kernel.NeedOpen, 1000), "forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := rules.May(tc.by, tc.action, tc.need, now)
			var te *TransitionError
			var r *kernel.Refusal
			got := ""
			switch {
			case err == nil:
			case errors.As(err, &te):
				got = "transition"
			case errors.As(err, &r):
				got = r.Key
			case errors.Is(err, kernel.ErrForbidden):
				got = "forbidden"
			default:
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("May = %v (%q), want %q", err, got, tc.want)
			}
		})
	}
}

// TestCloseUnpaidWantsAReasonForMoneyNotPaidOut: a need may be closed
// (May says so, and the page offers the form) while it holds money not paid
// out, but only with the reason it will not be paid out.
func TestCloseUnpaidWantsAReasonForMoneyNotPaidOut(t *testing.T) {
	for _, tc := range []struct {
		name              string
		funded, disbursed int64
		reason            string
		wantUnpaidFen     int64 // 0: allowed
	}{
		{"nothing paid out, no reason", 1000, 0, "", 1000},
		{"part paid out, no reason", 1000, 400, "", 600},
		{"one fen not paid out, a blank reason", 1000, 999, "  \n ", 1},
		{"nothing paid out, a reason", 1000, 0, "患者转院", 0},
		{"all paid out, no reason", 1000, 1000, "", 0},
		{"all paid out, a reason", 1000, 1000, "患者转院", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &Need{Status: kernel.NeedFunded, RequestedFen: 1000, FundedFen: tc.funded, DisbursedFen: tc.disbursed}
			err := NeedRules{}.CloseUnpaid(n, tc.reason)
			var r *kernel.Refusal
			switch {
			case tc.wantUnpaidFen == 0 && err != nil:
				t.Errorf("refused: %v", err)
			case tc.wantUnpaidFen == 0:
			case !errors.As(err, &r) || r.Key != "refusal_close_money_unpaid" || !errors.Is(err, kernel.ErrConflict):
				t.Errorf("%v, want the refusal refusal_close_money_unpaid", err)
			case r.Args["UnpaidFen"] != tc.wantUnpaidFen:
				t.Errorf("the refusal names %v fen, want %d", r.Args["UnpaidFen"], tc.wantUnpaidFen)
			}
		})
	}
}

func TestVerifyChainSeesAStatusMoveOutsideTheLifecycle(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var es []AuditEntry
	prev := GenesisHash
	for i, detail := range []string{`{"from":"draft","to":"submitted"}`, `{"from":"submitted","to":"submitted"}`, `{"note":"sealed"}`,
		`{"from":"submitted","to":"funded"}`} {
		e := AuditEntry{Stream: "need:n1", Seq: int64(i + 1), At: at, Actor: "u1", Action: "need.x", ObjectType: "need", ObjectID: "n1",
			Detail: detail, PrevHash: prev}
		e.Hash = ChainHash(prev, e)
		prev = e.Hash
		es = append(es, e)
	}
	problems := VerifyChain("need:n1", es, 4, prev)
	if len(problems) != 1 || problems[0].Seq != 4 {
		t.Fatalf("problems %v, want the move submitted → funded (#4) only", problems)
	}
	if p := VerifyChain("need:n1", es[:3], 3, es[2].Hash); len(p) != 0 {
		t.Errorf("a chain of allowed moves: %v", p)
	}
}

// docs/needs.md shows the lifecycle table: it lists exactly its moves.
func TestDocsListEveryLifecycleMove(t *testing.T) {
	b, err := os.ReadFile("../docs/needs.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| `([a-z_]+)` \\| `([a-z_]+)` \\|")
	var documented []string
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		documented = append(documented, m[1]+" "+m[2]+" "+m[3])
	}
	var table []string
	for _, m := range Moves() {
		table = append(table, string(m.From)+" "+string(m.Action)+" "+string(m.To))
	}
	if !slices.Equal(documented, table) {
		t.Errorf("docs/needs.md lists\n%s\nthe lifecycle table has\n%s", strings.Join(documented, "\n"), strings.Join(table, "\n"))
	}
}
