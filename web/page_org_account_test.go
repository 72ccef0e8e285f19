package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

var receiverRe = regexp.MustCompile(`<p id="pledge-receiver">([^<]*)</p>`)

// TestDonorPaysTheReceivingCharitysAccount: the charity federation's staff
// enter its collection account; the need page names the federation (not the
// posting agency) as receiver; the donor's own pledge page shows the
// account with the pledge's reference, after a success message.
func TestDonorPaysTheReceivingCharitysAccount(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		wtok, _ := env.user(kernel.RoleSocialWorker, nil)
		vtok, _ := env.user(kernel.RoleVerifier, nil)
		needID := env.createNeed(wtok, needBody())
		env.clearAndPublish(needID, wtok, vtok)
		env.advance(121 * time.Hour)
		_, staff := env.user(kernel.RoleFederationStaff, nil)
		fed := env.orgs[kernel.OrgCharityFederation]
		sb := newBrowser(env)
		sb.login(staff)

		t.Run("staff see their own organization's form", func(t *testing.T) {
			r := sb.do(http.MethodGet, "/staff/org", nil)
			if r.Code != 200 || !strings.Contains(r.Body.String(), `name="org" value="`+fed.PublicID+`"`) {
				t.Fatalf("form: %d", r.Code)
			}
		})
		t.Run("invalid fields are explained beside each field", func(t *testing.T) {
			r := sb.form("/staff/org", url.Values{"account_name": {""}, "bank": {"工商银行"}, "account_no": {"12ab"}, "pay_link": {"javascript:alert(1)"}})
			body := r.Body.String()
			if r.Code != http.StatusBadRequest {
				t.Fatalf("status %d", r.Code)
			}
			for _, want := range []string{`id="account_name-error"`, `id="account_no-error"`, `id="pay_link-error"`, "请填写以 https:// 开头的网址"} {
				if !strings.Contains(body, want) {
					t.Errorf("the form lacks %q", want)
				}
			}
			if strings.Contains(body, `id="bank-error"`) {
				t.Error("a valid bank is marked wrong")
			}
		})
		t.Run("a saved account is confirmed once", func(t *testing.T) {
			r := sb.form("/staff/org", url.Values{"account_name": {"郓城县慈善总会"}, "bank": {"中国工商银行郓城支行"},
				"account_no": {"1609 0012 0902 4567 890"}, "pay_link": {"https://example.org/give/yc"}})
			if r.Code != http.StatusSeeOther {
				t.Fatalf("save: %d %s", r.Code, r.Body)
			}
			page := sb.do(http.MethodGet, r.Header().Get("Location"), nil).Body.String()
			if !strings.Contains(page, "收款账户已保存") || !strings.Contains(page, `value="1609001209024567890"`) {
				t.Errorf("after saving: %.500s", page)
			}
		})
		t.Run("other staff and roles cannot edit it", func(t *testing.T) {
			other, err := env.accounts.CreateOrg(context.Background(), env.admin, marketplace.NewOrg{Name: "别的慈善会", Kind: kernel.OrgCharityFederation, RegionCode: "110101"})
			if err != nil {
				t.Fatal(err)
			}
			_, otherStaff := env.user(kernel.RoleFederationStaff, other)
			ob := newBrowser(env)
			ob.login(otherStaff)
			if r := ob.form("/staff/org", url.Values{"org": {fed.PublicID}, "account_name": {"x"}, "bank": {"y"}, "account_no": {"123456"}}); r.Code != http.StatusNotFound {
				t.Errorf("another federation's staff: %d", r.Code)
			}
			if r := ob.do(http.MethodGet, "/staff/org?org="+fed.PublicID, nil); r.Code != http.StatusNotFound {
				t.Errorf("another federation's staff read: %d", r.Code)
			}
			_, sw := env.user(kernel.RoleSocialWorker, nil)
			wb := newBrowser(env)
			wb.login(sw)
			if r := wb.do(http.MethodGet, "/staff/org", nil); r.Code != http.StatusForbidden {
				t.Errorf("a social worker: %d", r.Code)
			}
			_, admin := env.user(kernel.RoleAdmin, nil)
			ab := newBrowser(env)
			ab.login(admin)
			if r := ab.do(http.MethodGet, "/staff/org?org="+fed.PublicID, nil); r.Code != 200 || !strings.Contains(r.Body.String(), "郓城县慈善总会") {
				t.Errorf("admin: %d", r.Code)
			}
		})
		t.Run("the need page names the receiving federation, not the agency", func(t *testing.T) {
			pub := env.do("GET", "/api/v1/needs/"+needID, "", nil).JSON(t)
			page := newBrowser(env).do(http.MethodGet, "/needs/"+needID, nil).Body.String()
			m := receiverRe.FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no receiver on the need page")
			}
			if strings.Contains(m[1], env.orgs[kernel.OrgSocialWorkAgency].Name) {
				t.Errorf("the agency is named as receiver: %s", m[1])
			}
			want := "当地一家慈善会"
			if pub["region_code"] == fed.RegionCode {
				want = fed.Name
			}
			if !strings.Contains(m[1], want) {
				t.Errorf("receiver %q, want %q (public region %v)", m[1], want, pub["region_code"])
			}
		})
		t.Run("the donor pledges and sees the account with the reference", func(t *testing.T) {
			_, donorP := env.user(kernel.RoleDonor, nil)
			donor := newBrowser(env)
			donor.login(donorP)
			page := donor.do(http.MethodGet, "/needs/"+needID, nil).Body.String()
			r := donor.form("/pledge", url.Values{"idempotency_key": {formKey(t, page)}, "target_type": {"need"}, "target_id": {needID}, "amount": {"200"}})
			if r.Code != http.StatusSeeOther {
				t.Fatalf("pledge: %d", r.Code)
			}
			body := donor.do(http.MethodGet, r.Header().Get("Location"), nil).Body.String()
			for _, want := range []string{"捐助意向已登记，请按下面的账户转账", "郓城县慈善总会", "中国工商银行郓城支行", "1609001209024567890",
				`href="https://example.org/give/yc"`, `id="pay-ref"`} {
				if !strings.Contains(body, want) {
					t.Errorf("the pledge page lacks %q", want)
				}
			}
			if strings.Contains(donor.do(http.MethodGet, r.Header().Get("Location"), nil).Body.String(), "捐助意向已登记，请按下面的账户转账") {
				t.Error("the success message shows again on reload")
			}
			// Back on the need page, the pledge waiting for its money is shown
			// above a fresh form.
			back := donor.do(http.MethodGet, "/needs/"+needID, nil).Body.String()
			if !strings.Contains(back, `id="pledge-pending"`) || !strings.Contains(back, r.Header().Get("Location")) {
				t.Error("the need page does not show the pending pledge")
			}
		})
	})
}

// TestCollectionAccountAPI: federation staff set their organization's
// account over the API; the donor's pledge carries it.
func TestCollectionAccountAPI(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	wtok, _ := env.user(kernel.RoleSocialWorker, nil)
	vtok, _ := env.user(kernel.RoleVerifier, nil)
	needID := env.createNeed(wtok, needBody())
	env.clearAndPublish(needID, wtok, vtok)
	env.advance(121 * time.Hour)
	stok, _ := env.user(kernel.RoleFederationStaff, nil)
	fed := env.orgs[kernel.OrgCharityFederation]
	path := "/api/v1/orgs/" + fed.PublicID + "/collection-account"
	if r := env.do(http.MethodPut, path, stok, map[string]any{"account_name": "", "bank": "工行", "account_no": "x"}); r.Status != http.StatusBadRequest ||
		!strings.Contains(string(r.Body), "account_no") || !strings.Contains(string(r.Body), "account_name") {
		t.Fatalf("invalid account: %d %s", r.Status, r.Body)
	}
	r := env.do(http.MethodPut, path, stok, map[string]any{"account_name": "郓城县慈善总会", "bank": "中国工商银行郓城支行", "account_no": "1609 0012 0902 4567 890"})
	if r.Status != 200 || r.JSON(t)["account_no"] != "1609001209024567890" {
		t.Fatalf("set: %d %s", r.Status, r.Body)
	}
	dtok, _ := env.user(kernel.RoleDonor, nil)
	if r := env.do(http.MethodPut, path, dtok, map[string]any{"account_name": "x", "bank": "y", "account_no": "123456"}); r.Status != http.StatusForbidden {
		t.Errorf("a donor: %d", r.Status)
	}
	r = env.do(http.MethodPost, "/api/v1/pledges", dtok, map[string]any{"target_type": "need", "target_id": needID, "amount_fen": 10000}, "Idempotency-Key", testID())
	if r.Status != http.StatusCreated {
		t.Fatalf("pledge: %d %s", r.Status, r.Body)
	}
	got := env.do(http.MethodGet, "/api/v1/pledges/"+r.JSON(t)["id"].(string), dtok, nil).JSON(t)
	acc, _ := got["collection_account"].(map[string]any)
	if acc == nil || acc["bank"] != "中国工商银行郓城支行" || got["reference"] == "" {
		t.Errorf("pledge: %v", got)
	}
}
