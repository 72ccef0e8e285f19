package web

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserReconcileMismatchPage: on a phone (375 px), federation staff
// upload the day's WeChat Pay bill on 到账对账 and land on its run, where
// everything that does not match is on one page, grouped by why, each
// table stacked with its column names, nothing wider than the screen.
func TestBrowserReconcileMismatchPage(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	fx := newReconcileFixture(t, env)
	data, _, _ := mismatchScenario(t, env, fx)
	path := filepath.Join(t.TempDir(), "All2026-11-23.csv")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	b := s.tab(t)
	b.viewport(375, 812, true)
	b.login(fx.staff.User.Email, "password-federation_staff")
	b.open("/staff/reconcile")
	if got := b.text("main"); !strings.Contains(got, "还没有导入过对账单") {
		t.Fatalf("empty history: %q", got)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"]`), []string{path}))
	b.click(`form[action="/staff/reconcile"] button[type="submit"]`)
	b.waitJS(`location.pathname.startsWith("/staff/reconcile/") && document.querySelector("#mismatches") !== null`)
	main := b.text("main")
	for _, want := range []string{"对账单已导入", "微信支付交易账单", "确认到账 2 笔", "未能对上 7 笔", "已到账，但没有对应的认捐", "金额不符",
		"对账单已退款，台账里没有退款", "已确认到账，对账单里却没有", "认捐过期后才到账", "捐给其他机构的认捐", "重复的到账记录"} {
		if !strings.Contains(main, want) {
			t.Errorf("the run page lacks %q", want)
		}
	}
	if n := evalIn[int](b, `document.querySelectorAll("#mismatches table.mismatch tbody tr").length`); n != 7 {
		t.Errorf("%d mismatch rows, want 7", n)
	}
	if got := evalIn[string](b, `getComputedStyle(document.querySelector("#mismatches tbody td")).display`); got != "block" {
		t.Errorf("the mismatch cells are %q on a phone, want stacked (block)", got)
	}
	if got := evalIn[string](b, `Array.from(document.querySelectorAll("#mismatches tbody td")).map(function(td){return getComputedStyle(td, "::before").content}).join("|")`); !strings.Contains(got, "行号") || !strings.Contains(got, "原因") {
		t.Errorf("the stacked cells' labels: %q", got)
	}
	if w := evalIn[float64](b, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("the run page is %.0fpx wide on a 375px phone", w)
	}
	b.screenshot("staff-reconcile-run-phone")
	// The run stays: the upload page lists it and reopens it.
	b.open("/staff/reconcile")
	b.click(`main a[href^="/staff/reconcile/"]`)
	b.waitJS(`document.querySelector("#mismatches") !== null`)
}

// TestBrowserDonorPausesMonthlyGift: on a phone (375 px), a donor pauses
// their monthly gift on "my giving" in one tap, reads that it is paused and
// can resume it, and each month's state.
func TestBrowserDonorPausesMonthlyGift(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	_, staff := env.user(kernel.RoleFederationStaff, nil)
	fund := env.fundWithBalance(staff, kernel.Restrictions{}, 100)
	dtok, donor := env.user(kernel.RoleDonor, nil)
	day := env.now.Load().In(kernel.ChinaTime).Day()
	if day > 28 {
		day = 28
	}
	r := env.do(http.MethodPost, "/api/v1/recurring-pledges", dtok, map[string]any{"target_type": "fund", "target_id": fund, "amount_fen": 3_000, "day_of_month": day})
	if r.Status != http.StatusCreated {
		t.Fatalf("monthly gift: %d %s", r.Status, r.Body)
	}
	gift := r.JSON(t)["id"].(string)
	if _, err := env.funds.RunRecurring(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := s.tab(t)
	b.viewport(375, 812, true)
	b.login(donor.User.Email, "password-donor")
	b.open("/my/giving")
	card := "#monthly-" + gift
	if got := b.text(card); !strings.Contains(got, "进行中") || !strings.Contains(got, "每月提醒您付款") {
		t.Fatalf("the gift before pausing: %q", got)
	}
	if day == env.now.Load().In(kernel.ChinaTime).Day() {
		if got := b.text(card + " table"); !strings.Contains(got, "待付款") || !strings.Contains(got, "去付款") {
			t.Errorf("this month: %q", got)
		}
	}
	// The button is a thumb's size.
	if h := evalIn[float64](b, `document.querySelector("`+card+` form.pause button").getBoundingClientRect().height`); h < 44 {
		t.Errorf("the pause button is %.0fpx high on a phone", h)
	}
	b.click(card + ` form.pause button`)
	b.waitJS(`document.querySelector(".flash") !== null && document.querySelector(".flash").innerText.indexOf("每月捐赠已暂停") >= 0`)
	if got := b.text(card + " .monthly-status"); got != "已暂停" {
		t.Errorf("the gift's status after pausing: %q", got)
	}
	if got := b.text(card + ` form.resume button`); got != "恢复" {
		t.Errorf("the resume button reads %q", got)
	}
	if w := evalIn[float64](b, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("my giving is %.0fpx wide on a 375px phone", w)
	}
	b.screenshot("my-giving-monthly-paused-phone")
}
