package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

func init() {
	addRouteAccess(map[string][]string{
		"PUT /api/v1/orgs/:id/registration": {"admin", "federation_staff"},
		"GET /api/v1/me/receipt-profile":    {"donor"},
		"PUT /api/v1/me/receipt-profile":    {"donor"},
		"GET /api/v1/orgs/:id/receipts":     {"federation_staff"},
	})
	// Federation staff set their own organization's registration (an
	// administrator any one's) and export its receipts; a donor their own
	// receipt details.
	for k, v := range map[string]string{
		"PUT /api/v1/orgs/:id/registration": "own_org",
		"GET /api/v1/me/receipt-profile":    "self",
		"PUT /api/v1/me/receipt-profile":    "self",
		"GET /api/v1/orgs/:id/receipts":     "own_org",
	} {
		routeScope[k] = v
	}
	scopeProbes["PUT /api/v1/orgs/:id/registration"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/api/v1/orgs/" + fx.fedOrg + "/registration",
			body: map[string]any{"credit_code": "53100000500021676K", "registered_name": "别人的名称"}, want: 404}}
	}
	scopeProbes["GET /api/v1/orgs/:id/receipts"] = func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/orgs/" + fx.fedOrg + "/receipts?from=2026-01-01&to=2026-12-31"
		return []scopeCall{{who: fx.staffB, path: p, want: 404}, {who: fx.staffB, path: p + "&format=csv", want: 404, absent: fx.receipt}}
	}
	pageScopeProbes["GET /my/receipts/:id/pdf"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.donorB, path: "/my/receipts/" + fx.receipt + "/pdf", want: 404}, {who: fx.staffB, path: "/my/receipts/" + fx.receipt + "/pdf", want: 404}}
	}
	pageScopeProbes["GET /staff/receipts"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/receipts?org=" + fx.fedOrg + "&from=2026-01-01&to=2026-12-31", want: 404},
			{who: fx.staffB, path: "/staff/receipts?from=2026-01-01&to=2026-12-31", want: 200, absent: fx.receipt}}
	}
	pageScopeProbes["GET /staff/receipts/file"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/receipts/file?org=" + fx.fedOrg + "&from=2026-01-01&to=2026-12-31&format=xlsx", want: 404}}
	}
	pageScopeProbes["POST /staff/org/registration"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/org/registration", body: map[string]string{"org": fx.fedOrg,
			"credit_code": "53100000500021676K", "registered_name": "别人的名称"}, want: 404}}
	}
}

// fedCreditCode is the test federation's code: 53 (民政, 基金会), the county
// 371725, a body, and its check character.
func fedCreditCode(t *testing.T) string {
	t.Helper()
	body := "53371725MJ0000001"
	c, ok := kernel.CreditCodeCheckChar(body)
	if !ok {
		t.Fatal("bad body")
	}
	return body + string(c)
}

var receiptLinkRe = regexp.MustCompile(`href="/my/receipts/([0-9a-z]{26})"`)

// visibleFact is the text of the receipt page's fact with this id.
func visibleFact(t *testing.T, page, id string) string {
	t.Helper()
	re := regexp.MustCompile(`<td id="` + id + `">([^<]*)</td>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the receipt page has no %s: %.3000s", id, visibleText(page))
	}
	return strings.TrimSpace(m[1])
}

// TestReceiptsADonorCanUse walks what issue 18 asks of receipts, on the
// pages and the API: the charity enters its credit code (a wrong check
// character is refused beside the field, in Chinese); a donor with no
// details gets 匿名, then their real name; a gift as an organization names
// it with its code; each receipt carries the charity as registered, the
// amount in figures and in 大写, the date and the purpose, prints from its
// page and downloads as a PDF, for the donor and the charity's staff; the
// finance staff export the period as CSV and xlsx.
func TestReceiptsADonorCanUse(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		stok, staff := env.user(kernel.RoleFederationStaff, nil)
		fed := env.orgs[kernel.OrgCharityFederation]
		code := fedCreditCode(t)
		sb := newBrowser(env)
		sb.login(staff)

		t.Run("the charity's credit code is checked beside its field", func(t *testing.T) {
			wrong := code[:17] + map[bool]string{true: "1", false: "0"}[code[17] == '0']
			r := sb.form("/staff/org/registration", url.Values{"org": {fed.PublicID}, "credit_code": {wrong}, "registered_name": {"郓城县慈善总会"}})
			if r.Code != http.StatusBadRequest {
				t.Fatalf("a wrong check character: %d", r.Code)
			}
			body := r.Body.String()
			if !strings.Contains(body, `id="credit_code-error"`) || !strings.Contains(body, "校验位不对") || !strings.Contains(body, `value="`+wrong+`"`) {
				t.Errorf("the form does not say so beside the field: %.2000s", visibleText(body))
			}
			r = sb.form("/staff/org/registration", url.Values{"org": {fed.PublicID}, "credit_code": {"53371725MJ000000IO"}, "registered_name": {"x"}})
			if !strings.Contains(r.Body.String(), "只能包含数字和除 I、O、S、V、Z 以外的大写字母") {
				t.Errorf("letters outside the alphabet: %d %.1500s", r.Code, visibleText(r.Body.String()))
			}
			r = sb.form("/staff/org/registration", url.Values{"org": {fed.PublicID}, "credit_code": {strings.ToLower(code)}, "registered_name": {"郓城县慈善总会（社会团体）"}})
			if r.Code != http.StatusSeeOther {
				t.Fatalf("save: %d %s", r.Code, r.Body)
			}
			loc, _, _ := strings.Cut(r.Header().Get("Location"), "#") // a browser keeps the fragment
			page := sb.do(http.MethodGet, loc, nil).Body.String()
			if !strings.Contains(page, "登记信息已保存") || !strings.Contains(page, `value="`+code+`"`) {
				t.Errorf("after saving: %.2000s", visibleText(page))
			}
		})
		t.Run("the API refuses a code outside the alphabet and other roles", func(t *testing.T) {
			path := "/api/v1/orgs/" + fed.PublicID + "/registration"
			wantInvalid(t, env.do(http.MethodPut, path, stok, map[string]any{"credit_code": "5337172SMJ0000001X", "registered_name": "郓城县慈善总会"}), "credit_code")
			dtok, _ := env.user(kernel.RoleDonor, nil)
			if r := env.do(http.MethodPut, path, dtok, map[string]any{"credit_code": code, "registered_name": "x"}); r.Status != http.StatusForbidden {
				t.Errorf("a donor: %d", r.Status)
			}
			r := env.do(http.MethodPut, path, env.token(env.admin), map[string]any{"credit_code": code, "registered_name": "郓城县慈善总会（社会团体）"})
			if r.Status != 200 || r.JSON(t)["credit_code"] != code {
				t.Errorf("an administrator: %d %s", r.Status, r.Body)
			}
		})

		fund := env.fundWithBalance(staff, kernel.Restrictions{}, 10_000)
		dtok, donor := env.user(kernel.RoleDonor, nil)
		db := newBrowser(env)
		db.login(donor)
		give := func(body map[string]any) string {
			t.Helper()
			body["target_type"], body["target_id"] = "fund", fund
			r := env.do(http.MethodPost, "/api/v1/pledges", dtok, body, "Idempotency-Key", testID())
			if r.Status != http.StatusCreated {
				t.Fatalf("pledge: %d %s", r.Status, r.Body)
			}
			p, err := env.funds.ConfirmPledge(ctx, staff, r.JSON(t)["id"].(string))
			if err != nil {
				t.Fatal(err)
			}
			return p.ReceiptID
		}

		anon := give(map[string]any{"amount_fen": 1_000_500})
		t.Run("without details the receipt says 匿名, with everything else", func(t *testing.T) {
			page := db.do(http.MethodGet, "/my/receipts/"+anon, nil).Body.String()
			for id, want := range map[string]string{"r-donor": "匿名", "r-org": "郓城县慈善总会（社会团体）", "r-org-code": code,
				"r-amount": "¥10,005.00", "r-words": "壹万零伍元整", "r-date": "2026年11月23日", "r-purpose": "助医基金"} {
				if got := visibleFact(t, page, id); got != want {
					t.Errorf("%s: %q, want %q", id, got, want)
				}
			}
			if strings.Contains(page, `id="r-donor-code"`) || !strings.Contains(page, "data-print") || !strings.Contains(page, `href="/my/receipts/`+anon+`/pdf"`) {
				t.Error("the page lacks its print button or PDF link, or names a donor's code")
			}
			r := env.do(http.MethodGet, "/api/v1/receipts/"+anon, dtok, nil).JSON(t)
			if r["donor"] != "匿名" || r["donor_kind"] != "anonymous" || r["charity_credit_code"] != code || r["amount_words"] != "壹万零伍元整" {
				t.Errorf("API: %v", r)
			}
		})
		t.Run("the PDF downloads for the donor and the charity's staff", func(t *testing.T) {
			for _, b := range []*browser{db, sb} {
				r := b.do(http.MethodGet, "/my/receipts/"+anon+"/pdf", nil)
				if r.Code != 200 || r.Header().Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(r.Body.Bytes(), []byte("%PDF-1.")) ||
					!bytes.Contains(r.Body.Bytes(), []byte("/FontFile2")) || !strings.Contains(r.Header().Get("Content-Disposition"), ".pdf") {
					t.Errorf("PDF: %d %s %.40q", r.Code, r.Header().Get("Content-Type"), r.Body.Bytes())
				}
			}
			r := env.do(http.MethodGet, "/api/v1/receipts/"+anon+"?format=pdf", dtok, nil)
			if r.Status != 200 || !bytes.HasPrefix(r.Body, []byte("%PDF-1.")) {
				t.Errorf("API PDF: %d", r.Status)
			}
			other := newBrowser(env)
			_, stranger := env.user(kernel.RoleDonor, nil)
			other.login(stranger)
			if r := other.do(http.MethodGet, "/my/receipts/"+anon+"/pdf", nil); r.Code != http.StatusNotFound {
				t.Errorf("another donor: %d", r.Code)
			}
		})

		t.Run("the donor's details: a wrong code is refused, a real name is used", func(t *testing.T) {
			page := db.do(http.MethodGet, "/my/receipt-profile", nil).Body.String()
			if !strings.Contains(page, `id="receipt-shown"`) || !strings.Contains(visibleText(page), "匿名") {
				t.Errorf("the page does not say receipts say 匿名: %.1500s", visibleText(page))
			}
			r := db.form("/my/receipt-profile", url.Values{"real_name": {"张三"}, "id_number": {"11010119900307451X"},
				"as_org": {"1"}, "org_name": {"某某商贸有限公司"}, "org_credit_code": {"91350100M000100Y44"}})
			body := r.Body.String()
			if r.Code != http.StatusBadRequest || !strings.Contains(body, `id="org_credit_code-error"`) || !strings.Contains(body, "校验位不对") ||
				!strings.Contains(body, `id="id_number-error"`) {
				t.Errorf("wrong codes: %d %.2000s", r.Code, visibleText(body))
			}
			r = db.form("/my/receipt-profile", url.Values{"real_name": {"张三"}, "id_number": {"110101199003074514"}})
			if r.Code != http.StatusSeeOther {
				t.Fatalf("save: %d %.1500s", r.Code, visibleText(r.Body.String()))
			}
			page = db.do(http.MethodGet, "/my/receipt-profile", nil).Body.String()
			if !strings.Contains(page, "1101**********4514") || strings.Contains(page, "110101199003074514") || !strings.Contains(page, "票据信息已保存") {
				t.Errorf("after saving: %.2000s", visibleText(page))
			}
			// An empty ID field keeps the number on file.
			if r := db.form("/my/receipt-profile", url.Values{"real_name": {"张三"}}); r.Code != http.StatusSeeOther {
				t.Fatalf("save again: %d", r.Code)
			}
			got := env.do(http.MethodGet, "/api/v1/me/receipt-profile", dtok, nil).JSON(t)
			if got["real_name"] != "张三" || got["id_number_masked"] != "1101**********4514" || got["receipts_as"] != "person" {
				t.Errorf("API: %v", got)
			}
		})
		named := give(map[string]any{"amount_fen": 50})
		t.Run("the real name is on the next receipt, not the earlier one", func(t *testing.T) {
			page := sb.do(http.MethodGet, "/my/receipts/"+named, nil).Body.String()
			if got := visibleFact(t, page, "r-donor"); got != "张三" {
				t.Errorf("donor %q", got)
			}
			if got := visibleFact(t, page, "r-words"); got != "伍角" {
				t.Errorf("in words %q", got)
			}
			if strings.Contains(page, "110101199003074514") {
				t.Error("the receipt shows the ID number")
			}
			if got := visibleFact(t, db.do(http.MethodGet, "/my/receipts/"+anon, nil).Body.String(), "r-donor"); got != "匿名" {
				t.Errorf("the earlier receipt now says %q", got)
			}
		})

		var corp string
		t.Run("a gift as an organization, from the pledge form", func(t *testing.T) {
			page := db.do(http.MethodGet, "/funds/"+fund, nil).Body.String()
			if !strings.Contains(page, `name="receipt_as"`) {
				t.Fatal("the pledge form offers no receipt choice")
			}
			v := url.Values{"idempotency_key": {formKey(t, page)}, "target_type": {"fund"}, "target_id": {fund}, "amount": {"100.50"},
				"receipt_as": {"org"}, "receipt_org_name": {"郓城县某某商贸有限公司"}, "receipt_org_code": {"91350100M000100YA3"}}
			r := db.form("/pledge", v)
			if r.Code != http.StatusBadRequest || !strings.Contains(r.Body.String(), "校验位不对") || !strings.Contains(r.Body.String(), `value="郓城县某某商贸有限公司"`) {
				t.Fatalf("a wrong code: %d %.1500s", r.Code, visibleText(r.Body.String()))
			}
			v.Set("idempotency_key", formKey(t, r.Body.String()))
			v.Set("receipt_org_code", "9135 0100 m000 100y 43")
			r = db.form("/pledge", v)
			if r.Code != http.StatusSeeOther {
				t.Fatalf("pledge: %d %.1500s", r.Code, visibleText(r.Body.String()))
			}
			id := strings.TrimPrefix(r.Header().Get("Location"), "/my/pledges/")
			p, err := env.funds.ConfirmPledge(ctx, staff, id)
			if err != nil {
				t.Fatal(err)
			}
			corp = p.ReceiptID
			page = db.do(http.MethodGet, "/my/receipts/"+corp, nil).Body.String()
			for id, want := range map[string]string{"r-donor": "郓城县某某商贸有限公司", "r-donor-code": "91350100M000100Y43", "r-words": "壹佰元伍角"} {
				if got := visibleFact(t, page, id); got != want {
					t.Errorf("%s: %q, want %q", id, got, want)
				}
			}
		})

		t.Run("the finance staff export the period", func(t *testing.T) {
			refunded := give(map[string]any{"amount_fen": 700})
			rr, _ := env.funds.Receipt(ctx, staff, refunded)
			if _, err := env.funds.RefundPledge(ctx, staff, rr.PledgePublicID); err != nil {
				t.Fatal(err)
			}
			page := sb.do(http.MethodGet, "/staff/receipts?from=2026-11-01&to=2026-11-30", nil).Body.String()
			if !strings.Contains(page, "共 4 张票据") || !strings.Contains(page, "1101**********4514") || strings.Contains(page, "110101199003074514") ||
				strings.Contains(page, rr.Number) {
				// The fund's own seed gift, 匿名, 张三, the company; not the refunded one.
				t.Errorf("the page: %.3000s", visibleText(page))
			}
			links := receiptLinkRe.FindAllStringSubmatch(page, -1)
			if len(links) != 4 {
				t.Errorf("%d receipts linked", len(links))
			}
			r := sb.do(http.MethodGet, "/staff/receipts/file?from=2026-11-01&to=2026-11-30&format=csv", nil)
			b := r.Body.Bytes()
			if r.Code != 200 || !bytes.HasPrefix(b, []byte("\ufeff")) || !strings.HasPrefix(r.Header().Get("Content-Type"), "text/csv") {
				t.Fatalf("CSV: %d %q", r.Code, b[:min(len(b), 20)])
			}
			rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
			if err != nil || len(rows) != 5 {
				t.Fatalf("CSV rows %d: %v", len(rows), err)
			}
			if strings.Join(rows[0], ",") != strings.Join(funds.ReceiptExportHeader, ",") {
				t.Errorf("header %q", rows[0])
			}
			// By amount: the fund's first gift (¥100.00, 匿名) is there too.
			charity, handler := "郓城县慈善总会（社会团体）", staff.User.DisplayName
			want := map[string][]string{
				"10005.00": {"", "", "匿名", "匿名", "", "10005.00", "壹万零伍元整", "2026-11-23", "助医基金", charity, handler},
				"0.50":     {"", "", "张三", "身份证", "110101199003074514", "0.50", "伍角", "2026-11-23", "助医基金", charity, handler},
				"100.50":   {"", "", "郓城县某某商贸有限公司", "统一社会信用代码", "91350100M000100Y43", "100.50", "壹佰元伍角", "2026-11-23", "助医基金", charity, handler},
			}
			seen := 0
			for _, row := range rows[1:] {
				if w, ok := want[row[5]]; ok {
					seen++
					if strings.Join(row[:11], "|") != strings.Join(w, "|") || !strings.HasPrefix(row[11], "2026-") {
						t.Errorf("row %q\nwant %q", row, w)
					}
				}
			}
			if seen != 3 {
				t.Errorf("found %d of the 3 receipts in %q", seen, rows)
			}
			r = sb.do(http.MethodGet, "/staff/receipts/file?from=2026-11-01&to=2026-11-30&format=xlsx", nil)
			f, err := excelize.OpenReader(bytes.NewReader(r.Body.Bytes()))
			if err != nil {
				t.Fatalf("xlsx: %d %v", r.Code, err)
			}
			xrows, _ := f.GetRows("捐赠票据")
			f.Close()
			if len(xrows) != 5 || xrows[0][2] != "捐赠人名称" {
				t.Errorf("xlsx rows: %q", xrows)
			}
			// The API: JSON, and the same files; a wrong period names its field.
			api := "/api/v1/orgs/" + fed.PublicID + "/receipts?from=2026-11-01&to=2026-11-30"
			j := env.do(http.MethodGet, api, stok, nil)
			if items, _ := j.JSON(t)["items"].([]any); j.Status != 200 || len(items) != 4 {
				t.Errorf("API: %d %s", j.Status, j.Body)
			}
			if r := env.do(http.MethodGet, api+"&format=xlsx", stok, nil); r.Status != 200 || !bytes.HasPrefix(r.Body, []byte("PK")) {
				t.Errorf("API xlsx: %d", r.Status)
			}
			wantInvalid(t, env.do(http.MethodGet, "/api/v1/orgs/"+fed.PublicID+"/receipts?from=2026-11-30&to=2026-11-01", stok, nil), "to")
			wantInvalid(t, env.do(http.MethodGet, api+"&format=pdf", stok, nil), "format")
			if r := env.do(http.MethodGet, api, dtok, nil); r.Status != http.StatusForbidden {
				t.Errorf("a donor: %d", r.Status)
			}
			// Who took the donors' details is on the audit log.
			es, err := env.store.AuditEntries(ctx, "receipts")
			if err != nil || len(es) < 4 || es[0].Action != "receipts.export" || es[0].Actor != staff.User.PublicID {
				t.Errorf("audit: %d entries, %v", len(es), err)
			}
		})
		env.advance(time.Hour)
	})
}

// TestPledgeAPITakesTheReceiptChoice: POST /pledges with receipt_as names
// the organization on the receipt; a wrong code names its field.
func TestPledgeAPITakesTheReceiptChoice(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	_, staff := env.user(kernel.RoleFederationStaff, nil)
	fund := env.fundWithBalance(staff, kernel.Restrictions{}, 10_000)
	dtok, _ := env.user(kernel.RoleDonor, nil)
	body := map[string]any{"target_type": "fund", "target_id": fund, "amount_fen": 100_000,
		"receipt_as": map[string]any{"kind": "org", "org_name": "某某基金会", "org_credit_code": "53100000500021676J"}}
	wantInvalid(t, env.do(http.MethodPost, "/api/v1/pledges", dtok, body, "Idempotency-Key", testID()), "receipt_as.org_credit_code")
	body["receipt_as"].(map[string]any)["org_credit_code"] = "53100000500021676K"
	r := env.do(http.MethodPost, "/api/v1/pledges", dtok, body, "Idempotency-Key", testID())
	if r.Status != http.StatusCreated {
		t.Fatalf("pledge: %d %s", r.Status, r.Body)
	}
	p, err := env.funds.ConfirmPledge(context.Background(), staff, r.JSON(t)["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	got := env.do(http.MethodGet, "/api/v1/receipts/"+p.ReceiptID, dtok, nil).JSON(t)
	if got["donor"] != "某某基金会" || got["donor_credit_code"] != "53100000500021676K" || got["amount_words"] != "壹仟元整" {
		t.Errorf("receipt: %v", got)
	}
}

// TestReceiptProfileKeepsOrRemovesTheIDNumber: over the API, a profile
// without id_number keeps the number on file while there is a name; an
// empty one, or no name, removes it.
func TestReceiptProfileKeepsOrRemovesTheIDNumber(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	dtok, _ := env.user(kernel.RoleDonor, nil)
	put := func(body map[string]any) map[string]any {
		t.Helper()
		r := env.do(http.MethodPut, "/api/v1/me/receipt-profile", dtok, body)
		if r.Status != 200 {
			t.Fatalf("put %v: %d %s", body, r.Status, r.Body)
		}
		return r.JSON(t)
	}
	if got := env.do(http.MethodGet, "/api/v1/me/receipt-profile", dtok, nil).JSON(t); got["receipts_name"] != "匿名" || got["receipts_as"] != "anonymous" {
		t.Errorf("before any: %v", got)
	}
	wantInvalid(t, env.do(http.MethodPut, "/api/v1/me/receipt-profile", dtok, map[string]any{"real_name": "张三", "id_number": "11010119900307451X"}), "id_number")
	if got := put(map[string]any{"real_name": "张三", "id_number": "110101199003074514"}); got["id_number_masked"] != "1101**********4514" || got["receipts_name"] != "张三" {
		t.Errorf("with a number: %v", got)
	}
	if got := put(map[string]any{"real_name": "张三丰"}); got["id_number_masked"] != "1101**********4514" {
		t.Errorf("kept: %v", got)
	}
	if got := put(map[string]any{"real_name": "张三丰", "id_number": ""}); got["id_number_masked"] != nil {
		t.Errorf("removed: %v", got)
	}
	put(map[string]any{"real_name": "张三丰", "id_number": "110101199003074514"})
	if got := put(map[string]any{"real_name": ""}); got["id_number_masked"] != nil || got["receipts_as"] != "anonymous" {
		t.Errorf("no name: %v", got)
	}
	wantInvalid(t, env.do(http.MethodPut, "/api/v1/me/receipt-profile", dtok, map[string]any{"as_org": true, "org_name": "某公司", "org_credit_code": "91350100M000100Y4"}), "org_credit_code")
}
