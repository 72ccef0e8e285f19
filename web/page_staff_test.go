package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
)

// postFile sends a page form with a file, as the signed-in browser.
func (b *browser) postFile(path, page, name string, data []byte) *httptest.ResponseRecorder {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("_csrf", b.csrf(page))
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := serve(b.env, req)
	checkChinesePage(b.t, path, rec)
	return rec
}

func TestStaffPlanAndReconcilePages(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		wtok, _ := env.user(kernel.RoleSocialWorker, nil)
		vtok, _ := env.user(kernel.RoleVerifier, nil)
		needID := env.createNeed(wtok, needBody())
		env.clearAndPublish(needID, wtok, vtok)
		env.advance(121 * time.Hour)
		stok, staff := env.user(kernel.RoleFederationStaff, nil)
		r := env.do("POST", "/api/v1/funds", stok, map[string]any{"name": "春晖助医基金", "namer": "春晖公司", "purpose": "大病医疗救助", "restrictions": map[string]any{"categories": []string{"medical"}}})
		if r.Status != http.StatusCreated {
			t.Fatalf("fund: %d %s", r.Status, r.Body)
		}
		fundID := r.JSON(t)["id"].(string)
		dtok, _ := env.user(kernel.RoleDonor, nil)
		r = env.do("POST", "/api/v1/pledges", dtok, map[string]any{"target_type": "fund", "target_id": fundID, "amount_fen": 1_000_000})
		if r.Status != http.StatusCreated {
			t.Fatalf("pledge: %d %s", r.Status, r.Body)
		}
		ref := r.JSON(t)["reference"].(string)
		sb := newBrowser(env)
		sb.login(staff)

		t.Run("the bank statement confirms the pledge", func(t *testing.T) {
			page := sb.do(http.MethodGet, "/staff/reconcile", nil).Body.String()
			csv := "reference,amount,date\n" + ref + ",10000.00,2026-11-28\nJJNOSUCHREF1,5.00,2026-11-28\n"
			res := sb.postFile("/staff/reconcile", page, "statement.csv", []byte(csv))
			if res.Code != http.StatusSeeOther {
				t.Fatalf("reconcile: %d %.500s", res.Code, res.Body.String())
			}
			body := sb.do(http.MethodGet, res.Header().Get("Location"), nil).Body.String()
			if !strings.Contains(body, "确认到账 1 笔") || !strings.Contains(body, "未能对上 1 笔") {
				t.Fatalf("reconcile: %.500s", body)
			}
		})
		t.Run("a batch plan is reviewed and executed", func(t *testing.T) {
			if body := sb.do(http.MethodGet, "/staff", nil).Body.String(); !strings.Contains(body, "春晖助医基金") || !strings.Contains(body, "¥10,000.00") {
				t.Fatalf("staff page lacks the fund and its balance")
			}
			for _, bad := range []string{"abc", "0", "-3", "", "1001"} {
				r := sb.form("/staff/plans", url.Values{"fund": {fundID}, "max_needs": {bad}})
				if r.Code != http.StatusBadRequest || !strings.Contains(r.Body.String(), "1 到 1000 之间的整数") {
					t.Errorf("max_needs %q: %d", bad, r.Code)
				}
			}
			r := sb.form("/staff/plans", url.Values{"fund": {fundID}, "max_needs": {"100"}})
			if r.Code != http.StatusSeeOther {
				t.Fatalf("plan: %d %.300s", r.Code, r.Body.String())
			}
			plan := r.Header().Get("Location")
			body := sb.do(http.MethodGet, plan, nil).Body.String()
			if !strings.Contains(body, needID) || !strings.Contains(body, "待审核") {
				t.Fatalf("plan page: %.500s", body)
			}
			if strings.Contains(body, ">"+needID+"<") || !strings.Contains(body, `<a href="/needs/`+needID+`">`) {
				t.Errorf("the plan names a need by its raw id, or does not link it")
			}
			id := regexp.MustCompile(`/staff/plans/([^/"]+)$`).FindStringSubmatch(plan)[1]
			if body := sb.do(http.MethodGet, "/staff", nil).Body.String(); !strings.Contains(body, `href="/staff/plans/`+id+`"`) || !strings.Contains(body, "待审核") {
				t.Errorf("the staff page does not list the stored plan for review: %.800s", body)
			}
			other, err := env.accounts.CreateOrg(context.Background(), env.admin, marketplace.NewOrg{Name: "另一个慈善总会", Kind: kernel.OrgCharityFederation, RegionCode: "430524"})
			if err != nil {
				t.Fatal(err)
			}
			_, otherStaff := env.user(kernel.RoleFederationStaff, other)
			ob := newBrowser(env)
			ob.login(otherStaff)
			if body := ob.do(http.MethodGet, "/staff", nil).Body.String(); strings.Contains(body, id) || !strings.Contains(body, "还没有分配方案") {
				t.Errorf("another federation's staff page shows this plan, or no empty state: %.800s", body)
			}
			if r := sb.form("/staff/plans/"+id+"/execute", url.Values{}); r.Code != http.StatusSeeOther {
				t.Fatalf("execute: %d", r.Code)
			}
			if body := sb.do(http.MethodGet, plan, nil).Body.String(); !strings.Contains(body, "已执行") || !strings.Contains(body, "已分配") {
				t.Errorf("executed plan: %.500s", body)
			}
		})
	})
}
