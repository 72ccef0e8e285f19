package web

import (
	"bytes"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/notify"
)

// fillMode says how fill fills: lists empty or not, flags false or true.
type fillMode struct{ empty, noFlags bool }

// fill returns a value of type t with every exported field set: strings
// and numbers not zero, flags true, pointers not nil, lists of two and
// maps of one element (as mode says: lists and maps empty, flags false).
// It is how a template test reaches the branches a page can show without
// knowing the view types' fields.
func fill(t reflect.Type, mode fillMode, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	if depth > 6 {
		return v
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString("x1")
	case reflect.Bool:
		v.SetBool(!mode.noFlags)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if t == reflect.TypeOf(time.Duration(0)) {
			v.SetInt(int64(36 * time.Hour))
		} else {
			v.SetInt(2)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(2)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Pointer:
		v.Set(fill(t.Elem(), mode, depth+1).Addr())
	case reflect.Slice:
		if !mode.empty {
			s := reflect.MakeSlice(t, 0, 2)
			for i := 0; i < 2; i++ {
				s = reflect.Append(s, fill(t.Elem(), mode, depth+1))
			}
			v.Set(s)
		}
	case reflect.Array:
		for i := 0; i < t.Len(); i++ {
			v.Index(i).Set(fill(t.Elem(), mode, depth+1))
		}
	case reflect.Map:
		m := reflect.MakeMap(t)
		if !mode.empty {
			m.SetMapIndex(fill(t.Key(), mode, depth+1), fill(t.Elem(), mode, depth+1))
		}
		v.Set(m)
	case reflect.Struct:
		if t == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)))
			break
		}
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				v.Field(i).Set(fill(f.Type, mode, depth+1))
			}
		}
	}
	return v
}

// filled returns a filled value of type T.
func filled[T any](mode fillMode) T {
	var x T
	return fill(reflect.TypeOf(&x).Elem(), mode, 0).Interface().(T)
}

// pageState is one state of a page: the view its handler passes, and the
// block rendered ("layout" for the page, another for an htmx update).
type pageState struct {
	name, template, block string
	data                  any
}

// pageStates lists, for every page template, the views its handlers pass:
// filled with empty and non-empty lists, flags true and false, and each
// state the page shows.
func pageStates() []pageState {
	var out []pageState
	add := func(tmpl, block, name string, data any) {
		out = append(out, pageState{name: tmpl + "/" + block + "/" + name, template: tmpl, block: block, data: data})
	}
	both := func(tmpl, block string, view func(fillMode) any) {
		add(tmpl, block, "filled", view(fillMode{}))
		add(tmpl, block, "empty lists", view(fillMode{empty: true}))
		add(tmpl, block, "flags false", view(fillMode{noFlags: true}))
	}
	// The payment import: running, merging, finished (resumed or not, with
	// and without bad rows and unknown programmes), failed, stalled, with
	// and without its upload here, from the page and the command line.
	base := record.ImportBatch{ID: "j1", FileName: "2026-11.csv", Source: record.SourceWeb, Status: record.ImportRunning,
		LinesDone: 40, Staged: 30, Rejected: 9, Parts: 4, Attempts: 1}
	running := importView{Batch: base, State: "running", By: "核查员"}
	merging := running
	merging.Batch.MergedParts, merging.Batch.Accepted = 2, 20
	finished := importView{Batch: base, State: "done", By: "核查员",
		Errors:  []record.RowError{{Line: 3, Error: "amount: negative"}, {Line: 7, Error: "malformed CSV"}},
		Unknown: []record.ProgrammeCount{{Programme: "x:1", Name: "价格临时补贴", Rows: 3}}}
	finished.Batch.Status, finished.Batch.Attempts, finished.Batch.Accepted, finished.Batch.Duplicates = record.ImportDone, 2, 30, 1
	clean := finished
	clean.Errors, clean.Unknown, clean.Batch.Attempts, clean.Batch.Source = nil, nil, 1, record.SourceCLI
	failed := importView{Batch: base, State: "failed", CanResume: true}
	failed.Batch.Status = record.ImportFailed
	stalled := importView{Batch: base, State: "stalled"}
	for name, v := range map[string]importView{"running": running, "merging": merging, "finished": finished,
		"finished without bad rows": clean, "failed": failed, "stalled": stalled} {
		add("verify_import", "layout", name, v)
		add("verify_import", "importstatus", name, v)
	}
	add("verify_imports", "layout", "form", importsPage{})
	add("verify_imports", "layout", "no file", importsPage{Invalid: "x"})
	add("verify_imports", "layout", "history", importsPage{Imports: []importView{running, finished, clean, failed, stalled}})

	both("audit", "layout", func(e fillMode) any { return filled[auditPage](e) })
	add("audit", "layout", "form", auditPage{})
	both("audit_log", "layout", func(e fillMode) any { return filled[auditLogPage](e) })
	both("audit_ledger", "layout", func(e fillMode) any { return filled[ledgerPage](e) })
	add("audit_log", "layout", "bad filter", auditLogPage{Families: auditFamilies, Error: "x", Filter: auditLogFilter{From: "2026-12-01", To: "2026-11-01"}})
	add("audit_ledger", "layout", "bad filter", ledgerPage{Kinds: funds.TxKinds, Error: "x"})
	{
		// Every kind of actor and chain the log shows, a move of status, a
		// need without a public title, filters as chips, both page links.
		rec := func(stream, actor, action string) marketplace.AuditRecord {
			return marketplace.AuditRecord{Key: 9, AuditEntry: marketplace.AuditEntry{Stream: stream, Seq: 3, Actor: actor, Action: action,
				At: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), Hash: strings.Repeat("ab", 32)}}
		}
		rows := []auditLogRow{
			{AuditRecord: rec("need:n1", "u1", "need.clearance"), ActorKind: "user", ActorName: "李核验", ActorRoles: []kernel.Role{kernel.RoleVerifier},
				Subject: "need", SubjectID: "n1", NeedTitle: "透析费用", From: kernel.NeedSubmitted, To: kernel.NeedCleared},
			{AuditRecord: rec("need:n2", "u2", "claim.create"), ActorKind: "user", ActorRoles: []kernel.Role{kernel.RoleVolunteer}, Subject: "need", SubjectID: "n2"},
			{AuditRecord: rec("need:n2", "system", "need.funded"), ActorKind: "system", Subject: "need", SubjectID: "n2"},
			{AuditRecord: rec("report:r1", "anonymous", "report.submit"), ActorKind: "anonymous", Subject: "report", SubjectID: "r1"},
			{AuditRecord: rec("charity-aid", "u9", "charity_aid.export"), ActorKind: "unknown", Subject: "charity-aid", Region: "371725"},
			{AuditRecord: rec("charity-aid", "cli", "charity_aid.export"), ActorKind: "cli", Subject: "charity-aid", Region: "3717"},
			{AuditRecord: rec("accounts", "u1", "some.new_action"), ActorKind: "user", ActorName: "管理员", ActorRoles: []kernel.Role{kernel.RoleAdmin}, Subject: "accounts"},
		}
		add("audit_log", "layout", "every kind of row", auditLogPage{Families: auditFamilies, Rows: rows, Next: "/audit/log?before=9", Newest: "/audit/log",
			CSV: "/audit/log?format=csv", Filter: auditLogFilter{Stream: "need:n1", Actor: "u1", Object: "o1", Action: "need."},
			Chips: []auditChip{{"stream", "透析费用", "/audit/log"}, {"actor", "李核验", "/audit/log"}, {"object", "o1", "/audit/log"}}})
		tx := funds.LedgerTx{Key: 9, PublicID: "t1", Kind: funds.TxAllocation, RefType: "allocation", RefID: "a1", Reverses: "t0",
			Entries: []funds.Entry{{Account: funds.Account{Kind: funds.AccountFund, Owner: "f1"}, AmountFen: -100}, {Account: funds.Account{Kind: funds.AccountNeed, Owner: "n1"}, AmountFen: 100}}}
		add("audit_ledger", "layout", "a transaction", ledgerPage{Kinds: funds.TxKinds, Sources: []funds.SourceRef{{PublicID: "f1", Kind: funds.KindFund, Name: "助医基金"}},
			Filter: ledgerFilter{Source: "f1", Kind: "allocation"}, Next: "/audit/ledger?before=9", CSV: "/audit/ledger?format=csv",
			Rows: []ledgerRow{{LedgerTx: tx, Lines: []ledgerLine{{Kind: funds.AccountFund, Owner: "f1", Name: "助医基金", AmountFen: -100},
				{Kind: funds.AccountNeed, Owner: "n1", AmountFen: 100}, {Kind: funds.AccountDonations, Owner: "o1", AmountFen: 0}}}}})
	}
	both("my_pledge", "layout", func(e fillMode) any { return filled[myPledgePage](e) })
	both("my_giving", "layout", func(e fillMode) any { return filled[givingPage](e) })
	{
		// Monthly gifts active (reminded or charged), paused and stopped,
		// with a month in every state.
		at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
		var runs []funds.RecurringRun
		for _, st := range []string{funds.MonthPaid, funds.MonthWaiting, funds.MonthCharging, funds.MonthMissed, funds.MonthSkipped, funds.MonthRefunded} {
			run := funds.RecurringRun{Period: "2026-11", Outcome: funds.RunPledged, PledgeID: "p1", At: at, State: st}
			if st == funds.MonthSkipped {
				run.Outcome, run.PledgeID, run.ReasonCode = funds.RunSkipped, "", funds.SkipNeedFunded
			}
			runs = append(runs, run)
		}
		runs = append(runs, funds.RecurringRun{Period: "2026-10", Outcome: funds.RunFallback, PledgeID: "p0", At: at, State: funds.MonthPaid, ReasonCode: funds.SkipNeedEnded})
		var gifts []funds.Recurring
		for _, st := range []funds.RecurringStatus{funds.RecurringActive, funds.RecurringPaused, funds.RecurringCancelled} {
			gifts = append(gifts, funds.Recurring{PublicID: "r-" + string(st), TargetType: funds.TargetFund, TargetPublicID: "f1", AmountFen: 5_000,
				DayOfMonth: 23, Status: st, NextAt: at, Runs: runs})
		}
		gifts = append(gifts, funds.Recurring{PublicID: "r-charged", TargetType: funds.TargetNeed, TargetPublicID: "n1", AmountFen: 5_000,
			DayOfMonth: 1, Status: funds.RecurringActive, AgreementChannel: funds.ChannelWeChatPay, NextAt: at})
		add("my_giving", "layout", "monthly gifts in every state", givingPage{Giving: &funds.Giving{Recurring: gifts}, Titles: needTitles{}, Sources: map[string]string{"f1": "助学基金"}})
	}
	both("my_receipt", "layout", func(e fillMode) any { return filled[receiptView](e) })
	both("my_receipt_profile", "layout", func(e fillMode) any { return filled[receiptProfilePage](e) })
	add("my_receipt_profile", "layout", "nothing entered yet", receiptProfilePage{Shown: funds.ReceiptDonor{Kind: funds.DonorAnonymous, Name: "匿名"}})
	both("staff_receipts", "layout", func(e fillMode) any { return filled[staffReceiptsPage](e) })
	add("staff_receipts", "layout", "a period without receipts", staffReceiptsPage{Orgs: []*kernel.Org{{PublicID: "o1", Name: "慈善总会"}}, Org: "o1",
		From: "2026-11-01", To: "2026-11-30", Listed: true, Invalid: map[string]string{}})
	both("source", "layout", func(e fillMode) any { return filled[sourcePage](e) })
	both("sources", "layout", func(e fillMode) any { return filled[sourcesPage](e) })
	both("disclosures", "layout", func(e fillMode) any { return filled[disclosuresPage](e) })
	both("staff_money", "layout", func(e fillMode) any { return filled[moneyView](e) })
	both("staff_need_money", "layout", func(e fillMode) any { return filled[needMoneyPage](e) })
	for _, st := range []kernel.NeedStatus{kernel.NeedOpen, kernel.NeedSuspended} {
		for _, empty := range []bool{false, true} {
			v := filled[needMoneyPage](fillMode{empty: empty})
			v.Status = st
			add("staff_need_money", "layout", string(st)+map[bool]string{true: ", nothing yet", false: ""}[empty], v)
		}
	}
	both("staff_payouts", "layout", func(e fillMode) any { return filled[payoutsPage](e) })
	both("staff_pledges", "layout", func(e fillMode) any { return filled[pledgeQueuePage](e) })
	both("worker_reports", "layout", func(e fillMode) any { return filled[reportsPage](e) })
	both("worker_report", "layout", func(e fillMode) any { return filled[workerReportPage](e) })
	both("worker_claims", "layout", func(e fillMode) any { return filled[workerClaimsPage](e) })
	add("worker_claims", "layout", "waiting, one refused", workerClaimsPage{Filter: "pending", Filters: claimFilters,
		Reasons: marketplace.ClaimRejectReasons, Failed: "c1", Reason: "schedule", Error: "x", Errors: map[string]string{"reason": "is required"},
		Claims: []claimView{{Claim: marketplace.Claim{PublicID: "c1", NeedPublicID: "n1", VolunteerName: "李", Service: kernel.SvcLegalAid, WindowDays: 7},
			Title: "t", State: marketplace.ClaimPending}, {Claim: marketplace.Claim{PublicID: "c2", WindowDays: 3}, State: marketplace.ClaimPending}}})
	both("staff_volunteers", "layout", func(e fillMode) any { return filled[staffVolunteersPage](e) })
	add("staff_volunteers", "layout", "plain", staffVolunteersPage{Statuses: marketplace.BackgroundStatuses,
		Volunteers: []marketplace.Volunteer{{PublicID: "v1", DisplayName: "王"}}})
	both("admin", "layout", func(e fillMode) any { return filled[adminPage](e) })
	add("admin", "layout", "form", adminPage{Kinds: kernel.OrgKinds})
	both("admin_org", "layout", func(e fillMode) any { return filled[adminOrgPage](e) })
	add("admin_org", "layout", "no members", adminOrgPage{Org: &kernel.Org{Name: "x", Kind: kernel.OrgCharity, RegionCode: "371725"},
		Roles: kernel.OrgCharity.Roles(), MinPw: 10})
	add("staff_source_new", "layout", "empty", sourceForm{Values: url.Values{"kind": {"fund"}}, Errors: map[string]string{}})
	add("staff_source_new", "layout", "errors", sourceForm{Values: url.Values{"kind": {"project"}, "budget": {"-1"}},
		Errors: map[string]string{"name": "is required", "budget": "must be an amount in yuan above zero"}, FormErrorMsg: "x"})
	both("needs", "layout", func(e fillMode) any { return filled[needsPage](e) })
	both("needs", "results", func(e fillMode) any { return filled[needsPage](e) })
	both("need", "layout", func(e fillMode) any { return filled[needPage](e) })
	add("message", "layout", "message", message{Title: "t", Text: "x"})
	both("report", "layout", func(e fillMode) any { return filled[reportPage](e) })
	add("report", "layout", "form", reportPage{Categories: kernel.Categories, Values: map[string]string{}})
	both("report_status", "layout", func(e fillMode) any { return filled[reportStatusPage](e) })
	add("report_status", "layout", "form", reportStatusPage{})
	add("report_status", "layout", "wrong code", reportStatusPage{ID: "01report", Error: "x"})
	for _, st := range marketplace.ReportStatuses {
		add("report_status", "layout", string(st), reportStatusPage{ID: "01report", Report: &reportStatusView{ID: "01report", Status: st, Routed: 2}})
		add("report_status", "layout", string(st)+", taken", reportStatusPage{ID: "01report", Report: &reportStatusView{ID: "01report", Status: st, OrgName: "x"}})
	}
	both("volunteer", "layout", func(e fillMode) any { return filled[volunteerPage](e) })
	both("verify_review", "layout", func(e fillMode) any { return filled[reviewPage](e) })
	both("verify_referrals", "layout", func(e fillMode) any { return filled[referralsPage](e) })
	both("verify_objections", "layout", func(e fillMode) any { return filled[verifyObjectionsPage](e) })
	both("objection", "layout", func(e fillMode) any { return filled[objectionPage](e) })
	add("objection", "layout", "lookup form", objectionPage{ID: "01objection"})
	both("verify_charity_aid", "layout", func(e fillMode) any { return filled[charityAidPage](e) })
	both("staff", "layout", func(e fillMode) any { return filled[staffPage](e) })
	both("staff_plan", "layout", func(e fillMode) any { return filled[planPage](e) })
	both("staff_reconcile", "layout", func(e fillMode) any { return filled[reconcilePage](e) })
	add("staff_reconcile", "layout", "form", reconcilePage{})
	add("staff_reconcile", "layout", "refused bill", reconcilePage{Error: "x", Rows: []string{"第 2 行 订单金额：不是金额"}, MoreRows: 3})
	both("staff_reconcile_run", "layout", func(e fillMode) any { return filled[reconcileRunPage](e) })
	{
		// A run with a line of every mismatch, each kind of line, a
		// pledge the bill lacks, every format; and one interrupted.
		at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
		var groups []mismatchGroup
		for i, code := range funds.MismatchCodes {
			l := funds.ReconcileLine{Line: i + 2, Kind: string(funds.BillPayment), Reference: "JJ0123456789", TradeNo: "4200001", AmountFen: 100, Code: code, PledgeFen: 200, At: &at}
			if code == funds.MismatchMissing {
				l.Line, l.Kind, l.TradeNo, l.PledgeID = 0, string(funds.BillPledge), "", "p1"
			}
			if code == funds.MismatchRefundNotInLedger {
				l.Kind = string(funds.BillRefund)
			}
			groups = append(groups, mismatchGroup{Code: code, Lines: []funds.ReconcileLine{l}})
		}
		for _, f := range []funds.BillFormat{funds.BillWeChatPay, funds.BillAlipay, funds.BillAlipayAccount, funds.BillBank, funds.BillStatement} {
			run := &funds.ReconcileRun{PublicID: "r1", Format: f, FileName: "All.csv", OrgName: "x", CreatedByName: "y", CreatedAt: at,
				Status: funds.RunDone, PeriodFrom: &at, PeriodTo: &at, Counts: funds.ReconcileCounts{Lines: 12, Mismatches: 10}}
			add("staff_reconcile_run", "layout", string(f), reconcileRunPage{Run: run, Groups: groups, Listed: 10, Lines: runLines{}})
		}
		add("staff_reconcile_run", "layout", "interrupted, all matched", reconcileRunPage{Run: &funds.ReconcileRun{PublicID: "r1", Format: funds.BillBank,
			Status: funds.RunRunning, RepeatOf: "r0"}, Lines: runLines{}})
	}
	both("worker_need_new", "layout", func(e fillMode) any { return filled[needForm](e) })
	both("worker_need_new", "preview", func(e fillMode) any { return filled[previewView](e) })
	both("worker_needs", "layout", func(e fillMode) any { return filled[orgNeedsPage](e) })
	both("verify_queue", "layout", func(e fillMode) any { return filled[verifyQueuePage](e) })
	both("staff_need", "layout", func(e fillMode) any { return filled[staffNeedPage](e) })
	// The county's approval with its 一事一议 (filled, the town's review
	// shows instead).
	countyApproval := filled[staffNeedPage](fillMode{})
	countyApproval.Steps.CanReview = false
	add("staff_need", "layout", "county approval with a group decision", countyApproval)
	both("home", "layout", func(e fillMode) any { return filled[homePage](e) })
	add("home", "layout", "no search", homePage{})
	add("login", "layout", "form", loginPage{})
	add("login", "layout", "failed", loginPage{Email: "a@b.cn", Error: "x"})
	add("login", "layout", "with next", loginPage{Next: "/needs/x"})
	both("register", "layout", func(e fillMode) any { return filled[registerPage](e) })
	add("register", "layout", "form", registerPage{Role: "donor", MinPw: 10})
	both("staff_org", "layout", func(e fillMode) any { return filled[orgAccountPage](e) })
	add("staff_org", "layout", "no organization", orgAccountPage{})
	add("error", "layout", "error", map[string]string{"Message": "x"})
	out = append(out, paychanPageStates()...)
	// Notifications: the inbox read and unread, paged; the settings with
	// every channel offered, none, a phone or not, errors; the outbox in
	// each state.
	both("inbox", "layout", func(e fillMode) any { return filled[inboxPage](e) })
	add("inbox", "layout", "one unread of many", inboxPage{Unread: 1, Items: []inboxItemView{{ID: "i1", Subject: "s", Body: "b", Link: "/x"},
		{ID: "i2", Subject: "s2", Body: "b2", Read: true}}, Pager: pager{Page: 2, Pages: 3, Prev: "/inbox", Next: "/inbox?page=3"}})
	both("my_notifications", "layout", func(e fillMode) any { return filled[notifySettingsPage](e) })
	add("my_notifications", "layout", "inbox only", notifySettingsPage{Settings: &notify.Settings{Kinds: []notify.KindSetting{{Kind: notify.KindReportNew}}}})
	add("my_notifications", "layout", "no kinds", notifySettingsPage{Settings: &notify.Settings{}})
	add("my_notifications", "layout", "a bad phone", notifySettingsPage{Phone: "123", Errors: map[string]string{"phone": "x", "preferences": "y"}, FormErrorMsg: "x",
		Settings: &notify.Settings{Offered: []notify.Channel{notify.ChannelEmail, notify.ChannelSMS}, Email: "a@b.cn",
			Kinds: []notify.KindSetting{{Kind: notify.KindPledgeConfirmed, Choice: notify.Choice{Email: true, SMS: true}, EmailOffered: true, SMSOffered: true}}}})
	both("admin_notifications", "layout", func(e fillMode) any { return filled[deliveriesPage](e) })
	for _, st := range deliveryStates {
		v := filled[deliveriesPage](fillMode{})
		v.State = st
		for i := range v.Items {
			v.Items[i].State = notify.DeliveryState(st)
			v.Items[i].Event.Kind = notify.KindGiftDisbursed
			v.Items[i].Channel = notify.ChannelEmail
		}
		add("admin_notifications", "layout", st, v)
	}
	// Statistics, a federation's counties, printed notices (branch stats).
	for _, by := range statsTabs {
		for _, mode := range []fillMode{{}, {empty: true}, {noFlags: true}} {
			v := filled[statsPage](mode)
			v.By = by
			add("stats", "layout", by+fmt.Sprintf(" %+v", mode), v)
		}
	}
	add("stats", "layout", "refused", statsPage{Kind: "month", Period: "2030-13", Error: "x", InvalidRegion: true, InvalidPeriod: true})
	both("staff_counties", "layout", func(e fillMode) any { return filled[countiesPage](e) })
	add("staff_counties", "layout", "not a federation", countiesPage{Period: "2026-11"})
	both("staff_county", "layout", func(e fillMode) any { return filled[countyPage](e) })
	both("verify_notices", "layout", func(e fillMode) any { return filled[noticesPage](e) })
	add("verify_notices", "layout", "no place", noticesPage{})
	add("verify_notices", "layout", "refused", noticesPage{Places: []statsPlace{{"371725", "郓城县"}}, Region: "371702", Name: "牡丹区", Error: "x"})
	for _, layout := range []string{"one", "pages", "list"} {
		for _, mode := range []fillMode{{}, {noFlags: true}} {
			v := filled[noticePrint](mode)
			v.Layout = layout
			add("notice_print", "print", layout+fmt.Sprintf(" %+v", mode), v)
			add("notice_print", "layout", layout+fmt.Sprintf(" %+v", mode), v)
		}
	}
	add("notice_print", "print", "an empty list", noticePrint{Layout: "list", Place: "郓城县"})
	return out
}

// TestEveryPageTemplateRendersInEveryState renders every page template
// against the view types its handlers pass, in each state, in Chinese and
// English, signed out and signed in with every role: a template that reads
// a field its view lacks (or a nil one) fails here, not in front of a user.
func TestEveryPageTemplateRendersInEveryState(t *testing.T) {
	ps, err := newPages()
	if err != nil {
		t.Fatal(err)
	}
	states := pageStates()
	covered := map[string]bool{}
	for _, st := range states {
		covered[st.template] = true
	}
	var missing []string
	for name := range ps.tmpl {
		if !covered[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("page templates without states in pageStates: %v", missing)
	}
	everyone := &kernel.Principal{User: kernel.User{PublicID: "u1", Email: "a@b.cn"}}
	for _, r := range kernel.Roles {
		everyone.Memberships = append(everyone.Memberships, kernel.Membership{Role: r, Org: &kernel.Org{PublicID: "o1", Name: "x"}})
	}
	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			tmpl, ok := ps.tmpl[st.template]
			if !ok {
				t.Fatalf("no template %q", st.template)
			}
			for _, lang := range []string{"zh", "en"} {
				for _, user := range []*kernel.Principal{nil, everyone} {
					p := &page{Lang: lang, CSRF: "c", Path: "/", User: user, Data: st.data,
						loc: i18n.NewLocalizer(ps.bundle, lang), div: ps.div}
					var buf bytes.Buffer
					if err := tmpl.ExecuteTemplate(&buf, st.block, p); err != nil {
						t.Fatalf("%s, signed in %v: %v", lang, user != nil, err)
					}
					if strings.TrimSpace(buf.String()) == "" {
						t.Fatalf("%s: renders nothing", lang)
					}
					if out := buf.String(); strings.Contains(out, "no value>") {
						t.Fatalf("%s: a message lacks its template data: %s", lang, out)
					}
				}
			}
		})
	}
}
