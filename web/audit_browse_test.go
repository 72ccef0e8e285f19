package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

func init() {
	addRouteAccess(map[string][]string{
		"GET /api/v1/audit-log": {"auditor"},
		"GET /api/v1/ledger":    {"auditor"},
	})
}

// auditLogBody is the API's answer for the audit log.
type auditLogBody struct {
	Next  string         `json:"next"`
	Items []auditLogJSON `json:"items"`
}

// ledgerBody is the API's answer for the ledger.
type ledgerBody struct {
	Next  string         `json:"next"`
	Items []ledgerTxJSON `json:"items"`
}

// householdSecrets are what needBody says of the household: no browser of
// the auditor's may show any of them.
func householdSecrets() []string {
	return []string{"张建华", "王秀英", "张小明", idNumber("371725", "19800315", "123"), "13812345678", "李庄村"}
}

// auditWorld is a need of 郓城县 posted, cleared and published, money
// given to a fund of 郓城县's federation and allocated to the need, and a
// need and a fund of 隆回县 (another county, another federation), which the
// auditor of 郓城县's federation must not see.
type auditWorld struct {
	need, otherNeed, fund, otherFund string
	claim                            string
	verifier                         string // public id
	auditor                          string // token
	auditorP                         *kernel.Principal
}

func newAuditWorld(t *testing.T, env *testEnv) auditWorld {
	t.Helper()
	ctx := context.Background()
	var w auditWorld
	wtok, _ := env.user(kernel.RoleSocialWorker, nil)
	vtok, vp := env.user(kernel.RoleVerifier, nil)
	w.verifier = vp.User.PublicID
	w.need = env.createNeed(wtok, needBody())
	env.clearAndPublish(w.need, wtok, vtok)

	agency := mustOrg(t, env, "隆回县社工站", kernel.OrgSocialWorkAgency, "430524")
	otok, _ := env.user(kernel.RoleSocialWorker, agency)
	body := needBody()
	ben := body["beneficiary"].(map[string]any)
	ben["id_number"], ben["region_code"], ben["address"] = idNumber("430524", "19700101", "135"), "430524", "湖南省邵阳市隆回县桃洪镇"
	ben["members"] = []map[string]any{}
	body["consent"] = map[string]any{"given": true, "given_by": "本人", "relation": "self", "method": "written", "at": "2026-11-20"}
	w.otherNeed = env.createNeed(otok, body)

	_, staff := env.user(kernel.RoleFederationStaff, nil)
	w.fund = env.fundWithBalance(staff, kernel.Restrictions{}, 5_000_000)
	env.advance(121 * time.Hour) // the notice ends: the need is open
	vol, _, _ := env.volunteerWith(t, "hospital_escort")
	r := env.do(http.MethodPost, "/api/v1/needs/"+w.need+"/claims", vol, map[string]any{"service": "hospital_escort", "window_days": 7})
	if r.Status != http.StatusCreated {
		t.Fatalf("claim: %d %s", r.Status, r.Body)
	}
	w.claim = r.JSON(t)["id"].(string)
	// All the need asked for: the need is funded.
	if _, err := env.funds.Allocate(ctx, staff, funds.KindFund, w.fund, w.need, 3_000_000, nil); err != nil {
		t.Fatal(err)
	}
	fedB := mustOrg(t, env, "隆回县慈善总会", kernel.OrgCharityFederation, "430524")
	_, staffB := env.user(kernel.RoleFederationStaff, fedB)
	w.otherFund = env.fundWithBalance(staffB, kernel.Restrictions{}, 70_000)
	w.auditor, w.auditorP = env.user(kernel.RoleAuditor, nil)
	return w
}

// Through the API the auditor reads the log of their region's needs, newest
// first, filtered by action, family, chain, actor and dates, a page at a
// time, and downloads it as CSV; the other county's need, the accounts
// chain and the household stay out, and no other role reads it.
func TestAuditLogAPIFiltersPagesExportsAndScopes(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		w := newAuditWorld(t, env)
		get := func(q string, want int) auditLogBody {
			t.Helper()
			r := env.do(http.MethodGet, "/api/v1/audit-log"+q, w.auditor, nil)
			if r.Status != want {
				t.Fatalf("%s: %d %s", q, r.Status, r.Body)
			}
			for _, s := range append(householdSecrets(), w.otherNeed) {
				if strings.Contains(string(r.Body), s) {
					t.Errorf("%s shows %q", q, s)
				}
			}
			if want != 200 {
				return auditLogBody{}
			}
			return decodeInto[auditLogBody](t, r)
		}
		actions := func(b auditLogBody) []string {
			var out []string
			for _, it := range b.Items {
				out = append(out, it.Action)
			}
			return out
		}

		all := get("", 200)
		if len(all.Items) == 0 || all.Next != "" {
			t.Fatalf("the whole log: %+v", all)
		}
		var clearance, claim *auditLogJSON
		for i, it := range all.Items {
			switch {
			case it.SubjectType == "need" && it.SubjectID == w.need:
				if i > 0 && all.Items[i-1].SubjectType == "need" && it.Seq >= all.Items[i-1].Seq {
					t.Errorf("not newest first: #%d after #%d", it.Seq, all.Items[i-1].Seq)
				}
			case it.SubjectType == "claim" && it.SubjectID == w.claim:
				claim = &all.Items[i]
			default:
				t.Errorf("an entry out of the region's needs: %+v", it)
			}
			if it.Action == "need.clearance" {
				clearance = &all.Items[i]
			}
		}
		// A volunteer is named by role only.
		if claim == nil || claim.Action != "claim.create" || claim.ActorName != "" || claim.ActorKind != "user" ||
			!slices.Equal(claim.ActorRoles, []kernel.Role{kernel.RoleVolunteer}) {
			t.Errorf("the volunteer's claim: %+v", claim)
		}
		if clearance == nil || clearance.ActorID != w.verifier || clearance.ActorName != testRoleName[kernel.RoleVerifier] ||
			!slices.Equal(clearance.ActorRoles, []kernel.Role{kernel.RoleVerifier}) || clearance.FromStatus != "submitted" ||
			clearance.ToStatus != "cleared" || clearance.NeedTitle == "" || len(clearance.Hash) != 64 {
			t.Errorf("the clearance: %+v", clearance)
		}
		for _, a := range []string{"need.submit", "need.clearance", "need.publish", "need.funded"} {
			if !slices.Contains(actions(all), a) {
				t.Errorf("no %s in %v", a, actions(all))
			}
		}

		if got := get("?limit=500", 200); len(got.Items) != len(all.Items) || got.Next != "" {
			t.Errorf("the largest page: %d entries, next %q", len(got.Items), got.Next)
		}
		if got := actions(get("?action=need.clearance", 200)); !slices.Equal(got, []string{"need.clearance"}) {
			t.Errorf("one action: %v", got)
		}
		if got := get("?action=need.", 200); len(got.Items) < 4 {
			t.Errorf("the need family: %v", actions(got))
		}
		if got := get("?actor="+w.verifier, 200); !slices.Equal(actions(got), []string{"need.clearance"}) {
			t.Errorf("the verifier's: %v", actions(got))
		}
		if got := get("?stream=need:"+w.need+"&from=2026-11-23&to=2026-11-23", 200); len(got.Items) != 3 {
			t.Errorf("the need's first day (submit, clear, publish): %v", actions(got))
		}
		if got := get("?from=2026-11-28", 200); !slices.Equal(actions(got), []string{"need.funded", "claim.create"}) {
			t.Errorf("after the notice: %v", actions(got))
		}
		if got := get("?stream=need:"+w.otherNeed, 200); len(got.Items) != 0 {
			t.Errorf("another county's need, named: %v", actions(got))
		}

		// Pages of two, each entry once.
		var paged []string
		next := ""
		for range 10 {
			q := "?limit=2"
			if next != "" {
				q += "&before=" + next
			}
			b := get(q, 200)
			paged = append(paged, actions(b)...)
			if next = b.Next; next == "" {
				break
			}
		}
		if !slices.Equal(paged, actions(all)) {
			t.Errorf("paged %v, whole %v", paged, actions(all))
		}

		for _, q := range []string{"?limit=0", "?limit=501", "?from=23/11/2026", "?from=2026-11-24&to=2026-11-23", "?before=!!", "?format=xml", "?action=DROP%20TABLE"} {
			get(q, 400)
		}

		// CSV, asked for both ways.
		for _, h := range [][]string{{"?format=csv"}, {"", "Accept", "text/csv"}} {
			r := env.do(http.MethodGet, "/api/v1/audit-log"+h[0], w.auditor, nil, h[1:]...)
			rows := bomCSV(t, r)
			if rows[0][0] != "时间" || rows[0][1] != "操作人" || rows[0][3] != "操作" || len(rows) != len(all.Items)+1 {
				t.Errorf("CSV %v: header %v, %d rows", h, rows[0], len(rows))
			}
			body := string(r.Body)
			for _, want := range []string{"核实求助", "待核实 → 已核实", testRoleName[kernel.RoleVerifier], w.need} {
				if !strings.Contains(body, want) {
					t.Errorf("CSV lacks %q", want)
				}
			}
			if strings.Contains(body, w.verifier) {
				t.Error("CSV names the verifier by user id")
			}
		}

		for _, role := range []kernel.Role{kernel.RoleFederationStaff, kernel.RoleVerifier, kernel.RoleDonor, kernel.RoleAdmin} {
			tok, _ := env.user(role, nil)
			if r := env.do(http.MethodGet, "/api/v1/audit-log", tok, nil); r.Status != http.StatusForbidden {
				t.Errorf("%s reads the audit log: %d", role, r.Status)
			}
		}
		// An auditor of a social work agency of 隆回县 reads its need only.
		_, aB := env.user(kernel.RoleAuditor, mustOrg(t, env, "隆回县社工协会", kernel.OrgSocialWorkAgency, "430524"))
		tokB, _, _ := env.srv.Tokens.Issue(aB.User.PublicID, aB.RoleNames(), testID())
		b := decodeInto[auditLogBody](t, env.do(http.MethodGet, "/api/v1/audit-log", tokB, nil))
		if len(b.Items) == 0 {
			t.Error("the other county's auditor sees nothing of its need")
		}
		for _, it := range b.Items {
			if it.SubjectID != w.otherNeed {
				t.Errorf("the other county's auditor sees %s", it.SubjectID)
			}
		}
	})
}

// Through the API the auditor reads their federation's books with every
// entry named, filtered by kind, fund and dates, a page at a time, and
// downloads them as CSV; another federation's fund stays out.
func TestLedgerAPIFiltersPagesExportsAndScopes(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		w := newAuditWorld(t, env)
		get := func(q string, want int) ledgerBody {
			t.Helper()
			r := env.do(http.MethodGet, "/api/v1/ledger"+q, w.auditor, nil)
			if r.Status != want {
				t.Fatalf("%s: %d %s", q, r.Status, r.Body)
			}
			for _, s := range append(householdSecrets(), w.otherFund) {
				if strings.Contains(string(r.Body), s) {
					t.Errorf("%s shows %q", q, s)
				}
			}
			if want != 200 {
				return ledgerBody{}
			}
			return decodeInto[ledgerBody](t, r)
		}
		kinds := func(b ledgerBody) []string {
			var out []string
			for _, it := range b.Items {
				out = append(out, string(it.Kind)+"/"+itoa(it.AmountFen))
			}
			return out
		}
		all := get("", 200)
		if got := kinds(all); !slices.Equal(got, []string{"allocation/3000000", "donation/5000000"}) {
			t.Fatalf("the federation's books: %v", got)
		}
		alloc := all.Items[0]
		var sum int64
		named := map[string]string{}
		for _, e := range alloc.Entries {
			sum += e.AmountFen
			named[e.AccountKind] = e.OwnerName
		}
		if sum != 0 || named["fund"] != "助医基金" || named["need"] == "" || alloc.RefType != "allocation" {
			t.Errorf("the allocation: %+v", alloc)
		}
		if got := kinds(get("?kind=donation", 200)); !slices.Equal(got, []string{"donation/5000000"}) {
			t.Errorf("donations: %v", got)
		}
		if got := kinds(get("?source="+w.fund+"&from=2026-11-23&to=2026-11-27", 200)); !slices.Equal(got, []string{"donation/5000000"}) {
			t.Errorf("the fund's first days: %v", got)
		}
		if got := kinds(get("?from=2026-11-28", 200)); !slices.Equal(got, []string{"allocation/3000000"}) {
			t.Errorf("after the notice: %v", got)
		}
		p1 := get("?limit=1", 200)
		p2 := get("?limit=1&before="+p1.Next, 200)
		if got := append(kinds(p1), kinds(p2)...); !slices.Equal(got, kinds(all)) || p2.Next != "" {
			t.Errorf("pages of one: %v, next %q", got, p2.Next)
		}
		if got := get("?limit=500", 200); len(got.Items) != 2 {
			t.Errorf("the largest page: %d transactions", len(got.Items))
		}
		get("?source="+w.otherFund, 403)
		get("?source=01jjnotanid000000000000000", 404)
		get("?kind=gift", 400)

		r := env.do(http.MethodGet, "/api/v1/ledger?format=csv", w.auditor, nil)
		rows := bomCSV(t, r)
		if rows[0][0] != "时间" || rows[0][4] != "账户" || rows[0][6] != "金额（元）" || len(rows) != 5 {
			t.Errorf("CSV: header %v, %d rows", rows[0], len(rows))
		}
		for _, want := range []string{"分配给求助", "冠名基金", "助医基金", "-30000.00", "50000.00"} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("CSV lacks %q", want)
			}
		}
		tok, _ := env.user(kernel.RoleFederationStaff, nil)
		if r := env.do(http.MethodGet, "/api/v1/ledger", tok, nil); r.Status != http.StatusForbidden {
			t.Errorf("federation staff read the ledger browser: %d", r.Status)
		}
	})
}

// The pages show the same, worded: names and titles rather than ids (ids
// only in small type, for cross-reference), filters kept across pages, a
// CSV link, and 403 for other roles.
func TestAuditBrowserPages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		w := newAuditWorld(t, env)
		a := newBrowser(env)
		a.login(w.auditorP)
		attr := regexp.MustCompile(`="[^"]*"`)
		visible := func(path string) string {
			t.Helper()
			r := a.do(http.MethodGet, path, nil)
			if r.Code != 200 {
				t.Fatalf("%s: %d %.300s", path, r.Code, r.Body)
			}
			body := r.Body.String()
			for _, s := range append(householdSecrets(), w.otherNeed, w.otherFund) {
				if strings.Contains(body, s) {
					t.Errorf("%s shows %q", path, s)
				}
			}
			return attr.ReplaceAllString(body, "")
		}
		table := func(body string) string {
			i, j := strings.Index(body, "<table"), strings.Index(body, "</table>")
			if i < 0 || j < i {
				t.Fatalf("no table: %.300s", body)
			}
			return body[i:j]
		}
		if body := visible("/audit"); !strings.Contains(body, "审计日志") || !strings.Contains(body, "账目明细") {
			t.Error("the audit page links neither browser")
		}
		body := table(visible("/audit/log"))
		for _, want := range []string{"核实求助", "公开求助", "筹款已满", "待核实 → 已核实", "民政核验员", "慈善总会工作人员", "第 1 条", `<small class>` + w.need} {
			if !strings.Contains(body, want) {
				t.Errorf("/audit/log lacks %q", want)
			}
		}
		if strings.Contains(body, w.verifier) {
			t.Error("/audit/log shows the verifier's user id")
		}
		body = table(visible("/audit/log?action=need.clearance"))
		if strings.Count(body, "<tr>") != 2 || !strings.Contains(body, "核实求助") || strings.Contains(body, "公开求助") {
			t.Errorf("filtered by clearance: %d rows", strings.Count(body, "<tr>")-1)
		}
		if r := a.do(http.MethodGet, "/audit/log?from=2026-12-01&to=2026-11-01", nil); r.Code != 400 || !strings.Contains(r.Body.String(), "筛选条件有误") {
			t.Errorf("a backward period: %d", r.Code)
		}
		r := a.do(http.MethodGet, "/audit/log?action=need.&format=csv", nil)
		if !strings.HasPrefix(r.Body.String(), "\uFEFF时间,操作人,角色,操作") || r.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
			!strings.Contains(r.Header().Get("Content-Disposition"), "attachment") {
			t.Errorf("/audit/log CSV: %q %.80q", r.Header(), r.Body.String())
		}

		body = table(visible("/audit/ledger"))
		for _, want := range []string{"分配给求助", "捐赠收入", "冠名基金：助医基金", "¥30,000.00", "¥50,000.00", "<small class>" + w.fund} {
			if !strings.Contains(body, want) {
				t.Errorf("/audit/ledger lacks %q", want)
			}
		}
		body = table(visible("/audit/ledger?kind=allocation&source=" + w.fund))
		if strings.Count(body, "<tr>") != 2 || !strings.Contains(body, "分配给求助") || strings.Contains(body, "捐赠收入") {
			t.Errorf("filtered to the allocation: %d rows", strings.Count(body, "<tr>")-1)
		}
		r = a.do(http.MethodGet, "/audit/ledger?format=csv&source="+w.fund, nil)
		if !strings.HasPrefix(r.Body.String(), "\uFEFF时间,交易编号,类型,账户类别,账户") {
			t.Errorf("/audit/ledger CSV: %.80q", r.Body.String())
		}
		for _, role := range []kernel.Role{kernel.RoleDonor, kernel.RoleFederationStaff, kernel.RoleVerifier} {
			b := signedIn(env, role)
			for _, p := range []string{"/audit/log", "/audit/ledger"} {
				if r := b.do(http.MethodGet, p, nil); r.Code != http.StatusForbidden {
					t.Errorf("%s opens %s: %d", role, p, r.Code)
				}
			}
		}
	})
}

// The log pages by key: 60 entries are two pages, the second reached by
// the page's own link with the filter kept.
func TestAuditLogPageLinksToOlderEntries(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	wtok, _ := env.user(kernel.RoleSocialWorker, nil)
	vtok, _ := env.user(kernel.RoleVerifier, nil)
	need := env.createNeed(wtok, needBody())
	env.clearAndPublish(need, wtok, vtok)
	for range 60 {
		if r := env.do(http.MethodPost, "/api/v1/needs/"+need+"/updates", wtok, map[string]any{"text": "本周已完成第二次透析，情况稳定。"}); r.Status != 201 {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
	}
	a := signedIn(env, kernel.RoleAuditor)
	first := a.do(http.MethodGet, "/audit/log?action=need.update", nil).Body.String()
	if n := strings.Count(first, "<tr>") - 1; n != 50 {
		t.Fatalf("first page: %d rows", n)
	}
	m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(first)
	if m == nil || !strings.Contains(m[1], "action=need.update") {
		t.Fatalf("no link to older entries: %v", m)
	}
	second := a.do(http.MethodGet, strings.ReplaceAll(m[1], "&amp;", "&"), nil).Body.String()
	if n := strings.Count(second, "<tr>") - 1; n != 10 || strings.Contains(second, `rel="next"`) || !strings.Contains(second, "回到最新") {
		t.Errorf("second page: %d rows", n)
	}
}

// bomCSV checks that r is a CSV download in UTF-8 with a BOM and parses it.
func bomCSV(t *testing.T, r response) [][]string {
	t.Helper()
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(r.Body), "\uFEFF") {
		t.Fatalf("not a CSV with a BOM: %d %s %.200q", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(r.Body), "\uFEFF"))).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("CSV: %v", err)
	}
	return rows
}

// Every action the log's filter offers, every role, account kind and
// reference a browser words has a message in both languages: the pages
// build these message ids from codes, which TestCatalogsAreComplete cannot
// see.
func TestAuditBrowsersWordEveryCode(t *testing.T) {
	ps, err := newPages()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range auditFamilies {
		keys = append(keys, "auditlog_fam_"+f.Name)
		for _, a := range f.Actions {
			keys = append(keys, "auditlog_act_"+strings.ReplaceAll(a, ".", "_"))
		}
	}
	for _, r := range kernel.Roles {
		keys = append(keys, "auditlog_role_"+string(r))
	}
	for _, k := range []funds.AccountKind{funds.AccountFund, funds.AccountProject, funds.AccountNeed, funds.AccountHeld,
		funds.AccountDonations, funds.AccountPayable, funds.AccountPaid} {
		keys = append(keys, "ledgerbrowse_account_"+string(k))
	}
	for _, k := range funds.TxKinds {
		keys = append(keys, "tx_"+string(k))
	}
	for _, r := range []string{"pledge", "allocation", "disbursement", "need"} {
		keys = append(keys, "ledgerbrowse_ref_"+r)
	}
	for _, lang := range []string{"zh", "en"} {
		p := &page{Lang: lang, loc: i18n.NewLocalizer(ps.bundle, lang)}
		for _, k := range keys {
			if p.T(k) == k {
				t.Errorf("%s: no message %s", lang, k)
			}
		}
		if got := p.AuditAction("need.something_new"); got != p.T("auditlog_act_other") {
			t.Errorf("%s: an unknown action reads %q", lang, got)
		}
	}
}
