package web

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/stats"
)

// The statistics agree with the rows: every figure of every report is
// recomputed here from the rows themselves — the needs table (dates it
// keeps), the need events, objections and referrals, and the ledger's
// journal (transactions and their entries on accounts), with Go loops over
// rows read by plain SELECTs — and must be the report's, for the whole,
// each place, month, category, organization and programme.

type rawNeed struct {
	ID                               int64
	PublicID, RegionCode, Category   string
	OrgID                            int64
	Status                           string
	SubmittedAt, ClearanceDueAt      *time.Time
	ClearedAt, PublishedAt, ClosedAt *time.Time
}

type rawEvent struct {
	NeedID                       int64
	At                           time.Time
	Action, FromStatus, ToStatus string
}

type rawWorldRows struct {
	div       *kernel.Divisions
	needs     map[int64]rawNeed
	needByPub map[string]rawNeed
	events    []rawEvent
	orgByPub  map[string]struct {
		ID         int64
		RegionCode string
	}
	orgPub    map[int64]string
	sourceOrg map[string]int64 // fund or project public id → organization
	txs       map[int64]struct {
		Kind      string
		CreatedAt time.Time
	}
	entries   []struct{ TransactionID, AccountID, AmountFen int64 }
	accounts  map[int64]struct{ Code, Kind string }
	referrals []struct {
		NeedID            int64
		Programme, Status string
		CreatedAt         time.Time
	}
	objections []struct {
		NeedID            int64
		Status            string
		ResolvedAt, DueAt *time.Time
	}
	steps []struct {
		Step, RegionCode string
		NeedID, ReportID *int64
		StartedAt, DueAt time.Time
		EndedAt          *time.Time
	}
	reports map[int64]struct {
		Category   string
		OwnerOrgID *int64
	}
}

func loadRawWorld(t *testing.T, env *testEnv) *rawWorldRows {
	t.Helper()
	g := env.db.Gorm
	w := &rawWorldRows{div: env.srv.Divisions, needs: map[int64]rawNeed{}, needByPub: map[string]rawNeed{}, orgPub: map[int64]string{}, sourceOrg: map[string]int64{},
		txs: map[int64]struct {
			Kind      string
			CreatedAt time.Time
		}{}, accounts: map[int64]struct{ Code, Kind string }{}}
	w.orgByPub = map[string]struct {
		ID         int64
		RegionCode string
	}{}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var needs []rawNeed
	must(g.Raw(`SELECT id, public_id, region_code, category, org_id, status, submitted_at, clearance_due_at, cleared_at, published_at, closed_at FROM needs`).Scan(&needs).Error)
	for _, n := range needs {
		w.needs[n.ID], w.needByPub[n.PublicID] = n, n
	}
	must(g.Raw(`SELECT need_id, at, action, from_status, to_status FROM need_events`).Scan(&w.events).Error)
	var orgs []struct {
		ID                   int64
		PublicID, RegionCode string
	}
	must(g.Raw(`SELECT id, public_id, region_code FROM organizations`).Scan(&orgs).Error)
	for _, o := range orgs {
		w.orgByPub[o.PublicID] = struct {
			ID         int64
			RegionCode string
		}{o.ID, o.RegionCode}
		w.orgPub[o.ID] = o.PublicID
	}
	var sources []struct {
		PublicID string
		OrgID    int64
	}
	must(g.Raw(`SELECT public_id, org_id FROM fund_sources`).Scan(&sources).Error)
	for _, s := range sources {
		w.sourceOrg[s.PublicID] = s.OrgID
	}
	var txs []struct {
		ID        int64
		Kind      string
		CreatedAt time.Time
	}
	must(g.Raw(`SELECT id, kind, created_at FROM ledger_transactions`).Scan(&txs).Error)
	for _, x := range txs {
		w.txs[x.ID] = struct {
			Kind      string
			CreatedAt time.Time
		}{x.Kind, x.CreatedAt}
	}
	must(g.Raw(`SELECT transaction_id, account_id, amount_fen FROM ledger_entries`).Scan(&w.entries).Error)
	var accounts []struct {
		ID         int64
		Code, Kind string
	}
	must(g.Raw(`SELECT id, code, kind FROM ledger_accounts`).Scan(&accounts).Error)
	for _, a := range accounts {
		w.accounts[a.ID] = struct{ Code, Kind string }{a.Code, a.Kind}
	}
	must(g.Raw(`SELECT need_id, programme, status, created_at FROM referrals`).Scan(&w.referrals).Error)
	must(g.Raw(`SELECT need_id, status, resolved_at, due_at FROM need_objections`).Scan(&w.objections).Error)
	must(g.Raw(`SELECT step, region_code, need_id, report_id, started_at, due_at, ended_at FROM case_steps`).Scan(&w.steps).Error)
	var reports []struct {
		ID         int64
		Category   string
		OwnerOrgID *int64
	}
	must(g.Raw(`SELECT id, category, owner_org_id FROM reports`).Scan(&reports).Error)
	w.reports = map[int64]struct {
		Category   string
		OwnerOrgID *int64
	}{}
	for _, r := range reports {
		w.reports[r.ID] = struct {
			Category   string
			OwnerOrgID *int64
		}{r.Category, r.OwnerOrgID}
	}
	return w
}

// recomputed is what the rows say a report holds, by the report's row
// keys: "total", "region:CODE" ("region:self" for the region's own line),
// "month:2026-11", "cat:CODE", "org:PUBLIC_ID", "prog:CODE".
type recomputed map[string]*stats.Figures

func (r recomputed) at(k string) *stats.Figures {
	if r[k] == nil {
		r[k] = &stats.Figures{}
	}
	return r[k]
}

// recompute computes from the rows the report of period for the region
// with prefix, whose breakdown by place has children, counting the money
// of moneyOrg alone when it is not 0; asOf is the report's AsOf.
func (w *rawWorldRows) recompute(period stats.Period, prefix string, children []string, moneyOrg int64, asOf time.Time) recomputed {
	from, to := period.Start(), period.End()
	out := recomputed{}
	region := func(code string) string {
		for _, c := range children {
			if strings.HasPrefix(code, w.div.Prefix(c)) {
				return "region:" + c
			}
		}
		return "region:self"
	}
	// flow counts fn into every row a flow at t of a need's (or an
	// organization's) place, category, organization and programme goes to.
	flow := func(t time.Time, code string, cat string, org int64, prog string, fn func(f *stats.Figures)) {
		if t.Before(from) || !t.Before(to) || !strings.HasPrefix(code, prefix) {
			return
		}
		keys := []string{"total", "month:" + stats.MonthOf(t).String()}
		if len(children) > 0 {
			keys = append(keys, region(code))
		}
		if cat != "" {
			keys = append(keys, "cat:"+cat)
		}
		if org != 0 {
			keys = append(keys, "org:"+w.orgPub[org])
		}
		if prog != "" {
			keys = append(keys, "prog:"+prog)
		}
		for _, k := range keys {
			fn(out.at(k))
		}
	}
	// The needs table's own dates.
	for _, n := range w.needs {
		if n.SubmittedAt != nil {
			flow(*n.SubmittedAt, n.RegionCode, n.Category, n.OrgID, "", func(f *stats.Figures) { f.Received++ })
		}
		if n.ClearedAt != nil {
			flow(*n.ClearedAt, n.RegionCode, n.Category, n.OrgID, "", func(f *stats.Figures) { f.Cleared++ })
		}
		if n.PublishedAt != nil {
			flow(*n.PublishedAt, n.RegionCode, n.Category, n.OrgID, "", func(f *stats.Figures) { f.Published++ })
		}
		if n.Status == "closed" && n.ClosedAt != nil {
			flow(*n.ClosedAt, n.RegionCode, n.Category, n.OrgID, "", func(f *stats.Figures) { f.Closed++ })
		}
	}
	// The events, for what the needs table keeps no date of.
	for _, e := range w.events {
		n := w.needs[e.NeedID]
		switch {
		case e.Action == "need.clearance":
			flow(e.At, n.RegionCode, n.Category, n.OrgID, "", func(f *stats.Figures) {
				switch e.ToStatus {
				case "rejected":
					f.Rejected++
				case "referred":
					f.Referred++
				}
				if n.ClearanceDueAt != nil {
					f.ClearanceDecided++
					if !e.At.After(*n.ClearanceDueAt) {
						f.ClearanceOnTime++
					}
				}
			})
		case e.Action == "need.review" && e.ToStatus == "rejected":
			flow(e.At, n.RegionCode, n.Category, n.OrgID, "", func(f *stats.Figures) { f.Rejected++ })
		case e.Action == "need.funded":
			flow(e.At, n.RegionCode, n.Category, n.OrgID, "", func(f *stats.Figures) { f.Funded++ })
		case e.Action == "need.disbursed":
			flow(e.At, n.RegionCode, n.Category, n.OrgID, "", func(f *stats.Figures) { f.Disbursed++ })
		}
	}
	for _, o := range w.objections {
		if o.ResolvedAt == nil || o.DueAt == nil || (o.Status != "upheld" && o.Status != "dismissed") {
			continue
		}
		n := w.needs[o.NeedID]
		flow(*o.ResolvedAt, n.RegionCode, n.Category, n.OrgID, "", func(f *stats.Figures) {
			f.ObjectionsResolved++
			if !o.ResolvedAt.After(*o.DueAt) {
				f.ObjectionsOnTime++
			}
		})
	}
	for _, r := range w.referrals {
		n := w.needs[r.NeedID]
		flow(r.CreatedAt, n.RegionCode, n.Category, n.OrgID, r.Programme, func(f *stats.Figures) {
			f.ReferralsMade++
			switch r.Status {
			case "open":
				f.ReferralsOpen++
			case "accepted":
				f.ReferralsAccepted++
			case "closed":
				f.ReferralsClosed++
			}
		})
	}
	// The case steps, by the category and organization of their need or
	// report.
	stepOf := func(i int) (cat string, org int64) {
		st := w.steps[i]
		switch {
		case st.NeedID != nil:
			n := w.needs[*st.NeedID]
			return n.Category, n.OrgID
		case st.ReportID != nil:
			r := w.reports[*st.ReportID]
			if r.OwnerOrgID != nil {
				org = *r.OwnerOrgID
			}
			return r.Category, org
		}
		return "", 0
	}
	for i, st := range w.steps {
		if st.EndedAt == nil {
			continue
		}
		cat, org := stepOf(i)
		onTime := !st.EndedAt.After(st.DueAt)
		flow(*st.EndedAt, st.RegionCode, cat, org, "", func(f *stats.Figures) {
			f.StepsEnded++
			if onTime {
				f.StepsOnTime++
			}
		})
		if !st.EndedAt.Before(from) && st.EndedAt.Before(to) && strings.HasPrefix(st.RegionCode, prefix) {
			out.at("step:"+st.Step).StepsEnded++
			if onTime {
				out.at("step:"+st.Step).StepsOnTime++
			}
		}
	}
	// The journal: each transaction's entries on their accounts.
	byTx := map[int64][]struct {
		acct struct{ Code, Kind string }
		fen  int64
	}{}
	for _, e := range w.entries {
		byTx[e.TransactionID] = append(byTx[e.TransactionID], struct {
			acct struct{ Code, Kind string }
			fen  int64
		}{w.accounts[e.AccountID], e.AmountFen})
	}
	owner := func(code string) string { _, o, _ := strings.Cut(code, ":"); return o }
	for id, entries := range byTx {
		tx := w.txs[id]
		switch tx.Kind {
		case "donation":
			for _, e := range entries {
				if e.acct.Kind != "donations" {
					continue
				}
				o := w.orgByPub[owner(e.acct.Code)]
				if moneyOrg != 0 && o.ID != moneyOrg {
					continue
				}
				fen := -e.fen
				flow(tx.CreatedAt, o.RegionCode, "", o.ID, "", func(f *stats.Figures) { f.RaisedFen += fen })
			}
		case "allocation", "match", "disbursement":
			var org int64
			for _, e := range entries {
				switch e.acct.Kind {
				case "fund", "project":
					org = w.sourceOrg[owner(e.acct.Code)]
				case "payable":
					org = w.orgByPub[owner(e.acct.Code)].ID
				}
			}
			if moneyOrg != 0 && org != moneyOrg {
				continue
			}
			for _, e := range entries {
				if e.acct.Kind != "need" {
					continue
				}
				n := w.needByPub[owner(e.acct.Code)]
				fen := e.fen
				if tx.Kind == "disbursement" {
					flow(tx.CreatedAt, n.RegionCode, n.Category, org, "", func(f *stats.Figures) { f.PaidFen += -fen })
				} else {
					flow(tx.CreatedAt, n.RegionCode, n.Category, org, "", func(f *stats.Figures) { f.AllocatedFen += fen })
				}
			}
		}
	}
	// Waiting past the due date at a moment: at the period's end (or now)
	// for the whole, at each month's end for the months.
	overdue := func(at time.Time, keys func(n rawNeed) []string) {
		for _, n := range w.needs {
			if n.SubmittedAt == nil || !n.SubmittedAt.Before(at) || n.ClearanceDueAt == nil || !n.ClearanceDueAt.Before(at) ||
				!strings.HasPrefix(n.RegionCode, prefix) {
				continue
			}
			done := false
			for _, e := range w.events {
				if e.NeedID == n.ID && e.FromStatus == "submitted" && e.ToStatus != "submitted" && e.At.Before(at) {
					done = true
				}
			}
			if !done {
				for _, k := range keys(n) {
					out.at(k).ClearanceOverdue++
				}
			}
		}
	}
	overdue(asOf, func(n rawNeed) []string {
		keys := []string{"total", "cat:" + n.Category, "org:" + w.orgPub[n.OrgID]}
		if len(children) > 0 {
			keys = append(keys, region(n.RegionCode))
		}
		return keys
	})
	stepsOverdue := func(at time.Time, keys func(i int) []string) {
		for i, st := range w.steps {
			if !st.StartedAt.Before(at) || !st.DueAt.Before(at) || (st.EndedAt != nil && st.EndedAt.Before(at)) || !strings.HasPrefix(st.RegionCode, prefix) {
				continue
			}
			for _, k := range keys(i) {
				out.at(k).StepsOverdue++
			}
		}
	}
	stepsOverdue(asOf, func(i int) []string {
		cat, org := stepOf(i)
		keys := []string{"total", "step:" + w.steps[i].Step}
		if cat != "" {
			keys = append(keys, "cat:"+cat)
		}
		if org != 0 {
			keys = append(keys, "org:"+w.orgPub[org])
		}
		if len(children) > 0 {
			keys = append(keys, region(w.steps[i].RegionCode))
		}
		return keys
	})
	if period.IsYear() {
		for _, m := range period.Months() {
			if !m.Start().Before(asOf) {
				break
			}
			at := m.End()
			if asOf.Before(at) {
				at = asOf
			}
			overdue(at, func(rawNeed) []string { return []string{"month:" + m.String()} })
			stepsOverdue(at, func(int) []string { return []string{"month:" + m.String()} })
		}
	} else {
		overdue(asOf, func(rawNeed) []string { return []string{"month:" + period.String()} })
		stepsOverdue(asOf, func(int) []string { return []string{"month:" + period.String()} })
	}
	return out
}

// reportRows lists a report's rows by the keys of recomputed.
func reportRows(r *stats.Report) recomputed {
	out := recomputed{"total": &r.Total}
	add := func(prefix string, rows []stats.Row) {
		for i := range rows {
			k := prefix + rows[i].Key
			if prefix == "region:" && rows[i].Self {
				k = "region:self"
			}
			out[k] = &rows[i].Figures
		}
	}
	add("region:", r.Regions)
	add("month:", r.Months)
	add("cat:", r.Categories)
	add("org:", r.Orgs)
	add("prog:", r.Programmes)
	add("step:", r.Steps)
	if !r.Period.IsYear() {
		// A month's figures are its total.
		f := r.Total
		out["month:"+r.Period.String()] = &f
	}
	return out
}

// agree fails t for every row where the report and the rows differ.
func agree(t *testing.T, name string, got, want recomputed) {
	t.Helper()
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		var g, w stats.Figures
		if got[k] != nil {
			g = *got[k]
		}
		if want[k] != nil {
			w = *want[k]
		}
		if g != w {
			t.Errorf("%s, %s:\n report %+v\n rows   %+v", name, k, g, w)
		}
	}
}

// TestStatisticsAgreeWithTheRows: a city's year, a county's months, a town,
// a city federation's view of one county, a charity's own money and the
// month now running, each over the API and recomputed from the rows, on
// SQLite and MariaDB; the world is rich enough that none of them is empty.
func TestStatisticsAgreeWithTheRows(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		w := newStatsWorld(t, env, 4)
		if problems, _, err := env.funds.VerifyLedger(context.Background()); err != nil || len(problems) > 0 {
			t.Fatalf("ledger: %v %v", problems, err)
		}
		rows := loadRawWorld(t, env)
		a, b := w.counties[0], w.counties[1]
		cases := []struct {
			name   string
			who    *kernel.Principal
			period string
			region string
		}{
			{"the city's year, by its civil affairs office", w.cityVer, "2026", "371700"},
			{"the province's year, by city", w.provVer, "2026", ""},
			{"the city's year, by its federation", w.cityFed, "2026", ""},
			{"郓城县's October", a.ver, "2026-10", ""},
			{"牡丹区's December", b.ver, "2026-12", ""},
			{"a town of 郓城县 in November", a.ver, "2026-11", a.towns[1]},
			{"牡丹区 by the city federation, the year", w.cityFed, "2026", b.code},
			{"the charity's own money in 郓城县", w.charityStaff, "2026", ""},
			{"the month now running", w.cityVer, "2027-01", ""},
			{"a month before anything", w.cityVer, "2026-08", ""},
		}
		for _, tc := range cases {
			path := "/api/v1/statistics?period=" + tc.period
			if tc.region != "" {
				path += "&region=" + tc.region
			}
			r := env.do(http.MethodGet, path, env.token(tc.who), nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
			}
			// The API answers the report the service makes; the service's
			// report is compared row by row.
			period, _ := stats.ParsePeriod(tc.period)
			rep, err := env.srv.Stats.Report(context.Background(), tc.who, stats.Query{Period: period, Region: tc.region})
			if err != nil {
				t.Fatal(err)
			}
			if body := decodeInto[statsJSON](t, r); body.Total != rep.Total || body.Region != rep.Region || len(body.ByRegion) != len(rep.Regions) {
				t.Errorf("%s: the API says %+v, the report %+v", tc.name, body.Total, rep.Total)
			}
			var children []string
			for _, row := range rep.Regions {
				if !row.Self {
					children = append(children, row.Key)
				}
			}
			var moneyOrg int64
			if rep.MoneyOf != nil {
				moneyOrg = rep.MoneyOf.ID
			}
			prefix := env.srv.Divisions.Prefix(rep.Region)
			agree(t, tc.name, reportRows(rep), rows.recompute(period, prefix, children, moneyOrg, rep.AsOf))
			if tc.period == "2026" && tc.region == "371700" {
				f := rep.Total
				for what, n := range map[string]int64{"received": f.Received, "cleared": f.Cleared, "rejected": f.Rejected, "referred": f.Referred,
					"published": f.Published, "funded": f.Funded, "disbursed": f.Disbursed, "closed": f.Closed, "raised": f.RaisedFen,
					"allocated": f.AllocatedFen, "paid": f.PaidFen, "decided late": f.ClearanceDecided - f.ClearanceOnTime, "on time": f.ClearanceOnTime,
					"overdue": f.ClearanceOverdue, "objections late": f.ObjectionsResolved - f.ObjectionsOnTime, "objections on time": f.ObjectionsOnTime,
					"referrals open": f.ReferralsOpen, "referrals accepted": f.ReferralsAccepted, "referrals closed": f.ReferralsClosed,
					"steps on time": f.StepsOnTime, "steps late": f.StepsEnded - f.StepsOnTime, "steps overdue": f.StepsOverdue} {
					if n <= 0 {
						t.Errorf("the world has no %s: the agreement would prove little (%+v)", what, f)
					}
				}
				if len(rep.Steps) < 4 {
					t.Errorf("the world's steps: %+v, want report follow-up, clearance, objection and the case", rep.Steps)
				}
				if len(rep.Regions) < 3 || len(rep.Orgs) < 5 || len(rep.Programmes) == 0 {
					t.Errorf("breakdowns too thin: %d places, %d organizations, %d programmes", len(rep.Regions), len(rep.Orgs), len(rep.Programmes))
				}
			}
			if tc.who == w.provVer {
				heze := 0
				for _, row := range rep.Regions {
					if row.Key == "371700" && row.Received > 0 {
						heze++
					}
				}
				if rep.Region != "370000" || len(rep.Regions) < 16 || heze != 1 {
					t.Errorf("the province's year: %s by %d cities, 菏泽市 with needs: %d", rep.Region, len(rep.Regions), heze)
				}
			}
			if tc.who == w.charityStaff && (rep.MoneyOf == nil || rep.MoneyOf.ID != w.charity.ID || rep.Total.AllocatedFen == 0 || rep.Total.RaisedFen != 500_000) {
				t.Errorf("the charity's report shows money of %v: %+v", rep.MoneyOf, rep.Total)
			}
		}
	})
}
