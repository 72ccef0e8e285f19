package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// Staff confirm donations from a queue of their own organization's
// pending pledges (another federation's are not in it and cannot be
// confirmed), and create a fund or a project on a page, with every
// mistake shown at once.
func TestStaffPledgeQueueAndNewFundPages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		_, staff := env.user(kernel.RoleFederationStaff, nil)
		fund := env.fundWithBalance(staff, kernel.Restrictions{}, 10_000)
		_, donor := env.user(kernel.RoleDonor, nil)
		mine, err := env.funds.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: fund, AmountFen: 12_300}, nil)
		if err != nil {
			t.Fatal(err)
		}
		otherOrg, err := env.srv.Accounts.CreateOrg(ctx, env.admin, marketplace.NewOrg{Name: "隆回县慈善会", Kind: kernel.OrgCharityFederation, RegionCode: "430524"})
		if err != nil {
			t.Fatal(err)
		}
		_, otherStaff := env.user(kernel.RoleFederationStaff, otherOrg)

		b := newBrowser(env)
		b.login(staff)
		page := b.do(http.MethodGet, "/staff/pledges", nil).Body.String()
		if !strings.Contains(page, mine.Reference) || !strings.Contains(page, "¥123.00") {
			t.Fatalf("queue: %.2000s", page)
		}
		o := newBrowser(env)
		o.login(otherStaff)
		if page := o.do(http.MethodGet, "/staff/pledges", nil).Body.String(); strings.Contains(page, mine.Reference) {
			t.Error("another federation's staff see the pledge")
		}
		if r := o.form("/staff/pledges/"+mine.PublicID+"/confirm", url.Values{"from": {"queue"}}); r.Code == http.StatusSeeOther {
			t.Errorf("another federation's staff confirmed the pledge: %d", r.Code)
		}
		r := b.form("/staff/pledges/"+mine.PublicID+"/confirm", url.Values{"from": {"queue"}})
		if r.Code != http.StatusSeeOther || !strings.HasPrefix(r.Header().Get("Location"), "/staff/pledges?confirmed=") {
			t.Fatalf("confirm: %d %s", r.Code, r.Header().Get("Location"))
		}
		page = b.do(http.MethodGet, r.Header().Get("Location"), nil).Body.String()
		if strings.Count(page, "已确认到账") != 1 {
			t.Errorf("the queue says %d times that the pledge was confirmed, want once", strings.Count(page, "已确认到账"))
		}
		if !strings.Contains(page, "已确认到账："+mine.Reference) || strings.Contains(page, `value="queue"`) {
			t.Errorf("after confirming: %.2000s", page)
		}
		if d := newBrowser(env); true {
			d.login(donor)
			if r := d.do(http.MethodGet, "/staff/pledges", nil); r.Code == http.StatusOK {
				t.Errorf("a donor opens the staff queue")
			}
		}

		// A new fund: every mistake at once, then created.
		bad := b.form("/staff/sources", url.Values{"kind": {"project"}, "name": {""}, "budget": {"-5"}})
		if bad.Code != http.StatusBadRequest || !strings.Contains(bad.Body.String(), `id="budget"`) ||
			strings.Count(bad.Body.String(), "field-error") < 2 {
			t.Fatalf("bad form: %d %.3000s", bad.Code, bad.Body.String())
		}
		ok := b.form("/staff/sources", url.Values{"kind": {"fund"}, "name": {"春雨助学基金"}, "namer": {"某企业"}, "purpose": {"助学"}})
		if ok.Code != http.StatusSeeOther || !strings.HasPrefix(ok.Header().Get("Location"), "/funds/") {
			t.Fatalf("create: %d %s %.500s", ok.Code, ok.Header().Get("Location"), ok.Body.String())
		}
		if page := b.do(http.MethodGet, ok.Header().Get("Location"), nil).Body.String(); !strings.Contains(page, "春雨助学基金") {
			t.Errorf("the new fund's page: %.1000s", page)
		}
	})
}

// An auditor (anyone: the books are public) downloads a fund's books as
// CSV from its page; a bad format is refused naming the field.
func TestFundBooksDownloadAsCSV(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		_, staff := env.user(kernel.RoleFederationStaff, nil)
		fund := env.fundWithBalance(staff, kernel.Restrictions{}, 12_345)
		page := env.do(http.MethodGet, "/funds/"+fund, "", nil, "Accept", "text/html")
		if !strings.Contains(string(page.Body), "/api/v1/funds/"+fund+"/ledger?format=csv") {
			t.Fatalf("the fund page has no download link")
		}
		r := env.do(http.MethodGet, "/api/v1/funds/"+fund+"/ledger?format=csv", "", nil)
		body := string(r.Body)
		if r.Status != http.StatusOK || !strings.HasPrefix(body, "\uFEFFtransaction_id,kind,amount_fen") || !strings.Contains(body, ",12345,") ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv: %d %s %q", r.Status, r.Header.Get("Content-Type"), body)
		}
		if r := env.do(http.MethodGet, "/api/v1/funds/"+fund+"/ledger?format=pdf", "", nil); r.Status != http.StatusBadRequest ||
			!strings.Contains(string(r.Body), "format") {
			t.Errorf("bad format: %d %s", r.Status, r.Body)
		}
	})
}
