package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/notify"
	"github.com/jiujinan/jiujinan/notify/email"
	nstore "github.com/jiujinan/jiujinan/notify/gormstore"
	"github.com/jiujinan/jiujinan/notify/sms"
	"github.com/jiujinan/jiujinan/recovery"
	"github.com/jiujinan/jiujinan/web"
)

// openNotify opens the notification outbox and the channels the
// configuration sets up (e-mail over SMTP, SMS through Aliyun), and gives
// the sources that record their events right after their change (the
// screening's referrals) the outbox.
func (m *Main) openNotify() error {
	m.NotifyStore = nstore.New(m.DB)
	senders, err := notifySenders(m.Config)
	if err != nil {
		return err
	}
	m.NotifySenders = senders
	m.Screening.Notify = m.afterwards()
	// The month's reminders of monthly gifts (funds.DispatchMonths).
	m.Funds.Notifier = giftNotifier{m.NotifyStore}
	return nil
}

// afterwards is the outbox of changes already committed.
func (m *Main) afterwards() *notify.Afterwards {
	return &notify.Afterwards{Outbox: m.NotifyStore, Log: m.Log}
}

// notifySenders builds the configured channels besides the inbox.
func notifySenders(cfg Config) (map[notify.Channel]notify.Sender, error) {
	out := map[notify.Channel]notify.Sender{}
	if cfg.SMTPHost != "" {
		s, err := email.New(email.Config{Host: cfg.SMTPHost, Port: cfg.SMTPPort, TLS: email.TLSMode(cfg.SMTPTLS), User: cfg.SMTPUser,
			Password: cfg.SMTPPassword, From: cfg.SMTPFrom})
		if err != nil {
			return nil, err
		}
		out[notify.ChannelEmail] = s
	}
	switch cfg.SMSProvider {
	case "":
	case "aliyun":
		tpl, err := sms.ParseTemplates(cfg.SMSTemplates)
		if err != nil {
			return nil, fmt.Errorf("SMS_TEMPLATES: %v", err)
		}
		out[notify.ChannelSMS] = &sms.Channel{Templates: tpl, Provider: &sms.Aliyun{Endpoint: cfg.SMSEndpoint, AccessKeyID: cfg.SMSAccessKeyID,
			AccessKeySecret: cfg.SMSAccessKeySecret, SignName: cfg.SMSSignName, RegionID: cfg.SMSRegion}}
	default:
		return nil, fmt.Errorf("SMS_PROVIDER: must be aliyun or empty, not %q", cfg.SMSProvider)
	}
	return out, nil
}

// validateNotify checks the notification settings: an SMS provider needs
// its key, signature and templates; the public address is an http(s) URL.
func (c *Config) validateNotify() error {
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return errors.New("JIUJINAN_PUBLIC_URL: must be the site's address, such as https://jiujinan.example.org")
		}
	}
	if c.SMTPHost == "" && (c.SMTPUser != "" || c.SMTPFrom != "") {
		return errors.New("SMTP_HOST: is required when SMTP_USER or SMTP_FROM is set")
	}
	if c.SMSProvider != "" {
		for name, v := range map[string]string{"SMS_ACCESS_KEY_ID": c.SMSAccessKeyID, "SMS_ACCESS_KEY_SECRET": c.SMSAccessKeySecret,
			"SMS_SIGN_NAME": c.SMSSignName, "SMS_TEMPLATES": c.SMSTemplates} {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("%s: is required with SMS_PROVIDER=%s", name, c.SMSProvider)
			}
		}
		if u, err := url.Parse(c.SMSEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errors.New("SMS_ENDPOINT: must be an http(s) address")
		}
	}
	if c.NotifyMaxAttempts < 1 || c.NotifyMaxAttempts > 100 {
		return errors.New("JIUJINAN_NOTIFY_MAX_ATTEMPTS: must be between 1 and 100")
	}
	_, err := notifySenders(*c)
	return err
}

// notifyService is the inbox, settings and operator's view the web serves.
func (m *Main) notifyService() *notify.Service {
	return &notify.Service{Store: m.NotifyStore, Sealer: m.Needs.Cipher, Now: m.Now, Senders: m.NotifySenders,
		Wake: func() {
			if m.Dispatcher != nil {
				m.Dispatcher.Wake()
			}
		}}
}

// startDispatcher starts the notification dispatcher in the background
// (one instance of a cluster works at a time, under the lease) and returns
// a function that stops it and waits until it has.
func (m *Main) startDispatcher(ctx context.Context) (stop func(), err error) {
	var titles func(ctx context.Context, ids []string) (map[string]string, error)
	if b := m.browse(); b != nil {
		titles = b.Titles
	}
	render, err := web.NewNoticeRenderer(m.Config.PublicURL, titles)
	if err != nil {
		return nil, err
	}
	m.Dispatcher = &notify.Dispatcher{Store: m.NotifyStore, Directory: m.NotifyStore, Divisions: m.Divisions, Senders: m.NotifySenders,
		Render: render, Sealer: m.Needs.Cipher, Now: m.Now, Log: m.Log, Holder: newID(), MaxAttempts: m.Config.NotifyMaxAttempts,
		Scan: m.Needs.ClearanceNotices}
	m.NotifyStore.Wake = m.Dispatcher.Wake
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = recovery.Run(m.Log, "notification dispatcher", func() error { m.Dispatcher.Run(dctx); return nil })
	}()
	return func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			m.Log.Warn("the notification dispatcher did not stop within 30s")
		}
	}, nil
}

// giftNotifier writes the reminders of monthly gifts (funds.Notifier) to
// the notification outbox: a month to pay by its one-tap link, a charge
// through the donor's agreement that failed. Quick and idempotent by the
// event's key, as funds asks.
type giftNotifier struct{ outbox notify.Outbox }

var _ funds.Notifier = giftNotifier{}

// Notify implements funds.Notifier.
func (g giftNotifier) Notify(ctx context.Context, e funds.GiftEvent) error {
	kind := notify.Kind(e.Kind)
	if kind != notify.KindMonthlyGiftDue && kind != notify.KindMonthlyGiftChargeFailed {
		return fmt.Errorf("notify: no notice for a monthly gift's %q", e.Kind)
	}
	return notify.Publish(ctx, g.outbox, notify.MonthlyGiftReminder(notify.MonthReminder{Kind: kind, Pledge: e.PledgeID, DonorRow: e.DonorID,
		AmountFen: e.AmountFen, Period: e.Period, Org: e.OrgName, PayPath: e.PayPath, ExpiresAt: e.ExpiresAt}, e.At))
}
