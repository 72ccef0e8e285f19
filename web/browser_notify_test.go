package web

import (
	"context"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
)

// TestBrowserInboxAndSettingsOnAPhone: on a 375 px phone in Chromium, a
// social worker sees the unread count in the navigation, opens the inbox,
// reads the new report's notice and marks it read (the count goes); then
// chooses e-mail and SMS for new reports with a mobile number, and sees the
// number masked. No page scrolls sideways.
func TestBrowserInboxAndSettingsOnAPhone(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	rig := newNotifyRig(t, env)
	s := newSite(t, env)
	_, worker := env.user(kernel.RoleSocialWorker, nil)
	report := env.report(t)
	rig.dispatch(t)
	fits := func(b *tab, page string) {
		t.Helper()
		if w := evalIn[float64](b, `document.documentElement.scrollWidth`); w > 375 {
			t.Errorf("%s is %.0fpx wide on a 375px phone", page, w)
		}
	}

	b := s.tab(t)
	b.viewport(375, 812, true)
	b.login(worker.User.Email, "password-social_worker")
	if got := b.text("#nav-inbox"); !strings.Contains(got, "收件箱") || !strings.Contains(got, "1") {
		t.Errorf("the navigation's inbox link: %q", got)
	}
	b.click("#nav-inbox")
	b.waitJS(`location.pathname === "/inbox" && document.querySelector("#inbox") !== null`)
	msg := b.text("#inbox li")
	for _, want := range []string{"新的主动发现报告：郓城县", "郓城县有人报告", "查看详情", "未读"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message lacks %q: %q", want, msg)
		}
	}
	if href := evalIn[string](b, `document.querySelector("#inbox li a").getAttribute("href")`); href != "/worker/reports/"+report {
		t.Errorf("the message links to %q", href)
	}
	fits(b, "the inbox")
	b.screenshot("inbox-375")
	b.click(`#inbox li form button`)
	b.waitText(".flash", "已标为已读")
	if n := evalIn[int](b, `document.querySelectorAll("#nav-inbox .badge").length`); n != 0 {
		t.Errorf("the unread count is still shown after reading")
	}
	if n, _ := env.notify.Unread(context.Background(), worker); n != 0 {
		t.Errorf("%d unread after marking read on the page", n)
	}

	b.click(`main a[href="/my/notifications"]`)
	b.waitJS(`location.pathname === "/my/notifications"`)
	if got := b.text("#kind-report_new"); !strings.Contains(got, "辖区内的新主动发现报告") || !strings.Contains(got, "站内收件箱") {
		t.Errorf("the report's choices: %q", got)
	}
	b.fill("#phone", "13800138000")
	b.click(`#kind-report_new input[name="email_report_new"]`)
	b.click(`#kind-report_new input[name="sms_report_new"]`)
	b.click(`#notify-settings button[type="submit"]`)
	b.waitText(".flash", "通知设置已保存")
	if got := b.text("main"); !strings.Contains(got, "138****8000") {
		t.Errorf("the masked number is not shown: %q", got)
	}
	st, err := env.notify.Settings(context.Background(), worker)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range st.Kinds {
		if k.Kind == notify.KindReportNew && (!k.Email || !k.SMS) {
			t.Errorf("saved from the page: %+v", k)
		}
	}
	fits(b, "the notification settings")
	b.screenshot("notify-settings-375")
}
