package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/funds/paychan"
	pstore "github.com/jiujinan/jiujinan/funds/paychan/gormstore"
	"github.com/jiujinan/jiujinan/recovery"
)

// openPayChannels builds WeChat Pay and Alipay (funds/paychan) over the
// funds service: credentials sealed with the same data keys, providers at
// the operator's addresses.
func (m *Main) openPayChannels() {
	m.PayChannels = paychan.NewService(pstore.New(m.DB), m.Funds, m.Funds.Cipher, paychan.Config{
		PublicURL: m.Config.payPublicURL(), WeChatBaseURL: m.Config.WeChatPayBaseURL, AlipayGateway: m.Config.AlipayGateway,
	}, m.Now, newID, m.Log)
}

// payPublicURL is the address providers notify: JIUJINAN_PAY_PUBLIC_URL,
// else the site's JIUJINAN_PUBLIC_URL when it is https.
func (c *Config) payPublicURL() string {
	if c.PayPublicURL != "" {
		return c.PayPublicURL
	}
	if strings.HasPrefix(c.PublicURL, "https://") {
		return strings.TrimRight(c.PublicURL, "/")
	}
	return ""
}

// runPaymentJobs sends the refunds that are due every minute until ctx
// ends (paychan.RunRefunds: those the provider could not take yet, those
// a donor's choice decided, those it has been processing for a while); a
// panic in one pass is logged and the next minute runs again.
func (m *Main) runPaymentJobs(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		_ = recovery.Run(m.Log, "payment jobs", func() error {
			n, err := m.PayChannels.RunRefunds(ctx)
			if err != nil && ctx.Err() == nil {
				m.Log.Warn("send refunds", slog.String("error", err.Error()))
				return err
			}
			if n > 0 {
				m.Log.Info("sent refunds", slog.Int("count", n))
			}
			return nil
		})
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkPayURLs validates the channels' addresses: the public address is
// https (http only on this machine, for trying it out), the providers'
// are http(s) addresses.
func (c *Config) checkPayURLs() error {
	if c.PayPublicURL != "" {
		u, err := url.Parse(c.PayPublicURL)
		local := err == nil && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1")
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && local)) || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("JIUJINAN_PAY_PUBLIC_URL: must be the service's https address as providers reach it, got %q", c.PayPublicURL)
		}
		c.PayPublicURL = strings.TrimRight(c.PayPublicURL, "/")
	}
	for name, v := range map[string]string{"JIUJINAN_WECHATPAY_BASE_URL": c.WeChatPayBaseURL, "JIUJINAN_ALIPAY_GATEWAY": c.AlipayGateway} {
		if u, err := url.Parse(v); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return fmt.Errorf("%s: must be an http(s) address, got %q", name, v)
		}
	}
	return nil
}
