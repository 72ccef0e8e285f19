package paychan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/paychan/alipay"
	"github.com/jiujinan/jiujinan/funds/paychan/wechatpay"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// Config is the operator's setting of the channels.
type Config struct {
	// PublicURL is the https address of the service as providers and
	// donors' browsers reach it: notifications go to PublicURL +
	// /api/v1/payments/{wechat|alipay}/notify/{org}, donors come back to
	// their pledge page. Empty offers no online payment (bank transfer only).
	PublicURL string
	// WeChatBaseURL is WeChat Pay's API host (wechatpay.DefaultBaseURL).
	WeChatBaseURL string
	// AlipayGateway is Alipay's gateway (alipay.DefaultGateway).
	AlipayGateway string
	// HTTP calls the providers (nil: a client with a 15 s timeout).
	HTTP *http.Client
}

// Service runs the payment channels.
type Service struct {
	Store Store
	// Funds confirms pledges and records refunds.
	Funds *funds.Service
	// Cipher seals the credentials, refund notes and notifications kept
	// for reconciliation (the data key).
	Cipher *marketplace.Cipher
	Config Config
	Now    func() time.Time
	NewID  func() string
	Log    *slog.Logger
	// cache holds parsed credentials by organization and channel.
	cache sync.Map
}

// NewService returns the payment channels over store and the funds service.
func NewService(store Store, f *funds.Service, c *marketplace.Cipher, cfg Config, now func() time.Time, newID func() string, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{Store: store, Funds: f, Cipher: c, Config: cfg, Now: now, NewID: newID, Log: log}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) wechat() *wechatpay.Client {
	return &wechatpay.Client{BaseURL: s.Config.WeChatBaseURL, HTTP: s.Config.HTTP, Now: s.Now}
}

func (s *Service) alipay() *alipay.Client {
	return &alipay.Client{Gateway: s.Config.AlipayGateway, HTTP: s.Config.HTTP, Now: s.Now}
}

func (s *Service) publicURL() string { return strings.TrimRight(s.Config.PublicURL, "/") }

// NotifyURL is where a provider notifies the organization's payments.
func (s *Service) NotifyURL(ch Channel, orgPublicID string) string {
	name := map[Channel]string{WeChatPay: "wechat", Alipay: "alipay"}[ch]
	return s.publicURL() + "/api/v1/payments/" + name + "/notify/" + url.PathEscape(orgPublicID)
}

// ReturnURL is where a donor's browser comes back after paying.
func (s *Service) ReturnURL(pledgePublicID string) string {
	return s.publicURL() + "/my/pledges/" + url.PathEscape(pledgePublicID)
}

// Method is how a donor pays.
type Method string

const (
	// WeChatNative: a QR code the donor scans with WeChat (a computer).
	WeChatNative Method = "wechat_native"
	// WeChatH5: the phone's browser opens WeChat to pay.
	WeChatH5 Method = "wechat_h5"
	// AlipayPage: Alipay's cashier page in a computer's browser.
	AlipayPage Method = "alipay_page"
	// AlipayWap: Alipay's phone payment, opening the Alipay app.
	AlipayWap Method = "alipay_wap"
)

// Methods lists the methods in the order pages offer them.
var Methods = []Method{WeChatNative, WeChatH5, AlipayPage, AlipayWap}

// Channel is the provider of a method.
func (m Method) Channel() Channel {
	if strings.HasPrefix(string(m), "alipay") {
		return Alipay
	}
	return WeChatPay
}

// Phone reports whether the method is the one for a phone.
func (m Method) Phone() bool { return m == WeChatH5 || m == AlipayWap }

// Offered lists the channels a pledge to the organization may be paid
// through: those its staff configured, when the operator set the public
// address providers notify. Bank transfer is always there besides.
func (s *Service) Offered(ctx context.Context, orgID int64) ([]Channel, error) {
	if s.publicURL() == "" {
		return nil, nil
	}
	var out []Channel
	for _, ch := range Channels {
		_, err := s.Store.Merchant(ctx, orgID, ch)
		if errors.Is(err, kernel.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// ErrProvider: the provider did not take a request (its refusal or a
// network failure); the cause is logged. Pages and the API answer 502 with
// the catalogue's words.
var ErrProvider = errors.New("paychan: the payment provider did not take the request")

// providerError is a provider's refusal, said as ErrProvider.
func providerError(ch Channel, err error) error {
	return kernel.Refuse(ErrProvider, "refusal_pay_provider", nil, "%s: %v", ch, err)
}

// Payment is what the donor's browser does next to pay a pledge.
type Payment struct {
	Method Method
	// CodeURL is the Native code to show as a QR code (WeChatNative).
	CodeURL string
	// PayURL is where the browser goes (the others).
	PayURL    string
	ExpiresAt time.Time
}

// nativeTTL is how long a Native code stays valid at WeChat Pay.
const nativeTTL = 2 * time.Hour

// subjectMax bounds the description a provider shows (WeChat Pay takes
// 127 bytes).
const subjectMax = 120

func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// StartPayment makes the provider's order for the donor's pending pledge
// by method and says how to pay it: the order number is the pledge's
// reference, the amount its amount, the order ends when the pledge
// expires. A Native code is kept and shown again while it is valid.
// subject is what the donor sees at the provider (the page words it).
// ErrNotFound (not the caller's pledge), ErrConflict (not pending, the
// channel not configured or not offered), ErrProvider.
func (s *Service) StartPayment(ctx context.Context, by *kernel.Principal, pledgeID string, m Method, subject, clientIP string) (*Payment, error) {
	p, err := s.Funds.Pledge(ctx, by, pledgeID)
	if err != nil {
		return nil, err
	}
	if p.DonorID != by.User.ID {
		return nil, kernel.Refuse(kernel.ErrForbidden, "refusal_pay_donor_only", nil, "only the donor pays a pledge")
	}
	if !containsMethod(m) {
		return nil, kernel.Invalid("method", "must be one of %v", Methods)
	}
	now := s.now()
	if p.Status != funds.PledgePending || !now.Before(p.ExpiresAt) {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_pay_not_pending", map[string]any{"Status": string(p.Status)}, "the pledge is %s", p.Status)
	}
	offered, err := s.Offered(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	if !containsChannel(offered, m.Channel()) {
		return nil, kernel.Refuse(kernel.ErrConflict, "refusal_pay_channel_off", map[string]any{"Org": p.OrgName}, "%s takes no %s payments here", p.OrgName, m.Channel())
	}
	subject = clipBytes(strings.TrimSpace(subject), subjectMax)
	switch m {
	case WeChatNative:
		if o, err := s.Store.Order(ctx, p.ID, m); err == nil && now.Before(o.ExpiresAt) {
			return &Payment{Method: m, CodeURL: o.PayURL, ExpiresAt: o.ExpiresAt}, nil
		} else if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			return nil, err
		}
		wm, _, err := s.wechatMerchant(ctx, p.OrgID)
		if err != nil {
			return nil, err
		}
		code, err := s.wechat().NativePrepay(ctx, wm, wechatpay.Order{OutTradeNo: p.Reference, Description: subject, AmountFen: p.AmountFen,
			Expires: p.ExpiresAt, NotifyURL: s.NotifyURL(WeChatPay, p.OrgPublicID)})
		if err != nil {
			s.Log.Warn("wechat pay native order", slog.String("pledge", p.PublicID), slog.String("error", err.Error()))
			return nil, providerError(WeChatPay, err)
		}
		o := &Order{PledgeID: p.ID, Method: m, PayURL: code, CreatedAt: now, ExpiresAt: minTime(now.Add(nativeTTL), p.ExpiresAt)}
		if err := s.Store.SaveOrder(ctx, o); err != nil {
			return nil, err
		}
		return &Payment{Method: m, CodeURL: code, ExpiresAt: o.ExpiresAt}, nil
	case WeChatH5:
		wm, _, err := s.wechatMerchant(ctx, p.OrgID)
		if err != nil {
			return nil, err
		}
		h5, err := s.wechat().H5Prepay(ctx, wm, wechatpay.Order{OutTradeNo: p.Reference, Description: subject, AmountFen: p.AmountFen,
			Expires: p.ExpiresAt, NotifyURL: s.NotifyURL(WeChatPay, p.OrgPublicID)}, clientIP)
		if err != nil {
			s.Log.Warn("wechat pay h5 order", slog.String("pledge", p.PublicID), slog.String("error", err.Error()))
			return nil, providerError(WeChatPay, err)
		}
		// Back to the pledge page once paid (H5's redirect_url).
		sep := "?"
		if strings.Contains(h5, "?") {
			sep = "&"
		}
		return &Payment{Method: m, PayURL: h5 + sep + "redirect_url=" + url.QueryEscape(s.ReturnURL(p.PublicID)), ExpiresAt: minTime(now.Add(5*time.Minute), p.ExpiresAt)}, nil
	default:
		am, _, err := s.alipayMerchant(ctx, p.OrgID)
		if err != nil {
			return nil, err
		}
		o := alipay.Order{OutTradeNo: p.Reference, Subject: subject, AmountFen: p.AmountFen, Expires: p.ExpiresAt,
			NotifyURL: s.NotifyURL(Alipay, p.OrgPublicID), ReturnURL: s.ReturnURL(p.PublicID)}
		var u string
		if m == AlipayWap {
			u, err = s.alipay().WapPayURL(am, o)
		} else {
			u, err = s.alipay().PagePayURL(am, o)
		}
		if err != nil {
			return nil, err
		}
		return &Payment{Method: m, PayURL: u, ExpiresAt: p.ExpiresAt}, nil
	}
}

// ShownOrder returns the Native code of a pledge still valid, for the
// pledge page to show again; nil when there is none.
func (s *Service) ShownOrder(ctx context.Context, p *funds.Pledge) (*Order, error) {
	o, err := s.Store.Order(ctx, p.ID, WeChatNative)
	if errors.Is(err, kernel.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !s.now().Before(o.ExpiresAt) || p.Status != funds.PledgePending {
		return nil, nil
	}
	return o, nil
}

func containsMethod(m Method) bool {
	for _, x := range Methods {
		if x == m {
			return true
		}
	}
	return false
}

func containsChannel(cs []Channel, c Channel) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// String names a channel in logs.
func (c Channel) String() string { return string(c) }

// errorf wraps an error with the package's prefix.
func errorf(format string, args ...any) error { return fmt.Errorf("paychan: "+format, args...) }
