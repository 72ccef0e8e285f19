package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The accessibility check runs axe-core (https://github.com/dequelabs/axe-core)
// in Chromium over every role's main path. axe-core is a test-only tool,
// not a dependency of the server: the test reads its axe.min.js from the
// file JIUJINAN_AXE_JS names (.ci/run installs it with npm and sets the
// variable) and is skipped, saying so, without it.

// axeScript returns the text of axe.min.js, or skips the test.
func axeScript(t *testing.T) string {
	t.Helper()
	p := os.Getenv("JIUJINAN_AXE_JS")
	if p == "" {
		t.Skip("JIUJINAN_AXE_JS is not set: the axe-core accessibility check is skipped " +
			"(.ci/run sets it; by hand: npm install --prefix /tmp/axe axe-core@" + axeVersion +
			" and JIUJINAN_AXE_JS=/tmp/axe/node_modules/axe-core/axe.min.js)")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("JIUJINAN_AXE_JS: %v", err)
	}
	return string(b)
}

// axeVersion is the axe-core version .ci/run installs.
const axeVersion = "4.10.3"

// TestCIInstallsAxe: .ci/run installs the axe-core version named here and
// hands it to the tests, so that the accessibility check runs in CI.
func TestCIInstallsAxe(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"AXE_VERSION=" + axeVersion + "\n", `"axe-core@$AXE_VERSION"`, "export JIUJINAN_AXE_JS="} {
		if !strings.Contains(string(raw), want) {
			t.Errorf(".ci/run lacks %q", want)
		}
	}
}

// tourPage is one page of a role's main path; role "" is a visitor who is
// not signed in. A page with a form filled is the answer to it: the fields
// (by id) are filled in, the form sent, and wait is the element of the
// answer to wait for.
type tourPage struct {
	role kernel.Role
	path string
	form map[string]string
	wait string
}

// tour builds what every role's main path shows (an open need, one in
// clearance, a donor's pledge to the open need, a fund with money, a
// report routed to the worker's agency) and returns the paths in order,
// with the users to sign in as.
func tour(t *testing.T, env *testEnv) ([]tourPage, map[kernel.Role]*kernel.Principal) {
	t.Helper()
	ctx := context.Background()
	wtok, worker := env.user(kernel.RoleSocialWorker, nil)
	vtok, verifier := env.user(kernel.RoleVerifier, nil)
	_, staff := env.user(kernel.RoleFederationStaff, nil)
	_, donor := env.user(kernel.RoleDonor, nil)
	_, volunteer := env.user(kernel.RoleVolunteer, nil)
	_, auditor := env.user(kernel.RoleAuditor, nil)
	open := env.createNeed(wtok, needBody())
	env.clearAndPublish(open, wtok, vtok)
	env.advance(121 * time.Hour)
	body := needBody()
	body["title"] = "李桂兰住院押金"
	waiting := env.createNeed(env.token(worker), body) // waits for the verifier
	fed := env.orgs[kernel.OrgCharityFederation]
	if _, err := env.accounts.SetCollection(ctx, env.admin, fed.PublicID, kernel.CollectionAccount{
		AccountName: "郓城县慈善总会", Bank: "中国工商银行郓城支行", AccountNo: "1609001209024567890"}); err != nil {
		t.Fatal(err)
	}
	pl, err := env.funds.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetNeed, TargetID: open, AmountFen: 20_000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fund := env.fundWithBalance(staff, kernel.Restrictions{}, 250_000)
	// A monthly gift with this month waiting, and a bill with mismatches.
	day := min(env.now.Load().In(kernel.ChinaTime).Day(), 28)
	if _, err := env.funds.CreateRecurring(ctx, donor, funds.NewRecurring{TargetType: funds.TargetFund, TargetID: fund, AmountFen: 3_000, DayOfMonth: day}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := env.funds.RunRecurring(ctx); err != nil {
		t.Fatal(err)
	}
	bill := env.postBill("/api/v1/reconciliations", env.token(staff), "statement.csv", []byte("转账附言,金额（元）,日期\n"+pl.Reference+",1.00,2026-11-23\nJJ0000000000,5.00,2026-11-23\n"))
	if bill.Status != 201 {
		t.Fatalf("bill: %d %s", bill.Status, bill.Body)
	}
	run := bill.JSON(t)["id"].(string)
	rc, err := env.people.SubmitReport(ctx, nil, marketplace.ReportInput{RegionCode: "371725", Category: "care",
		Description: "村里一位老人独居，冬天没有取暖。"})
	if err != nil {
		t.Fatal(err)
	}
	pages := []tourPage{
		{role: "", path: "/"}, {path: "/needs"}, {path: "/needs/" + open}, {path: "/report"},
		{path: "/report/status", form: map[string]string{"report": rc.ID, "code": rc.Token}, wait: "#report-status"},
		{path: "/report/status", form: map[string]string{"report": rc.ID, "code": "0000"}, wait: "#rstatus-error"},
		{path: "/login"}, {path: "/register"},
		{role: kernel.RoleDonor, path: "/needs/" + open}, {role: kernel.RoleDonor, path: "/my/giving"},
		{role: kernel.RoleDonor, path: "/my/pledges/" + pl.PublicID},
		{role: kernel.RoleVolunteer, path: "/volunteer"},
		{role: kernel.RoleSocialWorker, path: "/worker/needs"}, {role: kernel.RoleSocialWorker, path: "/worker/needs/new"},
		{role: kernel.RoleSocialWorker, path: "/worker/reports"}, {role: kernel.RoleSocialWorker, path: "/worker/reports/" + rc.ID},
		{role: kernel.RoleVerifier, path: "/verify"}, {role: kernel.RoleVerifier, path: "/staff/needs/" + waiting},
		{role: kernel.RoleVerifier, path: "/verify/review"},
		{role: kernel.RoleFederationStaff, path: "/staff"}, {role: kernel.RoleFederationStaff, path: "/staff/needs/" + open + "/money"},
		{role: kernel.RoleFederationStaff, path: "/staff/money/" + open}, {role: kernel.RoleFederationStaff, path: "/staff/pledges"},
		{role: kernel.RoleFederationStaff, path: "/staff/reconcile"}, {role: kernel.RoleFederationStaff, path: "/staff/reconcile/" + run},
		{role: kernel.RoleAuditor, path: "/audit"},
		{role: kernel.RoleSocialWorker, path: "/inbox"}, {role: kernel.RoleDonor, path: "/my/notifications"},
		{role: kernel.RoleVerifier, path: "/stats"}, {role: kernel.RoleVerifier, path: "/verify/notices"},
		{role: kernel.RoleFederationStaff, path: "/stats?by=category"}, {role: kernel.RoleFederationStaff, path: "/staff/counties"},
		{role: kernel.RoleFederationStaff, path: "/staff/counties/371725"},
	}
	env.firstInboxItem(t, worker) // the report's notice, in the worker's inbox
	users := map[kernel.Role]*kernel.Principal{kernel.RoleSocialWorker: worker, kernel.RoleVerifier: verifier,
		kernel.RoleFederationStaff: staff, kernel.RoleDonor: donor, kernel.RoleVolunteer: volunteer, kernel.RoleAuditor: auditor}
	return pages, users
}

// axeViolation is one failed axe rule on a page.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeRun runs axe-core in the page and returns its serious and critical
// violations.
func (b *tab) axeRun(script string) []axeViolation {
	b.t.Helper()
	if !evalIn[bool](b, `typeof axe === "object"`) {
		evalIn[bool](b, script+";true")
		if v := evalIn[string](b, `axe.version`); v != axeVersion {
			b.t.Logf("axe-core %s, not the %s that .ci/run installs", v, axeVersion)
		}
	}
	out := runAsync[string](b, `axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
		return JSON.stringify(r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical"; }).map(function (v) {
			return {id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(function (n) { return n.target.join(" "); })};
		}));
	})`)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe answer %q: %v", out, err)
	}
	return vs
}

// runAsync returns the value of a JavaScript promise, within a deadline.
func runAsync[T any](b *tab, js string) T {
	b.t.Helper()
	return run(b, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// visit opens a page of the tour: its path, or the answer to its form.
func (b *tab) visit(pg tourPage) {
	b.t.Helper()
	b.open(pg.path)
	if pg.form == nil {
		return
	}
	for id, v := range pg.form {
		b.fill("#"+id, v)
	}
	b.click(`main form button[type="submit"]`)
	b.waitJS(`document.querySelector(` + "`" + pg.wait + "`" + `) !== null`)
}

// TestBrowserAccessibilityAxe: every page of every role's main path, in
// Chinese, has no serious or critical axe-core violation: in the standard
// view on a desktop, and in care mode on a phone.
func TestBrowserAccessibilityAxe(t *testing.T) {
	script := axeScript(t)
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	pages, users := tour(t, env)
	for _, mode := range []struct {
		name  string
		care  bool
		width int64
	}{{"standard", false, 1280}, {"care mode, phone", true, 375}} {
		tabs := map[kernel.Role]*tab{}
		checked := 0
		for _, pg := range pages {
			b := tabs[pg.role]
			if b == nil {
				b = s.tab(t)
				if mode.width < 400 {
					b.viewport(mode.width, 812, true)
				}
				if p := users[pg.role]; p != nil {
					b.login(p.User.Email, "password-"+string(pg.role))
				} else {
					b.open("/")
				}
				b.setCare(mode.care)
				tabs[pg.role] = b
			}
			b.visit(pg)
			who := string(pg.role)
			if who == "" {
				who = "visitor"
			}
			where := mode.name + ", " + who + " " + pg.path
			if pg.form != nil {
				where += " (" + pg.wait + ")"
			}
			if lang := evalIn[string](b, `document.documentElement.lang`); lang != "zh-CN" {
				t.Errorf("%s: lang %q, want zh-CN", where, lang)
			}
			if h := b.text("h1"); strings.Contains(h, "出错了") {
				t.Fatalf("%s: an error page: %s", where, b.text("main"))
			}
			for _, v := range b.axeRun(script) {
				t.Errorf("%s: %s (%s) %s, at %s", where, v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
			}
			checked++
		}
		if checked != len(pages) {
			t.Errorf("%s: checked %d pages of %d", mode.name, checked, len(pages))
		}
	}
}
