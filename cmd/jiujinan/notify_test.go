package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/notify"
	"github.com/jiujinan/jiujinan/notify/sms"
	"github.com/jiujinan/jiujinan/web"
)

// The notification settings: a bad one stops the command naming its
// variable; good ones give the channels they describe.
func TestNotificationSettings(t *testing.T) {
	base := func() map[string]string { return map[string]string{"JIUJINAN_DATA_DIR": t.TempDir()} }
	aliyun := func() map[string]string {
		env := base()
		env["SMS_PROVIDER"], env["SMS_ACCESS_KEY_ID"], env["SMS_ACCESS_KEY_SECRET"] = "aliyun", "LTAI-x", "secret"
		env["SMS_SIGN_NAME"], env["SMS_TEMPLATES"] = "救急难", "pledge_confirmed=SMS_1001,gift_disbursed=SMS_1002"
		return env
	}
	for _, tc := range []struct {
		name string
		set  map[string]string
		from func() map[string]string
		want string
	}{
		{"a public address without a scheme", map[string]string{"JIUJINAN_PUBLIC_URL": "jjn.example.org"}, base, "JIUJINAN_PUBLIC_URL"},
		{"a sender without a server", map[string]string{"SMTP_FROM": "a@b.cn"}, base, "SMTP_HOST"},
		{"a server without a sender", map[string]string{"SMTP_HOST": "smtp.example.org"}, base, "SMTP_FROM"},
		{"an unknown TLS mode", map[string]string{"SMTP_HOST": "smtp.example.org", "SMTP_FROM": "a@b.cn", "SMTP_TLS": "ssl"}, base, "SMTP_TLS"},
		{"a port that is not one", map[string]string{"SMTP_PORT": "smtp"}, base, "SMTP_PORT"},
		{"an unknown provider", map[string]string{"SMS_PROVIDER": "twilio"}, aliyun, "SMS_PROVIDER"},
		{"no key", map[string]string{"SMS_ACCESS_KEY_SECRET": ""}, aliyun, "SMS_ACCESS_KEY_SECRET"},
		{"an unknown kind", map[string]string{"SMS_TEMPLATES": "gossip=SMS_1"}, aliyun, "SMS_TEMPLATES"},
		{"an endpoint that is not an address", map[string]string{"SMS_ENDPOINT": "dysmsapi"}, aliyun, "SMS_ENDPOINT"},
		{"no tries", map[string]string{"JIUJINAN_NOTIFY_MAX_ATTEMPTS": "0"}, base, "JIUJINAN_NOTIFY_MAX_ATTEMPTS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.from()
			for k, v := range tc.set {
				env[k] = v
			}
			_, err := loadConfig(newFlagSet("test", io.Discard, ""), nil, env)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("%v, want an error naming %s", err, tc.want)
			}
		})
	}
	env := aliyun()
	env["SMTP_HOST"], env["SMTP_FROM"] = "smtp.example.org", "救急难 <notice@example.org>"
	cfg, err := loadConfig(newFlagSet("test", io.Discard, ""), nil, env)
	if err != nil {
		t.Fatal(err)
	}
	senders, err := notifySenders(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ch, ok := senders[notify.ChannelSMS].(*sms.Channel)
	if !ok || senders[notify.ChannelEmail] == nil || !ch.Supports(notify.KindGiftDisbursed) || ch.Supports(notify.KindReportNew) {
		t.Fatalf("senders: %+v", senders)
	}
	if a := ch.Provider.(*sms.Aliyun); a.Endpoint != sms.AliyunEndpoint || a.RegionID != "cn-hangzhou" || a.SignName != "救急难" {
		t.Fatalf("provider: %+v", a)
	}
	// Nothing configured: the inbox alone.
	cfg, err = loadConfig(newFlagSet("test", io.Discard, ""), nil, base())
	if err != nil {
		t.Fatal(err)
	}
	if senders, err := notifySenders(cfg); err != nil || len(senders) != 0 {
		t.Fatalf("defaults: %v %v", senders, err)
	}
}

// The reminders of monthly gifts (funds.Notifier) reach the donor's inbox
// through the outbox, with the one-tap pay link, once however often funds
// tells them.
func TestMonthlyGiftRemindersReachTheDonor(t *testing.T) {
	env := map[string]string{"JIUJINAN_DATA_DIR": t.TempDir(), "JIUJINAN_LOG_LEVEL": "warn"}
	cfg, err := loadConfig(newFlagSet("test", io.Discard, ""), nil, env)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := openMain(ctx, cfg, io.Discard, true, true)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	u, err := m.Accounts.Register(ctx, marketplace.NewUser{Email: "donor@example.org", Password: "password-donor-1", DisplayName: "王女士", Role: kernel.RoleDonor})
	if err != nil {
		t.Fatal(err)
	}
	e := funds.GiftEvent{Kind: funds.EventMonthlyGiftChargeFailed, Key: "k", DonorID: u.ID, DonorPublicID: u.PublicID, RecurringID: "r1",
		Period: "2026-12", PledgeID: "p1", Reference: "JJN123", AmountFen: 3_000, OrgName: "郓城县慈善总会", PayPath: "/my/pay/p1.abc.def",
		ExpiresAt: time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC), At: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)}
	for range 2 {
		if err := m.Funds.Notifier.Notify(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Funds.Notifier.Notify(ctx, funds.GiftEvent{Kind: "monthly_gift_party", DonorID: u.ID}); err == nil {
		t.Fatal("an unknown kind was taken")
	}
	render, err := web.NewNoticeRenderer("", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &notify.Dispatcher{Store: m.NotifyStore, Directory: m.NotifyStore, Divisions: m.Divisions, Render: render, Now: m.Now, Log: m.Log}
	if _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := m.Accounts.Principal(ctx, u.PublicID)
	if err != nil {
		t.Fatal(err)
	}
	items, total, _, err := m.notifyService().Inbox(ctx, p, 10, 0)
	if err != nil || total != 1 || items[0].Event.Kind != notify.KindMonthlyGiftChargeFailed || items[0].Event.Link != "/my/pay/p1.abc.def" ||
		items[0].Event.AmountFen != 3_000 {
		t.Fatalf("inbox: %+v %d %v", items, total, err)
	}
}
