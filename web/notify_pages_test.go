package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
)

// report submits a public report in 郓城县, which tells the county's
// social workers and verifiers.
func (env *testEnv) report(t *testing.T) string {
	t.Helper()
	r := env.do(http.MethodPost, "/api/v1/reports", "", map[string]any{"region_code": "371725", "category": "medical",
		"description": "邻居老人生病没人照顾。"})
	if r.Status != http.StatusCreated {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}

// The inbox through the API: a message unread, then read; another user
// can neither see nor mark it (404); paging and its bounds.
func TestInboxAPI(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		rig := newNotifyRig(t, env)
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		donor, _ := env.user(kernel.RoleDonor, nil)
		report := env.report(t)
		rig.dispatch(t)
		box := rig.inbox(t, worker)
		if box.Total != 1 || box.Unread != 1 || len(box.Items) != 1 {
			t.Fatalf("inbox: %+v", box)
		}
		it := box.Items[0]
		if it.Kind != notify.KindReportNew || it.ReadAt != nil || it.Subject != "新的主动发现报告：郓城县" || it.Link != "/worker/reports/"+report {
			t.Fatalf("message: %+v", it)
		}
		if got := rig.inbox(t, donor); got.Total != 0 {
			t.Fatalf("the donor's inbox: %+v", got)
		}
		if r := env.do(http.MethodPost, "/api/v1/inbox/"+it.ID+"/read", donor, nil); r.Status != http.StatusNotFound {
			t.Fatalf("another user marks it read: %d", r.Status)
		}
		r := env.do(http.MethodPost, "/api/v1/inbox/"+it.ID+"/read", worker, nil)
		if r.Status != http.StatusOK || r.JSON(t)["unread"] != float64(0) {
			t.Fatalf("read: %d %s", r.Status, r.Body)
		}
		if box := rig.inbox(t, worker); box.Unread != 0 || box.Items[0].ReadAt == nil {
			t.Fatalf("after reading: %+v", box)
		}
		// Reading twice is harmless.
		if r := env.do(http.MethodPost, "/api/v1/inbox/"+it.ID+"/read", worker, nil); r.Status != http.StatusOK {
			t.Fatalf("read again: %d", r.Status)
		}
		for _, q := range []string{"?limit=0", "?limit=101", "?offset=-1"} {
			if r := env.do(http.MethodGet, "/api/v1/inbox"+q, worker, nil); r.Status != http.StatusBadRequest {
				t.Errorf("%s: %d", q, r.Status)
			}
		}
		// In English.
		r = env.do(http.MethodGet, "/api/v1/inbox", worker, nil, "Accept-Language", "en")
		if !strings.Contains(string(r.Body), "New report: ") {
			t.Fatalf("English: %s", r.Body)
		}
	})
}

type settingsBody struct {
	Email       string            `json:"email"`
	PhoneSet    bool              `json:"phone_set"`
	PhoneMasked string            `json:"phone_masked"`
	Channels    []string          `json:"channels"`
	Preferences []kindSettingJSON `json:"preferences"`
}

func (b settingsBody) of(k notify.Kind) *kindSettingJSON {
	for i := range b.Preferences {
		if b.Preferences[i].Kind == k {
			return &b.Preferences[i]
		}
	}
	return nil
}

// Each user chooses by kind and channel among the kinds their roles
// receive: defaults are the inbox always and e-mail for a donor's gifts;
// SMS needs a mainland number, stored sealed; a bad request changes
// nothing and names the field.
func TestNotificationSettingsAPI(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		newNotifyRig(t, env)
		donor, donorP := env.user(kernel.RoleDonor, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		get := func(tok string) settingsBody {
			t.Helper()
			r := env.do(http.MethodGet, "/api/v1/me/notification-settings", tok, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("settings: %d %s", r.Status, r.Body)
			}
			return decodeInto[settingsBody](t, r)
		}
		d := get(donor)
		if len(d.Preferences) != 6 || d.PhoneSet || d.Email != donorP.User.Email || strings.Join(d.Channels, ",") != "inbox,email,sms" {
			t.Fatalf("donor: %+v", d)
		}
		for _, p := range d.Preferences {
			if !p.Inbox || !p.Email || p.SMS || !p.EmailOffered || !p.SMSOffered {
				t.Errorf("donor's default for %s: %+v", p.Kind, p)
			}
		}
		v := get(verifier)
		if v.of(notify.KindReportNew) == nil || v.of(notify.KindClearanceOverdue) == nil || v.of(notify.KindImportFinished) == nil ||
			v.of(notify.KindPledgeConfirmed) != nil {
			t.Fatalf("verifier's kinds: %+v", v.Preferences)
		}
		if p := v.of(notify.KindClearanceOverdue); p.Email || p.SMS {
			t.Fatalf("verifier's default: %+v", p)
		}
		put := func(tok string, body map[string]any) response {
			t.Helper()
			return env.do(http.MethodPut, "/api/v1/me/notification-settings", tok, body)
		}
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"a landline", map[string]any{"phone": "0530-1234567"}, "phone"},
			{"SMS without a number", map[string]any{"preferences": []map[string]any{{"kind": "gift_disbursed", "sms": true}}}, "phone"},
			{"a kind of another role", map[string]any{"preferences": []map[string]any{{"kind": "report_new", "email": true}}}, "preferences"},
			{"an unknown kind", map[string]any{"preferences": []map[string]any{{"kind": "gossip", "email": true}}}, "preferences"},
		} {
			r := put(donor, tc.body)
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"`+tc.field+`"`) {
				t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
			}
		}
		if got := get(donor); got.PhoneSet || got.of(notify.KindGiftDisbursed).SMS {
			t.Fatalf("a refused request changed the settings: %+v", got)
		}
		r := put(donor, map[string]any{"phone": "+86 139-0000-1111", "preferences": []map[string]any{
			{"kind": "gift_disbursed", "email": false, "sms": true}}})
		if r.Status != http.StatusOK {
			t.Fatalf("put: %d %s", r.Status, r.Body)
		}
		d = decodeInto[settingsBody](t, r)
		if !d.PhoneSet || d.PhoneMasked != "139****1111" || d.of(notify.KindGiftDisbursed).Email || !d.of(notify.KindGiftDisbursed).SMS ||
			!d.of(notify.KindPledgeConfirmed).Email {
			t.Fatalf("after put: %+v", d)
		}
		// The number is stored sealed.
		var row struct{ PhoneCt []byte }
		if err := env.db.Gorm.Raw("SELECT phone_ct FROM notify_phones WHERE user_id = ?", donorP.User.ID).Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		stored := row.PhoneCt
		if len(stored) == 0 || strings.Contains(string(stored), "13900001111") || strings.Contains(string(stored), "1111") {
			t.Fatalf("phone stored as %q", stored)
		}
		// Without the number no SMS goes: its choices go with it.
		d = decodeInto[settingsBody](t, put(donor, map[string]any{"phone": ""}))
		if d.PhoneSet || d.of(notify.KindGiftDisbursed).SMS {
			t.Fatalf("after removing the number: %+v", d)
		}
	})
}

// The pages: the unread count in the navigation, the inbox with its
// message, marked read one by one or all at once; the settings form, a
// mistake shown beside the field; the operator's outbox with a failed
// e-mail, retried by hand.
func TestNotificationPages(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	rig := newNotifyRig(t, env)
	_, workerP := env.user(kernel.RoleSocialWorker, nil)
	env.report(t)
	env.report(t)
	rig.dispatch(t)
	b := newBrowser(env)
	b.login(workerP)
	home := b.do(http.MethodGet, "/", nil).Body.String()
	if !strings.Contains(home, `href="/inbox" id="nav-inbox">收件箱 <span class="badge">2<span class="visually-hidden">条未读</span>`) {
		t.Fatalf("navigation: %s", home[strings.Index(home, "<nav"):strings.Index(home, "</nav>")])
	}
	page := b.do(http.MethodGet, "/inbox", nil)
	body := page.Body.String()
	if page.Code != http.StatusOK || strings.Count(body, `<li class="unread"`) != 2 || !strings.Contains(body, "你有 2 条未读通知") {
		t.Fatalf("inbox: %d %s", page.Code, body)
	}
	items, _, _, err := env.notifyStore.Inbox(context.Background(), workerP.User.ID, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := b.form("/inbox/"+items[0].PublicID+"/read", url.Values{})
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/inbox" {
		t.Fatalf("mark read: %d %s", r.Code, r.Header().Get("Location"))
	}
	body = b.do(http.MethodGet, "/inbox", nil).Body.String()
	if !strings.Contains(body, "已标为已读") || !strings.Contains(body, `<span class="badge">1<`) {
		t.Fatalf("after marking one read: %s", body)
	}
	if r := b.form("/inbox/read-all", url.Values{}); r.Code != http.StatusSeeOther {
		t.Fatalf("mark all: %d", r.Code)
	}
	body = b.do(http.MethodGet, "/inbox", nil).Body.String()
	if strings.Contains(body, `class="badge"`) || !strings.Contains(body, "通知都已读过") {
		t.Fatalf("after marking all read: %s", body)
	}

	// Settings.
	body = b.do(http.MethodGet, "/my/notifications", nil).Body.String()
	for _, want := range []string{`id="kind-report_new"`, `name="email_report_new"`, `name="sms_report_new"`, `name="phone"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("settings page lacks %s", want)
		}
	}
	r = b.form("/my/notifications", url.Values{"email_report_new": {"on"}, "sms_report_new": {"on"}, "phone": {"12345"}})
	if r.Code != http.StatusBadRequest || !strings.Contains(r.Body.String(), `id="phone-error"`) || !strings.Contains(r.Body.String(), `aria-invalid="true"`) {
		t.Fatalf("bad phone: %d %s", r.Code, r.Body.String())
	}
	r = b.form("/my/notifications", url.Values{"sms_report_new": {"on"}})
	if r.Code != http.StatusBadRequest || !strings.Contains(r.Body.String(), "要用短信接收通知，请先填写手机号码") {
		t.Fatalf("SMS without a number: %d %s", r.Code, r.Body.String())
	}
	r = b.form("/my/notifications", url.Values{"email_report_new": {"on"}, "sms_report_new": {"on"}, "phone": {"13800138000"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Code, r.Body.String())
	}
	st, err := env.notify.Settings(context.Background(), workerP)
	if err != nil {
		t.Fatal(err)
	}
	if !st.PhoneSet || st.Kinds[0].Kind != notify.KindReportNew || !st.Kinds[0].Email || !st.Kinds[0].SMS {
		t.Fatalf("saved: %+v", st)
	}
	body = b.do(http.MethodGet, "/my/notifications", nil).Body.String()
	if !strings.Contains(body, "通知设置已保存") || !strings.Contains(body, "138****8000") || !strings.Contains(body, `name="email_report_new" checked`) {
		t.Fatalf("settings after saving: %s", body)
	}

	// The worker's e-mail is refused by the server for good: the operator
	// sees it failed with the reason and sends it again.
	rig.smtp.RcptReply = "550 5.1.1 no such mailbox"
	env.report(t)
	rig.dispatch(t)
	_, adminP := env.user(kernel.RoleAdmin, nil)
	ab := newBrowser(env)
	ab.login(adminP)
	if r := b.do(http.MethodGet, "/admin/notifications", nil); r.Code != http.StatusForbidden {
		t.Fatalf("a worker on the operator's page: %d", r.Code)
	}
	body = ab.do(http.MethodGet, "/admin/notifications", nil).Body.String()
	if !strings.Contains(body, "对方服务器或短信平台拒收") || !strings.Contains(body, "已停止重试 (1)") || !strings.Contains(body, ">重试</button>") {
		t.Fatalf("operator's page: %s", body)
	}
	ds, _, _, err := env.notify.Deliveries(context.Background(), env.admin, notify.StateFailed, 10, 0)
	if err != nil || len(ds) != 1 || ds[0].Channel != notify.ChannelEmail || ds[0].LastReason != notify.ReasonRefused ||
		!strings.Contains(ds[0].LastError, "5.1.1 no such mailbox") {
		t.Fatalf("failed deliveries: %+v %v", ds, err)
	}
	rig.smtp.RcptReply = ""
	if r := ab.form("/admin/notifications/"+ds[0].PublicID+"/retry", url.Values{}); r.Code != http.StatusSeeOther {
		t.Fatalf("retry: %d", r.Code)
	}
	rig.dispatch(t)
	if got := rig.mailsTo(t, workerP.User.Email); len(got) != 1 || got[0].Subject != "新的主动发现报告：郓城县" {
		t.Fatalf("e-mails after the retry: %+v", got)
	}
	if r := ab.form("/admin/notifications/"+ds[0].PublicID+"/retry", url.Values{}); r.Code != http.StatusConflict {
		t.Fatalf("retrying a sent delivery: %d", r.Code)
	}
	// The API tells the same.
	admin := env.token(adminP)
	r2 := env.do(http.MethodGet, "/api/v1/admin/notifications?state=sent", admin, nil)
	if r2.Status != http.StatusOK || !strings.Contains(string(r2.Body), ds[0].PublicID) {
		t.Fatalf("API: %d %s", r2.Status, r2.Body)
	}
	if r := env.do(http.MethodPost, "/api/v1/admin/notifications/"+ds[0].PublicID+"/retry", admin, nil); r.Status != http.StatusConflict {
		t.Fatalf("API retry of a sent delivery: %d", r.Status)
	}
}

// TestNotificationCatalogue: every kind, state, reason and channel that
// notifications name from codes has its words in both catalogues, and
// every kind is worded in both languages without a template left unfilled.
func TestNotificationCatalogue(t *testing.T) {
	ps, err := newPages()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range notify.Kinds {
		ids = append(ids, "notice_kind_"+string(k), "notice_"+string(k)+"_subject", "notice_"+string(k)+"_body")
	}
	ids = append(ids, "notice_pledge_confirmed_body_need", "notice_monthly_gift_taken_body_need", "notice_decision_upheld", "notice_decision_dismissed")
	for _, st := range notify.DeliveryStates {
		ids = append(ids, "delivery_state_"+string(st))
	}
	for _, r := range notify.Reasons {
		ids = append(ids, "delivery_reason_"+string(r))
	}
	for _, c := range notify.Channels {
		ids = append(ids, "notify_channel_"+string(c))
	}
	for _, lang := range []string{"zh", "en"} {
		r := &NoticeRenderer{pages: ps}
		p := r.page(lang)
		for _, id := range ids {
			if p.T(id) == id {
				t.Errorf("%s: no message %s", lang, id)
			}
		}
		n := notify.NeedRef{ID: "n1", Region: "371725001", Org: "o1", Title: "透析费用", Category: kernel.CatMedical}
		at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		for _, e := range []notify.Event{notify.ReportNew("r1", "371725", kernel.CatCare, at), notify.ClearanceDue(n, at, at),
			notify.ClearanceOverdue(n, at, at), notify.ObjectionReceived("o", n, at), notify.ObjectionResolved("o", "upheld", n, at),
			notify.ReferralOpened("rf", kernel.ProgTekun, n, at), notify.PledgeConfirmed(notify.Gift{Pledge: "p", DonorRow: 1, AmountFen: 100, Org: "某慈善总会"}, at),
			notify.PledgeConfirmed(notify.Gift{Pledge: "p", DonorRow: 1, AmountFen: 100, Need: "n1", Org: "某慈善总会"}, at),
			notify.GiftDisbursed("d", 1, 100, n, at), notify.MonthlyGiftTaken(notify.Gift{Pledge: "p", DonorRow: 1, AmountFen: 100, Org: "某"}, at),
			notify.MonthlyGiftFailed("m", "2026-12", 1, 100, at), notify.ClaimApproved("c", "u", kernel.SvcLegalAid, at, n, at),
			notify.ImportFinished("b", "u", 1, 2, 3, at),
			notify.MonthlyGiftReminder(notify.MonthReminder{Kind: notify.KindMonthlyGiftDue, Pledge: "p", DonorRow: 1, AmountFen: 100,
				Period: "2026-12", Org: "某", PayPath: "/my/pay/p.x.y", ExpiresAt: at}, at),
			notify.MonthlyGiftReminder(notify.MonthReminder{Kind: notify.KindMonthlyGiftChargeFailed, Pledge: "p", DonorRow: 1, AmountFen: 100,
				Period: "2026-12", Org: "某", PayPath: "/my/pay/p.x.y", ExpiresAt: at}, at)} {
			out, err := r.Render(context.Background(), e, lang)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{out.Subject, out.Text, out.HTML} {
				if strings.Contains(s, "no value") || strings.Contains(s, "notice_") || strings.Contains(s, "{{") || strings.Contains(s, "（）") {
					t.Errorf("%s %s: %q", lang, e.Kind, s)
				}
			}
		}
	}
}
