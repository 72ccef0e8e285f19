package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
	"github.com/jiujinan/jiujinan/notify/email"
	"github.com/jiujinan/jiujinan/notify/notifytest"
	"github.com/jiujinan/jiujinan/notify/sms"
)

func init() {
	addRouteAccess(map[string][]string{
		"GET /api/v1/inbox":                          {"signed_in"},
		"POST /api/v1/inbox/:id/read":                {"signed_in"},
		"GET /api/v1/me/notification-settings":       {"signed_in"},
		"PUT /api/v1/me/notification-settings":       {"signed_in"},
		"GET /api/v1/admin/notifications":            {"admin"},
		"POST /api/v1/admin/notifications/:id/retry": {"admin"},
	})
}

// notifyRig is a test server's notifications as serve runs them: a
// dispatcher over the test database and clock, e-mail to a local SMTP
// server and SMS through Aliyun's stand-in (a template for every kind).
type notifyRig struct {
	env    *testEnv
	smtp   *notifytest.SMTP
	aliyun *notifytest.Aliyun
	d      *notify.Dispatcher
}

const rigSMSSecret = "aliyun-test-secret"

func newNotifyRig(t *testing.T, env *testEnv) *notifyRig {
	t.Helper()
	rig := &notifyRig{env: env, smtp: notifytest.StartSMTP(t, "", ""), aliyun: notifytest.StartAliyun(t, rigSMSSecret)}
	es, err := email.New(email.Config{Host: "127.0.0.1", Port: rig.smtp.Port(), TLS: email.TLSNone, From: "救急难 <notice@jjn.example.org>",
		Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tpl := map[notify.Kind]string{}
	for _, k := range notify.Kinds {
		tpl[k] = "SMS_" + string(k)
	}
	senders := map[notify.Channel]notify.Sender{notify.ChannelEmail: es, notify.ChannelSMS: &sms.Channel{Templates: tpl,
		Provider: &sms.Aliyun{Endpoint: rig.aliyun.URL, AccessKeyID: "LTAI-test", AccessKeySecret: rigSMSSecret, SignName: "救急难"}}}
	env.notify.Senders = senders
	render, err := NewNoticeRenderer("https://jjn.example.org/", env.srv.Browse.Titles)
	if err != nil {
		t.Fatal(err)
	}
	rig.d = &notify.Dispatcher{Store: env.notifyStore, Directory: env.notifyStore, Divisions: env.srv.Divisions, Senders: senders,
		Render: render, Sealer: env.needs.Cipher, Now: func() time.Time { return *env.now.Load() },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Scan: env.needs.ClearanceNotices}
	return rig
}

// dispatch runs the dispatcher until it has nothing left to do now.
func (r *notifyRig) dispatch(t *testing.T) {
	t.Helper()
	for i := 0; i < 20; i++ {
		p, err := r.d.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !p.Leader {
			t.Fatal("the only dispatcher does not hold the lease")
		}
		if !p.More {
			return
		}
	}
	t.Fatal("the dispatcher never ran out of work")
}

type inboxBody struct {
	Items  []inboxItemJSON `json:"items"`
	Total  int             `json:"total"`
	Unread int             `json:"unread"`
}

// inbox reads a user's inbox through the API.
func (r *notifyRig) inbox(t *testing.T, token string) inboxBody {
	t.Helper()
	resp := r.env.do(http.MethodGet, "/api/v1/inbox?limit=100", token, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("inbox: %d %s", resp.Status, resp.Body)
	}
	return decodeInto[inboxBody](t, resp)
}

// kinds is the kinds of a user's messages, sorted, each once per message.
func (r *notifyRig) kinds(t *testing.T, token string) []string {
	t.Helper()
	var out []string
	for _, it := range r.inbox(t, token).Items {
		out = append(out, string(it.Kind))
	}
	sort.Strings(out)
	return out
}

func has(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, x := range list {
			if x == w {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// mailsTo returns the subjects of the e-mails that reached addr.
func (r *notifyRig) mailsTo(t *testing.T, addr string) []notifytest.Parsed {
	t.Helper()
	var out []notifytest.Parsed
	for _, m := range r.smtp.Mails() {
		if len(m.To) == 1 && m.To[0] == addr {
			out = append(out, notifytest.Parse(t, m.Data))
		}
	}
	return out
}

// TestEveryEventThroughTheOutbox: each event the issue names happens at
// its source (the API, the jobs), is written to the outbox, and the
// dispatcher delivers it once to the people its rule names, by role and
// scope, on the channels they chose: the inbox always, e-mail by default
// for a donor's gifts, SMS when chosen with a number. Others, staff of
// another county included, hear nothing; a second dispatch sends nothing
// again; no message carries the household's identity.
func TestEveryEventThroughTheOutbox(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		rig := newNotifyRig(t, env)
		worker, workerP := env.user(kernel.RoleSocialWorker, nil)
		verifier, verP := env.user(kernel.RoleVerifier, nil)
		verB, verBP := env.civilAffairsVerifier("牡丹区民政局", "371702")
		workerB, workerBP := env.user(kernel.RoleSocialWorker, env.newOrg(kernel.OrgSocialWorkAgency, "430524"))
		staff, staffP := env.user(kernel.RoleFederationStaff, nil)

		// A donor who wants SMS when a gift arrives.
		donor, donorP := env.user(kernel.RoleDonor, nil)
		// Tokens live an hour: signed in again after the clock moved.
		var vol string
		var volP *kernel.Principal
		fresh := func() {
			worker, verifier, verB, workerB = env.token(workerP), env.token(verP), env.token(verBP), env.token(workerBP)
			staff, donor = env.token(staffP), env.token(donorP)
			if volP != nil {
				vol = env.token(volP)
			}
		}
		r := env.do(http.MethodPut, "/api/v1/me/notification-settings", donor, map[string]any{"phone": "138 0013 8000",
			"preferences": []map[string]any{{"kind": "pledge_confirmed", "email": true, "sms": true}}})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"phone_masked":"138****8000"`) {
			t.Fatalf("settings: %d %s", r.Status, r.Body)
		}

		// A report from the public in 郓城县.
		r = env.do(http.MethodPost, "/api/v1/reports", "", map[string]any{"region_code": "371725001", "category": "care",
			"description": "村里张大爷独居，腿脚不便，需要照顾。", "contact": "139 0000 2222"})
		if r.Status != http.StatusCreated {
			t.Fatalf("report: %d %s", r.Status, r.Body)
		}

		// A need submitted: its clearance is due in two working days.
		need := env.createNeed(worker, needBody())
		n, err := env.store.NeedByPublicID(ctx, need)
		if err != nil || n.ClearanceDueAt == nil {
			t.Fatalf("need: %v", err)
		}
		rig.dispatch(t)
		if ks := rig.kinds(t, verifier); has(ks, "clearance_due") || !has(ks, "report_new") {
			t.Fatalf("verifier, two days before the time limit: %v", ks)
		}
		env.now.Store(ptr(n.ClearanceDueAt.Add(-23 * time.Hour)))
		rig.dispatch(t)
		env.now.Store(ptr(n.ClearanceDueAt.Add(time.Minute)))
		rig.dispatch(t)
		// Scanned again: nothing new.
		env.advance(time.Hour)
		rig.dispatch(t)
		fresh()

		// Cleared, published, objected to, the objection dismissed.
		env.clearAndPublish(need, worker, verifier)
		r = env.do(http.MethodPost, "/api/v1/needs/"+need+"/objections", "", map[string]any{"text": "该户家里有车", "contact": "13912345678"})
		if r.Status != http.StatusCreated {
			t.Fatalf("objection: %d %s", r.Status, r.Body)
		}
		objection := r.JSON(t)["id"].(string)
		if r := env.do(http.MethodPost, "/api/v1/needs/"+need+"/objections/"+objection+"/resolve", verifier,
			map[string]any{"decision": "dismissed", "note": "车辆已报废"}); r.Status != http.StatusOK {
			t.Fatalf("resolve: %d %s", r.Status, r.Body)
		}

		// Screening refers a household to 特困 (missed relief).
		screened := env.postNeed(screenedNeed{idNumber: screeningIDNumber, category: kernel.CatBasicLiving, from: "2026-11-01", to: "2026-11-30",
			cost: 200_000, req: 200_000, households: "tekun"})
		if r := env.do(http.MethodPost, "/api/v1/needs/"+screened+"/screening/run", verifier, nil); r.Status != http.StatusCreated {
			t.Fatalf("screening: %d %s", r.Status, r.Body)
		}

		// A volunteer's claim, approved by the posting organization.
		vol, volP, _ = env.volunteerWith(t, "legal_aid")
		claimed := env.insertNeed(testNeed{services: "legal_aid", public: true})
		claim := env.claimOn(t, vol, claimed, "legal_aid")
		if r := env.do(http.MethodPost, "/api/v1/claims/"+claim+"/approve", worker, nil); r.Status != http.StatusOK {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}

		// Gifts confirmed and paid out (newGivenNeed: donor A gives ¥200,
		// donor B ¥300 to an open need, after an allocation of ¥100).
		g := newGivenNeed(t, env)
		fresh()
		if r := env.do(http.MethodPost, "/api/v1/needs/"+g.id+"/disbursements", g.staff, map[string]any{"amount_fen": 50_000,
			"payee_type": "provider", "provider_kind": "hospital", "payee_name": "郓城县人民医院", "reference": "FP2026112300017"}); r.Status != http.StatusCreated {
			t.Fatalf("disburse: %d %s", r.Status, r.Body)
		}
		// The donor's pledge confirmed.
		r = env.do(http.MethodPost, "/api/v1/pledges", donor, map[string]any{"target_type": "fund", "target_id": g.fund, "amount_fen": 10_000})
		if r.Status != http.StatusCreated {
			t.Fatalf("pledge: %d %s", r.Status, r.Body)
		}
		if _, err := env.funds.ConfirmPledge(ctx, g.staffP, r.JSON(t)["id"].(string)); err != nil {
			t.Fatal(err)
		}
		// Monthly gifts: one to the fund (its month paid), one to the need,
		// which by its day lacks less than the gift (the month not given).
		if r := env.do(http.MethodPost, "/api/v1/recurring-pledges", donor, map[string]any{"target_type": "fund", "target_id": g.fund,
			"amount_fen": 3_000, "day_of_month": 1}); r.Status != http.StatusCreated {
			t.Fatalf("monthly: %d %s", r.Status, r.Body)
		}
		if r := env.do(http.MethodPost, "/api/v1/recurring-pledges", donor, map[string]any{"target_type": "need", "target_id": g.id,
			"amount_fen": 10_000, "day_of_month": 1}); r.Status != http.StatusCreated {
			t.Fatalf("monthly to the need: %d %s", r.Status, r.Body)
		}
		r = env.do(http.MethodPost, "/api/v1/pledges", g.donorB, map[string]any{"target_type": "need", "target_id": g.id, "amount_fen": 10_000})
		if r.Status != http.StatusCreated {
			t.Fatalf("pledge: %d %s", r.Status, r.Body)
		}
		if _, err := env.funds.ConfirmPledge(ctx, g.staffP, r.JSON(t)["id"].(string)); err != nil {
			t.Fatal(err)
		}
		env.advance(10 * 24 * time.Hour)
		fresh()
		if n, err := env.funds.RunRecurring(ctx); err != nil || n != 2 {
			t.Fatalf("monthly run: %d %v", n, err)
		}
		var month string
		for _, p := range decodeInto[struct {
			Pledges []struct {
				pledgeJSON
			} `json:"pledges"`
		}](t, env.do(http.MethodGet, "/api/v1/me/giving", donor, nil)).Pledges {
			if p.Status == "pending" {
				month = p.ID
			}
		}
		if month == "" {
			t.Fatal("no month's pledge")
		}
		if _, err := env.funds.ConfirmPledge(ctx, g.staffP, month); err != nil {
			t.Fatal(err)
		}

		// A payment file uploaded by the verifier, imported.
		withPayments(t, env)
		env.srv.Payments.Notify = &notify.Afterwards{Outbox: env.notifyStore}
		if r := env.upload("/api/v1/statutory-payments/imports", verifier, "file", "2026-11.csv", genFile(t, 20, 0)); r.Status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		env.srv.Imports.Drain()

		rig.dispatch(t)
		sent := len(rig.smtp.Mails())
		counts, err := env.notifyStore.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Everything once: a second dispatch finds nothing to do.
		rig.dispatch(t)
		if again, _ := env.notifyStore.Counts(ctx); again != counts || len(rig.smtp.Mails()) != sent {
			t.Fatalf("a second dispatch changed %+v to %+v (%d e-mails, then %d)", counts, again, sent, len(rig.smtp.Mails()))
		}
		if counts.Pending != 0 || counts.Failed != 0 || counts.Waiting != 0 {
			t.Fatalf("counts: %+v", counts)
		}

		fresh()
		donorA := env.token(g.donorAP)
		for _, tc := range []struct {
			who       string
			token     string
			want, not []string
		}{
			{"the county's verifier", verifier, []string{"report_new", "clearance_due", "clearance_overdue", "objection_received",
				"objection_resolved", "referral_opened", "import_finished"}, []string{"pledge_confirmed", "claim_approved"}},
			{"the posting organization's worker", worker, []string{"report_new", "objection_received", "objection_resolved"},
				[]string{"clearance_due", "referral_opened", "import_finished"}},
			{"another county's verifier", verB, nil, []string{"report_new", "clearance_due", "clearance_overdue", "objection_received", "referral_opened"}},
			{"another county's worker", workerB, nil, []string{"report_new", "objection_received"}},
			{"the volunteer", vol, []string{"claim_approved"}, []string{"report_new"}},
			{"donor A", donorA, []string{"pledge_confirmed", "gift_disbursed"}, []string{"monthly_gift_taken"}},
			{"the donor", donor, []string{"pledge_confirmed", "monthly_gift_taken", "monthly_gift_failed"}, []string{"gift_disbursed"}},
			{"federation staff", staff, nil, []string{"pledge_confirmed", "report_new"}},
		} {
			ks := rig.kinds(t, tc.token)
			if !has(ks, tc.want...) {
				t.Errorf("%s: inbox %v lacks some of %v", tc.who, ks, tc.want)
			}
			for _, k := range tc.not {
				if has(ks, k) {
					t.Errorf("%s: inbox %v holds %s", tc.who, ks, k)
				}
			}
			seen := map[string]bool{}
			for _, it := range rig.inbox(t, tc.token).Items {
				key := string(it.Kind) + it.Subject + it.Body
				if seen[key] {
					t.Errorf("%s: %s twice", tc.who, it.Kind)
				}
				seen[key] = true
			}
		}
		// A verifier told of a report has no worker's page to follow.
		for _, it := range rig.inbox(t, verifier).Items {
			if it.Kind == notify.KindReportNew && it.Link != "" {
				t.Errorf("the verifier's report notice links to %q", it.Link)
			}
		}
		// One clearance notice of each kind for the need.
		var due, overdue int
		for _, it := range rig.inbox(t, verifier).Items {
			if strings.Contains(it.Link, need) {
				switch it.Kind {
				case notify.KindClearanceDue:
					due++
				case notify.KindClearanceOverdue:
					overdue++
				}
			}
		}
		if due != 1 || overdue != 1 {
			t.Errorf("clearance notices for the need: %d due, %d overdue", due, overdue)
		}

		// Donor A's gift paid out: ¥200 of it, with the trace link.
		for _, it := range rig.inbox(t, donorA).Items {
			if it.Kind == notify.KindGiftDisbursed && (!strings.Contains(it.Body, "¥200.00") || it.Link != "/my/giving") {
				t.Errorf("gift disbursed: %+v", it)
			}
		}
		// E-mail: donors by default for their gifts, staff not.
		mails := rig.mailsTo(t, g.donorAP.User.Email)
		subjects := []string{}
		for _, m := range mails {
			subjects = append(subjects, m.Subject)
		}
		if !has(subjects, "您的捐赠已到账", "您的善款已拨付") {
			t.Errorf("donor A's e-mails: %v", subjects)
		}
		for _, m := range mails {
			if m.Subject == "您的善款已拨付" && !strings.Contains(m.Parts["text/plain"], "https://jjn.example.org/my/giving") {
				t.Errorf("the e-mail lacks the trace link: %q", m.Parts["text/plain"])
			}
		}
		if got := rig.mailsTo(t, verP.User.Email); len(got) != 0 {
			t.Errorf("the verifier got e-mail without choosing it: %d", len(got))
		}
		if got := rig.mailsTo(t, staffP.User.Email); len(got) != 0 {
			t.Errorf("staff got e-mail: %d", len(got))
		}
		// SMS: the donor who chose it, for that kind only.
		texts := rig.aliyun.Sent()
		if len(texts) != 1 || texts[0].Phone != "13800138000" || texts[0].Template != "SMS_pledge_confirmed" || texts[0].Vars["amount"] != "¥100.00" ||
			texts[0].SignName != "救急难" {
			t.Errorf("SMS: %+v", texts)
		}
		// Nothing anyone received names the household.
		var all []string
		for _, tok := range []string{verifier, worker, vol, donorA, donor} {
			for _, it := range rig.inbox(t, tok).Items {
				all = append(all, it.Subject, it.Body)
			}
		}
		for _, m := range rig.smtp.Mails() {
			all = append(all, m.Data)
		}
		for _, x := range texts {
			for _, v := range x.Vars {
				all = append(all, v)
			}
		}
		for _, secret := range []string{"张建华", "王秀英", "13812345678", "371725198003151", "13912345678", "张大爷", "唐庙镇"} {
			for _, s := range all {
				if strings.Contains(s, secret) {
					t.Fatalf("a message carries %q: %s", secret, s)
				}
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }

// firstInboxItem delivers the outbox's waiting events to the inbox (no
// other channel) and returns the public id of p's newest message.
func (env *testEnv) firstInboxItem(t *testing.T, p *kernel.Principal) string {
	t.Helper()
	d := &notify.Dispatcher{Store: env.notifyStore, Directory: env.notifyStore, Divisions: env.srv.Divisions,
		Now: func() time.Time { return *env.now.Load() }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := d.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := env.notifyStore.ReleaseLease(context.Background(), notify.LeaseName, d.Holder); err != nil {
		t.Fatal(err)
	}
	items, _, _, err := env.notifyStore.Inbox(context.Background(), p.User.ID, 1, 0)
	if err != nil || len(items) == 0 {
		t.Fatalf("no message in the inbox: %v", err)
	}
	return items[0].PublicID
}
