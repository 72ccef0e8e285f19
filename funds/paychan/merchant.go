package paychan

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/funds/paychan/alipay"
	"github.com/jiujinan/jiujinan/funds/paychan/wechatpay"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// Channel is a payment provider a charity takes donations through.
type Channel string

const (
	WeChatPay Channel = "wechat_pay"
	Alipay    Channel = "alipay"
)

// Channels lists the providers, in the order pages offer them.
var Channels = []Channel{WeChatPay, Alipay}

// Details are the ids of a merchant's keys that staff may see: never a key.
type Details struct {
	// SerialNo is the serial number of the merchant's API certificate (WeChat Pay).
	SerialNo string `json:"serial_no,omitempty"`
	// PlatformSerial and PlatformNotAfter name the WeChat Pay platform
	// certificate and when it ends.
	PlatformSerial   string     `json:"platform_serial,omitempty"`
	PlatformNotAfter *time.Time `json:"platform_not_after,omitempty"`
	// PublicKeyID is the id of the WeChat Pay public key.
	PublicKeyID string `json:"public_key_id,omitempty"`
}

// MerchantRecord is a charity's stored credentials for one channel.
type MerchantRecord struct {
	OrgID   int64
	Channel Channel
	// MerchantID is WeChat Pay's mchid or the Alipay seller id (2088…).
	MerchantID string
	// AppID is the WeChat AppID or the Alipay app id.
	AppID      string
	Details    Details
	SecretsCT  []byte
	SecretsKID string
	// UpdatedBy is the public id of who saved them.
	UpdatedBy string
	UpdatedAt time.Time
}

// ChannelView is what staff and the API see of a channel's credentials:
// whether they are configured and the non-secret ids.
type ChannelView struct {
	Channel    Channel    `json:"channel"`
	Configured bool       `json:"configured"`
	MerchantID string     `json:"merchant_id,omitempty"`
	AppID      string     `json:"app_id,omitempty"`
	Details    Details    `json:"details"`
	UpdatedAt  *time.Time `json:"updated_at,omitempty"`
}

func viewOf(ch Channel, r *MerchantRecord) ChannelView {
	if r == nil {
		return ChannelView{Channel: ch}
	}
	at := r.UpdatedAt
	return ChannelView{Channel: ch, Configured: true, MerchantID: r.MerchantID, AppID: r.AppID, Details: r.Details, UpdatedAt: &at}
}

// WeChatInput is what staff enter for WeChat Pay. A key left empty keeps
// the one saved before; the first save needs them all.
type WeChatInput struct {
	MchID    string `json:"mchid"`
	AppID    string `json:"appid"`
	SerialNo string `json:"serial_no"`
	APIv3Key string `json:"api_v3_key"`
	// PrivateKey is the merchant's API private key (apiclient_key.pem).
	PrivateKey string `json:"private_key"`
	// PlatformCertificate or PublicKey with PublicKeyID verify WeChat
	// Pay's notifications (one of them, or both while WeChat Pay moves a
	// merchant from certificates to the public key).
	PlatformCertificate string `json:"platform_certificate"`
	PublicKey           string `json:"public_key"`
	PublicKeyID         string `json:"public_key_id"`
}

// AlipayInput is what staff enter for Alipay (public key mode). A key left
// empty keeps the one saved before.
type AlipayInput struct {
	AppID    string `json:"app_id"`
	SellerID string `json:"seller_id"`
	// PrivateKey is the app's private key (应用私钥).
	PrivateKey string `json:"app_private_key"`
	// AlipayPublicKey is Alipay's public key (支付宝公钥).
	AlipayPublicKey string `json:"alipay_public_key"`
}

// wechatSecrets is the sealed part of WeChat Pay's credentials.
type wechatSecrets struct {
	APIv3Key            string `json:"api_v3_key"`
	PrivateKey          string `json:"private_key"`
	PlatformCertificate string `json:"platform_certificate,omitempty"`
	PublicKey           string `json:"public_key,omitempty"`
	PublicKeyID         string `json:"public_key_id,omitempty"`
}

// alipaySecrets is the sealed part of Alipay's credentials.
type alipaySecrets struct {
	PrivateKey      string `json:"private_key"`
	AlipayPublicKey string `json:"alipay_public_key"`
}

func allDigits(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

func isHex(s string) bool {
	return s != "" && strings.Trim(strings.ToUpper(s), "0123456789ABCDEF") == ""
}

func alnum(s string) bool {
	return s != "" && strings.Trim(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == ""
}

// sameKey reports whether pub is the public half of priv: the mistake of
// pasting one's own key where the provider's belongs.
func sameKey(priv *rsa.PrivateKey, pub *rsa.PublicKey) bool {
	return priv != nil && pub != nil && priv.PublicKey.Equal(pub)
}

// checkWeChat validates in (secrets merged with the saved ones) and
// returns the parsed merchant and its shown ids. Every problem is named on
// its field.
func checkWeChat(in WeChatInput, sec wechatSecrets, now time.Time) (*wechatpay.Merchant, Details, error) {
	v := &kernel.ValidationError{}
	if n := len(in.MchID); !allDigits(in.MchID) || n < 8 || n > 12 {
		v.Add("mchid", "must be the merchant number: 8 to 12 digits")
	}
	if len(in.AppID) != 18 || !strings.HasPrefix(in.AppID, "wx") || !alnum(in.AppID) {
		v.Add("appid", "must be an AppID: wx and 16 letters or digits")
	}
	if n := len(in.SerialNo); !isHex(in.SerialNo) || n < 8 || n > 40 {
		v.Add("serial_no", "must be the certificate serial number: 8 to 40 hexadecimal characters")
	}
	m := &wechatpay.Merchant{MchID: in.MchID, AppID: in.AppID, SerialNo: strings.ToUpper(in.SerialNo), Verifiers: map[string]*rsa.PublicKey{}}
	d := Details{SerialNo: m.SerialNo}
	switch {
	case sec.APIv3Key == "":
		v.Add("api_v3_key", "is required")
	case len(sec.APIv3Key) != 32 || !alnum(sec.APIv3Key):
		v.Add("api_v3_key", "must be the APIv3 key: 32 letters or digits")
	default:
		m.APIv3Key = []byte(sec.APIv3Key)
	}
	if sec.PrivateKey == "" {
		v.Add("private_key", "is required")
	} else if k, err := wechatpay.ParsePrivateKey(sec.PrivateKey); err != nil {
		v.Add("private_key", "must be the merchant's API private key (apiclient_key.pem: RSA of 2048 bits or more, in PEM)")
	} else {
		m.PrivateKey = k
	}
	if sec.PlatformCertificate == "" && sec.PublicKey == "" {
		v.Add("platform_certificate", "give the WeChat Pay platform certificate, or the WeChat Pay public key with its id")
	}
	if sec.PlatformCertificate != "" {
		serial, key, notAfter, err := wechatpay.ParseCertificate(sec.PlatformCertificate)
		switch {
		case err != nil:
			v.Add("platform_certificate", "must be a WeChat Pay platform certificate (PEM) with an RSA key")
		case !now.Before(notAfter):
			v.Add("platform_certificate", "the certificate expired on %s", notAfter.In(kernel.ChinaTime).Format("2006-01-02"))
		case sameKey(m.PrivateKey, key):
			v.Add("platform_certificate", "this is the merchant's own certificate: give WeChat Pay's platform certificate")
		default:
			m.Verifiers[serial] = key
			na := notAfter.UTC()
			d.PlatformSerial, d.PlatformNotAfter = serial, &na
		}
	}
	if sec.PublicKey != "" {
		key, err := wechatpay.ParsePublicKey(sec.PublicKey)
		id := sec.PublicKeyID
		switch {
		case err != nil:
			v.Add("public_key", "must be the WeChat Pay public key (PEM)")
		case sameKey(m.PrivateKey, key):
			v.Add("public_key", "this is the merchant's own key: give the WeChat Pay public key")
		case !strings.HasPrefix(id, "PUB_KEY_ID_") || !alnum(strings.ReplaceAll(strings.TrimPrefix(id, "PUB_KEY_ID_"), "_", "0")) || len(id) > 64:
			v.Add("public_key_id", "must be the public key's id: PUB_KEY_ID_ and digits")
		default:
			m.Verifiers[id] = key
			d.PublicKeyID = id
		}
	} else if sec.PublicKeyID != "" {
		v.Add("public_key", "is required with its id")
	}
	if err := v.Err(); err != nil {
		return nil, Details{}, err
	}
	return m, d, nil
}

// checkAlipay validates in (secrets merged with the saved ones) and returns
// the parsed merchant.
func checkAlipay(in AlipayInput, sec alipaySecrets) (*alipay.Merchant, error) {
	v := &kernel.ValidationError{}
	if len(in.AppID) != 16 || !allDigits(in.AppID) {
		v.Add("app_id", "must be the Alipay app id: 16 digits")
	}
	if len(in.SellerID) != 16 || !allDigits(in.SellerID) || !strings.HasPrefix(in.SellerID, "2088") {
		v.Add("seller_id", "must be the seller's Alipay user id: 2088 and 12 digits")
	}
	m := &alipay.Merchant{AppID: in.AppID, SellerID: in.SellerID}
	if sec.PrivateKey == "" {
		v.Add("app_private_key", "is required")
	} else if k, err := alipay.ParsePrivateKey(sec.PrivateKey); err != nil {
		v.Add("app_private_key", "must be the app's private key (RSA2: RSA of 2048 bits; PEM or as Alipay's key tool writes it)")
	} else {
		m.PrivateKey = k
	}
	if sec.AlipayPublicKey == "" {
		v.Add("alipay_public_key", "is required")
	} else if k, err := alipay.ParsePublicKey(sec.AlipayPublicKey); err != nil {
		v.Add("alipay_public_key", "must be the Alipay public key (PEM or base64)")
	} else if sameKey(m.PrivateKey, k) {
		v.Add("alipay_public_key", "this is the app's own public key: give the Alipay public key")
	} else {
		m.AlipayPublicKey = k
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

func keep(entered, saved string) string {
	if strings.TrimSpace(entered) == "" {
		return saved
	}
	return strings.TrimSpace(entered)
}

// sealAD binds sealed credentials to their organization and channel.
func sealAD(orgID int64, ch Channel) []byte { return fmt.Appendf(nil, "merchant:%d:%s", orgID, ch) }

func (s *Service) seal(orgID int64, ch Channel, v any) ([]byte, string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, "", err
	}
	return s.Cipher.Seal(b, sealAD(orgID, ch))
}

func (s *Service) open(r *MerchantRecord, v any) error {
	b, err := s.Cipher.Open(r.SecretsCT, r.SecretsKID, sealAD(r.OrgID, r.Channel))
	if err != nil {
		return fmt.Errorf("paychan: %s credentials of org %d: %w", r.Channel, r.OrgID, err)
	}
	return json.Unmarshal(b, v)
}

// org resolves the organization staff configure: ErrNotFound for one the
// caller may not edit (marketplace.MayEditCollection: an administrator,
// or federation staff of that organization).
func (s *Service) org(ctx context.Context, by *kernel.Principal, orgPublicID string) (int64, error) {
	id, _, kind, err := s.Funds.Store.OrgByPublicID(ctx, orgPublicID)
	if err != nil {
		return 0, err
	}
	if !marketplace.MayEditCollection(by, &kernel.Org{ID: id, PublicID: orgPublicID}) {
		return 0, kernel.ErrNotFound
	}
	if kernel.OrgKind(kind) != kernel.OrgCharityFederation && kernel.OrgKind(kind) != kernel.OrgCharity {
		return 0, kernel.Refuse(kernel.ErrConflict, "refusal_paychan_org_kind", nil, "only a charity federation or a charity takes donations")
	}
	return id, nil
}

// ChannelViews returns what is configured of each channel of the
// organization, to an administrator or its federation staff.
func (s *Service) ChannelViews(ctx context.Context, by *kernel.Principal, orgPublicID string) ([]ChannelView, error) {
	id, err := s.org(ctx, by, orgPublicID)
	if err != nil {
		return nil, err
	}
	return s.views(ctx, id)
}

func (s *Service) views(ctx context.Context, orgID int64) ([]ChannelView, error) {
	out := make([]ChannelView, 0, len(Channels))
	for _, ch := range Channels {
		r, err := s.Store.Merchant(ctx, orgID, ch)
		if errors.Is(err, kernel.ErrNotFound) {
			out = append(out, viewOf(ch, nil))
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, viewOf(ch, r))
	}
	return out, nil
}

func (s *Service) audit(by *kernel.Principal, orgPublicID, action string, detail map[string]any) marketplace.AuditEntry {
	b, _ := json.Marshal(detail)
	return marketplace.AuditEntry{Stream: "accounts", At: s.now(), Actor: by.User.PublicID, Action: action, ObjectType: "org",
		ObjectID: orgPublicID, Detail: string(b)}
}

// changedKeys names the keys entered anew, for the audit log (never the keys).
func changedKeys(kv map[string]string) []string {
	var out []string
	for _, k := range []string{"api_v3_key", "private_key", "platform_certificate", "public_key", "app_private_key", "alipay_public_key"} {
		if strings.TrimSpace(kv[k]) != "" {
			out = append(out, k)
		}
	}
	return out
}

// SetWeChat saves the organization's WeChat Pay credentials after checking
// them (keys parsed, ids well formed, the certificate in force): a key
// left empty keeps the saved one. The keys are sealed; the audit log names
// which changed. ErrNotFound, ValidationError.
func (s *Service) SetWeChat(ctx context.Context, by *kernel.Principal, orgPublicID string, in WeChatInput) (*ChannelView, error) {
	orgID, err := s.org(ctx, by, orgPublicID)
	if err != nil {
		return nil, err
	}
	in.MchID, in.AppID, in.SerialNo = strings.TrimSpace(in.MchID), strings.TrimSpace(in.AppID), strings.TrimSpace(in.SerialNo)
	var saved wechatSecrets
	if old, err := s.Store.Merchant(ctx, orgID, WeChatPay); err == nil {
		if err := s.open(old, &saved); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, kernel.ErrNotFound) {
		return nil, err
	}
	sec := wechatSecrets{APIv3Key: keep(in.APIv3Key, saved.APIv3Key), PrivateKey: keep(in.PrivateKey, saved.PrivateKey),
		PlatformCertificate: keep(in.PlatformCertificate, saved.PlatformCertificate), PublicKey: keep(in.PublicKey, saved.PublicKey),
		PublicKeyID: keep(in.PublicKeyID, saved.PublicKeyID)}
	_, d, err := checkWeChat(in, sec, s.now())
	if err != nil {
		return nil, err
	}
	ct, kid, err := s.seal(orgID, WeChatPay, sec)
	if err != nil {
		return nil, err
	}
	r := &MerchantRecord{OrgID: orgID, Channel: WeChatPay, MerchantID: in.MchID, AppID: in.AppID, Details: d, SecretsCT: ct, SecretsKID: kid,
		UpdatedBy: by.User.PublicID, UpdatedAt: s.now()}
	a := s.audit(by, orgPublicID, "org.payment_channel.set", map[string]any{"channel": WeChatPay, "mchid": in.MchID, "appid": in.AppID,
		"serial_no": d.SerialNo, "platform_serial": d.PlatformSerial, "public_key_id": d.PublicKeyID,
		"keys_entered": changedKeys(map[string]string{"api_v3_key": in.APIv3Key, "private_key": in.PrivateKey,
			"platform_certificate": in.PlatformCertificate, "public_key": in.PublicKey})})
	if err := s.Store.SaveMerchant(ctx, r, a); err != nil {
		return nil, fmt.Errorf("paychan: save wechat pay: %w", err)
	}
	v := viewOf(WeChatPay, r)
	return &v, nil
}

// SetAlipay saves the organization's Alipay credentials after checking
// them; a key left empty keeps the saved one. ErrNotFound, ValidationError.
func (s *Service) SetAlipay(ctx context.Context, by *kernel.Principal, orgPublicID string, in AlipayInput) (*ChannelView, error) {
	orgID, err := s.org(ctx, by, orgPublicID)
	if err != nil {
		return nil, err
	}
	in.AppID, in.SellerID = strings.TrimSpace(in.AppID), strings.TrimSpace(in.SellerID)
	var saved alipaySecrets
	if old, err := s.Store.Merchant(ctx, orgID, Alipay); err == nil {
		if err := s.open(old, &saved); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, kernel.ErrNotFound) {
		return nil, err
	}
	sec := alipaySecrets{PrivateKey: keep(in.PrivateKey, saved.PrivateKey), AlipayPublicKey: keep(in.AlipayPublicKey, saved.AlipayPublicKey)}
	if _, err := checkAlipay(in, sec); err != nil {
		return nil, err
	}
	ct, kid, err := s.seal(orgID, Alipay, sec)
	if err != nil {
		return nil, err
	}
	r := &MerchantRecord{OrgID: orgID, Channel: Alipay, MerchantID: in.SellerID, AppID: in.AppID, SecretsCT: ct, SecretsKID: kid,
		UpdatedBy: by.User.PublicID, UpdatedAt: s.now()}
	a := s.audit(by, orgPublicID, "org.payment_channel.set", map[string]any{"channel": Alipay, "app_id": in.AppID, "seller_id": in.SellerID,
		"keys_entered": changedKeys(map[string]string{"app_private_key": in.PrivateKey, "alipay_public_key": in.AlipayPublicKey})})
	if err := s.Store.SaveMerchant(ctx, r, a); err != nil {
		return nil, fmt.Errorf("paychan: save alipay: %w", err)
	}
	v := viewOf(Alipay, r)
	return &v, nil
}

// RemoveChannel deletes the organization's credentials of a channel: its
// pledges are then paid by bank transfer only, and its notifications are
// refused. ErrNotFound (also for a channel not configured).
func (s *Service) RemoveChannel(ctx context.Context, by *kernel.Principal, orgPublicID string, ch Channel) error {
	orgID, err := s.org(ctx, by, orgPublicID)
	if err != nil {
		return err
	}
	if ch != WeChatPay && ch != Alipay {
		return kernel.ErrNotFound
	}
	a := s.audit(by, orgPublicID, "org.payment_channel.remove", map[string]any{"channel": ch})
	if err := s.Store.DeleteMerchant(ctx, orgID, ch, a); err != nil {
		return fmt.Errorf("paychan: remove %s: %w", ch, err)
	}
	s.cache.Delete(cacheKey(orgID, ch))
	return nil
}

// cached is a merchant parsed from its record at UpdatedAt.
type cached struct {
	at time.Time
	m  any
}

func cacheKey(orgID int64, ch Channel) string { return fmt.Sprintf("%d/%s", orgID, ch) }

// merchant loads and parses a channel's credentials (ErrNotFound when
// not configured). Parsed keys are kept while the record is unchanged.
func (s *Service) merchant(ctx context.Context, orgID int64, ch Channel) (any, *MerchantRecord, error) {
	r, err := s.Store.Merchant(ctx, orgID, ch)
	if err != nil {
		return nil, nil, err
	}
	if c, ok := s.cache.Load(cacheKey(orgID, ch)); ok && c.(cached).at.Equal(r.UpdatedAt) {
		return c.(cached).m, r, nil
	}
	var m any
	switch ch {
	case WeChatPay:
		var sec wechatSecrets
		if err := s.open(r, &sec); err != nil {
			return nil, nil, err
		}
		// A certificate that expired since is still parsed: its
		// notifications fail verification only once WeChat Pay stops
		// signing with it.
		wm, _, err := checkWeChat(WeChatInput{MchID: r.MerchantID, AppID: r.AppID, SerialNo: r.Details.SerialNo}, sec, time.Time{})
		if err != nil {
			return nil, nil, fmt.Errorf("paychan: stored wechat pay credentials of org %d: %w", orgID, err)
		}
		m = wm
	case Alipay:
		var sec alipaySecrets
		if err := s.open(r, &sec); err != nil {
			return nil, nil, err
		}
		am, err := checkAlipay(AlipayInput{AppID: r.AppID, SellerID: r.MerchantID}, sec)
		if err != nil {
			return nil, nil, fmt.Errorf("paychan: stored alipay credentials of org %d: %w", orgID, err)
		}
		m = am
	default:
		return nil, nil, kernel.ErrNotFound
	}
	s.cache.Store(cacheKey(orgID, ch), cached{at: r.UpdatedAt, m: m})
	return m, r, nil
}

func (s *Service) wechatMerchant(ctx context.Context, orgID int64) (*wechatpay.Merchant, *MerchantRecord, error) {
	m, r, err := s.merchant(ctx, orgID, WeChatPay)
	if err != nil {
		return nil, nil, err
	}
	return m.(*wechatpay.Merchant), r, nil
}

func (s *Service) alipayMerchant(ctx context.Context, orgID int64) (*alipay.Merchant, *MerchantRecord, error) {
	m, r, err := s.merchant(ctx, orgID, Alipay)
	if err != nil {
		return nil, nil, err
	}
	return m.(*alipay.Merchant), r, nil
}
