package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// setValues sets form fields by id without typing (dates, selects).
func (b *tab) setValues(kv map[string]string) {
	b.t.Helper()
	js, _ := json.Marshal(kv)
	evalIn[bool](b, `(function(kv){for (var id in kv) { document.getElementById(id).value = kv[id]; } return true})(`+string(js)+`)`)
}

// TestBrowserMainPath: each user group's main path in real Chromium — a
// social worker posts a need and sees the scrubbed preview as they type; a
// verifier clears it from the queue and publishes it; after the notice a
// donor finds it and pledges (a double click makes one pledge); federation
// staff confirm the payment, allocate from a fund and disburse; the
// disclosure register and the need page show it.
func TestBrowserMainPath(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	_, worker := env.user(kernel.RoleSocialWorker, nil)
	_, verifier := env.user(kernel.RoleVerifier, nil)

	// The social worker posts, watching the preview.
	w := s.tab(t)
	w.login(worker.User.Email, "password-social_worker")
	w.open("/worker/needs/new")
	w.setValues(map[string]string{
		"name": "张建华", "id_number": idNumber("371725", "19800315", "123"), "phone": "13812345678",
		"address": "山东省菏泽市郓城县唐庙镇李庄村3组15号", "members": "王秀英",
		"category": "medical", "title": "尿毒症透析费用", "verified_cost": "50000", "statutory_relief": "20000",
		"cost_from": "2026-11-01", "cost_to": "2027-04-30", "urgency": "urgent", "deadline": "2027-06-30",
		"consent_by": "张建华", "consent_relation": "self", "consent_method": "written", "consent_at": "2026-11-20",
	})
	// The region from the pickers: province → city → county (issue 17).
	w.pickRegion("region_code", 0, "370000")
	w.pickRegion("region_code", 1, "371700")
	w.pickRegion("region_code", 2, "371725")
	if got := evalIn[string](w, `document.getElementById("region_code").value`); got != "371725" {
		t.Fatalf("the picked region fills the field with %q", got)
	}
	w.click(`input[name="household_types"][value="dibao"]`)
	w.click(`input[name="service_needs"][value="hospital_escort"]`)
	w.click(`input[name="consent"]`)
	w.fill("#story", "张建华今年四十五岁，患尿毒症需每周透析三次，妻子王秀英照顾全家，电话13812345678。")
	preview := w.waitText("#preview", "尿毒症")
	for _, leak := range []string{"张建华", "王秀英", "13812345678"} {
		if strings.Contains(preview, leak) {
			t.Errorf("the preview shows %q: %s", leak, preview)
		}
	}
	w.screenshot("post-need")
	w.click(`form.need-form button[type="submit"]`)
	w.waitText("main", "求助已提交")
	needID := strings.TrimPrefix(evalIn[string](w, `location.pathname`), "/staff/needs/")
	w.screenshot("need-private")

	// The verifier clears it from the queue and publishes it.
	v := s.tab(t)
	v.login(verifier.User.Email, "password-verifier")
	v.click(`a[href="/verify"]`)
	v.waitText("main", "剩余")
	v.screenshot("verify-queue")
	v.click(`a[href="/staff/needs/` + needID + `"]`)
	v.click(`input[name="decision"][value="cleared"]`)
	v.fill("#reference", "郓民救〔2026〕12号")
	v.click(`form[action$="/clearance"] button`)
	v.waitText("main", "发布公示")
	v.click(`form[action$="/publish"] button`)
	v.waitText(".tags", "公示中")

	// The notice passes; the needs indexer brings it to the list.
	env.advance(121 * time.Hour)
	if _, err := env.indexer.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	stok, staff := env.user(kernel.RoleFederationStaff, nil)
	_, donor := env.user(kernel.RoleDonor, nil)
	dtok, _ := env.user(kernel.RoleDonor, nil)
	r := env.do("POST", "/api/v1/funds", stok, map[string]any{"name": "春晖助医基金", "namer": "春晖公司", "purpose": "大病医疗救助", "restrictions": map[string]any{"categories": []string{"medical"}}})
	if r.Status != http.StatusCreated {
		t.Fatalf("fund: %d %s", r.Status, r.Body)
	}
	fundID := r.JSON(t)["id"].(string)
	r = env.do("POST", "/api/v1/pledges", dtok, map[string]any{"target_type": "fund", "target_id": fundID, "amount_fen": 2_000_000})
	if r.Status != http.StatusCreated {
		t.Fatalf("fund pledge: %d %s", r.Status, r.Body)
	}
	if r := env.do("POST", "/api/v1/pledges/"+r.JSON(t)["id"].(string)+"/confirm", stok, nil); r.Status != 200 {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}

	// A donor finds it by searching and pledges with a double click.
	d := s.tab(t)
	d.login(donor.User.Email, "password-donor")
	d.open("/needs")
	d.fill("#q", "透析")
	d.waitText(".total", "共 1 条求助")
	d.settle()
	d.waitText(".total", "共 1 条求助")
	d.click(`.cards a[href="/needs/` + needID + `"]`)
	d.waitText("main", "我要捐助")
	if got := d.text("main"); strings.Contains(got, "张建华") || strings.Contains(got, "王秀英") {
		t.Error("the public need page names the household")
	}
	d.fill("#amount", "1000")
	evalIn[bool](d, `(function(){var b=document.querySelector(".pledge-form button");b.click();b.click();return true})()`)
	d.waitText("main", "转账附言")
	pledgeID := strings.TrimPrefix(evalIn[string](d, `location.pathname`), "/my/pledges/")
	d.screenshot("pledge")
	d.open("/my/giving")
	if n := evalIn[int](d, `document.querySelectorAll("ul.giving > li").length`); n != 1 {
		t.Errorf("a double click made %d pledges", n)
	}

	// Staff confirm the payment, allocate from the fund and disburse.
	st := s.tab(t)
	st.login(staff.User.Email, "password-federation_staff")
	st.open("/my/pledges/" + pledgeID)
	st.click(`form[action$="/confirm"] button`)
	st.waitText("main", "善款已到账")
	st.open("/needs/" + needID)
	st.click(`a[href="/staff/money/` + needID + `"]`)
	st.fill("#alloc-amount", "15000")
	st.click(`form[action$="/allocations"] button`)
	st.waitText("main", "确认拨付")
	st.fill(`input[name="payee_name"]`, "郓城县人民医院")
	st.fill(`input[name="reference"]`, "YC20261123001")
	st.click(`form[action$="/disbursements"] button`)
	st.waitText("main", "已拨付")
	st.screenshot("staff-money")

	// Everyone sees where the money went; no one sees who.
	p := s.tab(t)
	p.open("/disclosures")
	// The need by its public title, linked, never by its raw id (issue 17).
	reg := p.waitText("main", "尿毒症透析费用")
	if !strings.Contains(reg, "¥15,000.00") || strings.Contains(reg, "郓城县人民医院") || strings.Contains(reg, needID) {
		t.Errorf("register: %s", reg)
	}
	if n := evalIn[int](p, `document.querySelectorAll('main table a[href="/needs/`+needID+`"]').length`); n == 0 {
		t.Error("the register does not link the need")
	}
	p.screenshot("disclosures")
	// Readable on a phone: nothing scrolls sideways.
	p.viewport(375, 812, true)
	p.open("/disclosures")
	p.waitText("main", "尿毒症透析费用")
	if w := evalIn[float64](p, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("/disclosures is %v px wide at 375 px", w)
	}
	p.screenshot("disclosures-375")
	p.open("/funds/" + fundID)
	p.waitText("main", "春晖助医基金")
	if w := evalIn[float64](p, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the fund's books are %v px wide at 375 px", w)
	}
	p.open("/needs/" + needID)
	p.waitText("main", "拨付")
	p.screenshot("need-funded")
	d.open("/my/giving")
	if got := d.waitText("main", "尿毒症透析费用"); strings.Contains(got, needID) {
		t.Errorf("my giving shows the raw id: %s", got)
	}
	d.screenshot("my-giving")
	d.viewport(375, 812, true)
	d.open("/my/giving")
	d.waitText("main", "尿毒症透析费用")
	if w := evalIn[float64](d, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("/my/giving is %v px wide at 375 px", w)
	}
	d.screenshot("my-giving-375")
}
