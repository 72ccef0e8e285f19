package paytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds/paychan/alipay"
	"github.com/jiujinan/jiujinan/funds/paychan/wechatpay"
)

// Provider is a local stand-in of WeChat Pay (under /v3/) and of Alipay's
// gateway (/gateway.do): it checks the service's request signatures
// against the merchant's keys, keeps the orders and refunds asked for,
// answers signed as the providers do, and on Pay notifies the address an
// order named, signed with the provider's key.
type Provider struct {
	URL    string
	WeChat *WeChatKeys
	Alipay *AlipayKeys
	// Now is the provider's clock (signed timestamps).
	Now func() time.Time
	// RefundStatus is what WeChat Pay answers a refund with (SUCCESS,
	// PROCESSING, ABNORMAL); FailRefunds makes it refuse them with this
	// code (e.g. NOT_ENOUGH) or, for SYSTEM_ERROR, a 500.
	RefundStatus string
	FailRefunds  string
	// Client sends the notifications (default http.DefaultClient).
	Client *http.Client

	mu      sync.Mutex
	orders  map[string]*StandOrder
	refunds []StandRefund
	seq     int
	srv     *httptest.Server
}

// StandOrder is an order the service made.
type StandOrder struct {
	Channel    string // wechat_pay | alipay
	Method     string // native, h5, page, wap
	OutTradeNo string
	AmountFen  int64
	NotifyURL  string
	ReturnURL  string
	Subject    string
	Expires    string
	// TransactionID is the provider's, once paid.
	TransactionID string
}

// StandRefund is a refund the service asked for.
type StandRefund struct {
	Channel       string
	OutRefundNo   string
	OutTradeNo    string
	TransactionID string
	AmountFen     int64
	TotalFen      int64
	Reason        string
	NotifyURL     string
	RefundID      string
}

// NewProvider starts a stand-in; it stops when the test ends.
func NewProvider(t testing.TB) *Provider {
	p := &Provider{WeChat: WeChat(), Alipay: Alipay(), Now: time.Now, RefundStatus: "SUCCESS", orders: map[string]*StandOrder{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	return p
}

// GatewayURL is the Alipay gateway's address.
func (p *Provider) GatewayURL() string { return p.URL + "/gateway.do" }

// Order returns the order of outTradeNo made through channel, or nil.
func (p *Provider) Order(channel, outTradeNo string) *StandOrder {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o, ok := p.orders[channel+"/"+outTradeNo]; ok {
		c := *o
		return &c
	}
	return nil
}

// Refunds lists the refunds asked for.
func (p *Provider) Refunds() []StandRefund {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]StandRefund(nil), p.refunds...)
}

func (p *Provider) next(prefix string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	return fmt.Sprintf("%s%020d", prefix, p.seq)
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case strings.HasPrefix(r.URL.Path, "/v3/"):
		p.serveWeChat(w, r, body)
	case r.URL.Path == "/gateway.do":
		p.serveAlipay(w, r, body)
	case r.URL.Path == "/h5pay":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>微信支付</title><p id=h5>%s</p>", html.EscapeString(r.URL.RawQuery))
	default:
		http.NotFound(w, r)
	}
}

func (p *Provider) wechatError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}

// wechatAnswer writes v signed with the platform certificate's key.
func (p *Provider) wechatAnswer(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	if err := wechatpay.SignResponse(w.Header(), p.WeChat.PlatformKey, p.WeChat.PlatformSerial, b, p.Now()); err != nil {
		p.wechatError(w, 500, "SYSTEM_ERROR", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (p *Provider) serveWeChat(w http.ResponseWriter, r *http.Request, body []byte) {
	a, err := wechatpay.VerifyAuthorization(&p.WeChat.MerchantKey.PublicKey, r.Method, r.URL.RequestURI(), body, r.Header.Get("Authorization"))
	if err != nil || a["mchid"] != p.WeChat.MchID || a["serial_no"] != p.WeChat.SerialNo {
		p.wechatError(w, http.StatusUnauthorized, "SIGN_ERROR", "签名错误")
		return
	}
	switch {
	case r.Method == http.MethodPost && (r.URL.Path == "/v3/pay/transactions/native" || r.URL.Path == "/v3/pay/transactions/h5"):
		var req struct {
			AppID       string           `json:"appid"`
			MchID       string           `json:"mchid"`
			Description string           `json:"description"`
			OutTradeNo  string           `json:"out_trade_no"`
			TimeExpire  string           `json:"time_expire"`
			NotifyURL   string           `json:"notify_url"`
			Amount      wechatpay.Amount `json:"amount"`
			SceneInfo   *struct {
				PayerClientIP string `json:"payer_client_ip"`
			} `json:"scene_info"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.AppID != p.WeChat.AppID || req.MchID != p.WeChat.MchID ||
			req.Amount.Currency != "CNY" || req.Amount.Total <= 0 || req.OutTradeNo == "" || req.NotifyURL == "" {
			p.wechatError(w, http.StatusBadRequest, "PARAM_ERROR", "参数错误")
			return
		}
		h5 := strings.HasSuffix(r.URL.Path, "/h5")
		if h5 && (req.SceneInfo == nil || req.SceneInfo.PayerClientIP == "") {
			p.wechatError(w, http.StatusBadRequest, "PARAM_ERROR", "缺少 scene_info")
			return
		}
		method := map[bool]string{true: "h5", false: "native"}[h5]
		p.mu.Lock()
		p.orders["wechat_pay/"+req.OutTradeNo] = &StandOrder{Channel: "wechat_pay", Method: method, OutTradeNo: req.OutTradeNo,
			AmountFen: req.Amount.Total, NotifyURL: req.NotifyURL, Subject: req.Description, Expires: req.TimeExpire}
		p.mu.Unlock()
		if h5 {
			p.wechatAnswer(w, map[string]string{"h5_url": p.URL + "/h5pay?prepay_id=wx" + req.OutTradeNo})
		} else {
			p.wechatAnswer(w, map[string]string{"code_url": "weixin://wxpay/bizpayurl?pr=" + req.OutTradeNo})
		}
	case r.Method == http.MethodPost && r.URL.Path == "/v3/refund/domestic/refunds":
		var req wechatpay.RefundRequest
		if err := json.Unmarshal(body, &req); err != nil || req.OutRefundNo == "" || req.Amount.Refund <= 0 || req.Amount.Total < req.Amount.Refund ||
			req.Amount.Currency != "CNY" || (req.TransactionID == "" && req.OutTradeNo == "") {
			p.wechatError(w, http.StatusBadRequest, "PARAM_ERROR", "参数错误")
			return
		}
		switch p.FailRefunds {
		case "":
		case "SYSTEM_ERROR":
			p.wechatError(w, http.StatusInternalServerError, "SYSTEM_ERROR", "系统错误")
			return
		default:
			p.wechatError(w, http.StatusForbidden, p.FailRefunds, "退款被拒绝")
			return
		}
		sr := StandRefund{Channel: "wechat_pay", OutRefundNo: req.OutRefundNo, OutTradeNo: req.OutTradeNo, TransactionID: req.TransactionID,
			AmountFen: req.Amount.Refund, TotalFen: req.Amount.Total, Reason: req.Reason, NotifyURL: req.NotifyURL, RefundID: p.next("50300")}
		p.mu.Lock()
		// The same out_refund_no is the same refund.
		dup := false
		for _, x := range p.refunds {
			if x.OutRefundNo == sr.OutRefundNo {
				sr, dup = x, true
			}
		}
		if !dup {
			p.refunds = append(p.refunds, sr)
		}
		p.mu.Unlock()
		p.wechatAnswer(w, wechatpay.RefundResult{RefundID: sr.RefundID, OutRefundNo: sr.OutRefundNo, TransactionID: sr.TransactionID,
			OutTradeNo: sr.OutTradeNo, Status: p.RefundStatus, Amount: wechatpay.Amount{Total: sr.TotalFen, Refund: sr.AmountFen, Currency: "CNY"}})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v3/refund/domestic/refunds/"):
		no := strings.TrimPrefix(r.URL.Path, "/v3/refund/domestic/refunds/")
		for _, x := range p.Refunds() {
			if x.OutRefundNo == no {
				p.wechatAnswer(w, wechatpay.RefundResult{RefundID: x.RefundID, OutRefundNo: x.OutRefundNo, TransactionID: x.TransactionID,
					OutTradeNo: x.OutTradeNo, Status: p.RefundStatus, Amount: wechatpay.Amount{Total: x.TotalFen, Refund: x.AmountFen}})
				return
			}
		}
		p.wechatError(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")
	default:
		p.wechatError(w, http.StatusNotFound, "NOT_FOUND", "no such API in the stand-in")
	}
}

func (p *Provider) serveAlipay(w http.ResponseWriter, r *http.Request, body []byte) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		params, _ = url.ParseQuery(string(body))
	}
	if params.Get("app_id") != p.Alipay.AppID || alipay.VerifyRequest(&p.Alipay.AppKey.PublicKey, params) != nil || params.Get("sign_type") != "RSA2" {
		http.Error(w, "invalid-signature", http.StatusBadRequest)
		return
	}
	var biz map[string]string
	if err := json.Unmarshal([]byte(params.Get("biz_content")), &biz); err != nil {
		http.Error(w, "invalid biz_content", http.StatusBadRequest)
		return
	}
	switch params.Get("method") {
	case "alipay.trade.page.pay", "alipay.trade.wap.pay":
		fen, err := alipay.Fen(biz["total_amount"])
		if err != nil || biz["out_trade_no"] == "" || params.Get("notify_url") == "" {
			http.Error(w, "invalid order", http.StatusBadRequest)
			return
		}
		method := map[string]string{"alipay.trade.page.pay": "page", "alipay.trade.wap.pay": "wap"}[params.Get("method")]
		p.mu.Lock()
		p.orders["alipay/"+biz["out_trade_no"]] = &StandOrder{Channel: "alipay", Method: method, OutTradeNo: biz["out_trade_no"], AmountFen: fen,
			NotifyURL: params.Get("notify_url"), ReturnURL: params.Get("return_url"), Subject: biz["subject"], Expires: biz["time_expire"]}
		p.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>支付宝</title><p id=cashier>%s %s</p>", html.EscapeString(biz["out_trade_no"]), html.EscapeString(biz["total_amount"]))
	case "alipay.trade.refund":
		fen, err := alipay.Fen(biz["refund_amount"])
		if err != nil || biz["out_request_no"] == "" {
			http.Error(w, "invalid refund", http.StatusBadRequest)
			return
		}
		var resp any
		switch p.FailRefunds {
		case "":
			p.mu.Lock()
			p.refunds = append(p.refunds, StandRefund{Channel: "alipay", OutRefundNo: biz["out_request_no"], OutTradeNo: biz["out_trade_no"],
				TransactionID: biz["trade_no"], AmountFen: fen, Reason: biz["refund_reason"]})
			p.mu.Unlock()
			resp = map[string]string{"code": "10000", "msg": "Success", "trade_no": biz["trade_no"], "out_trade_no": biz["out_trade_no"],
				"refund_fee": biz["refund_amount"], "fund_change": "Y"}
		case "SYSTEM_ERROR":
			resp = map[string]string{"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "isp.unknow-error", "sub_msg": "系统繁忙"}
		default:
			resp = map[string]string{"code": "40004", "msg": "Business Failed", "sub_code": "ACQ." + p.FailRefunds, "sub_msg": "退款被拒绝"}
		}
		b, err := alipay.SignResponse(p.Alipay.AlipayKey, "alipay_trade_refund_response", resp)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		_, _ = w.Write(b)
	default:
		http.Error(w, "unknown method", http.StatusBadRequest)
	}
}

func (p *Provider) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return http.DefaultClient
}

// Pay has the donor pay an order the service made: WeChat Pay's
// TRANSACTION.SUCCESS or Alipay's TRADE_SUCCESS is sent to the order's
// notify address, signed (and encrypted) with the provider's keys. It
// returns the answer's status and body.
func (p *Provider) Pay(channel, outTradeNo string) (int, string, error) {
	o := p.Order(channel, outTradeNo)
	if o == nil {
		return 0, "", fmt.Errorf("paytest: no %s order %s", channel, outTradeNo)
	}
	txn := p.next(map[string]string{"wechat_pay": "42000", "alipay": "2026"}[channel])
	p.mu.Lock()
	p.orders[channel+"/"+outTradeNo].TransactionID = txn
	p.mu.Unlock()
	var req *http.Request
	var err error
	if channel == "wechat_pay" {
		n := p.WeChat.PaidNotification(p.WeChat.Paid(o.OutTradeNo, txn, o.AmountFen, p.Now()), NotificationOpts{At: p.Now()})
		req, err = http.NewRequest(http.MethodPost, o.NotifyURL, bytes.NewReader(n.Body))
		if err == nil {
			req.Header = n.Header
		}
	} else {
		form := p.Alipay.Notify(p.Alipay.Paid(o.OutTradeNo, txn, o.AmountFen, alipay.TradeSuccess, p.Now()), nil)
		req, err = http.NewRequest(http.MethodPost, o.NotifyURL, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}
	}
	if err != nil {
		return 0, "", err
	}
	resp, err := p.client().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}
