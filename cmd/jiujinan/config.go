package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/jiujinan/jiujinan/sqldb"
)

// Config is the whole configuration, loaded once from the environment and
// the command line and passed down as values. Every field can be set by its
// environment variable; those with a flag tag also by that flag.
type Config struct {
	DataDir     string `env:"JIUJINAN_DATA_DIR" envDefault:"./data" flag:"data-dir" help:"folder for the SQLite database, the search index and secrets.json"`
	DatabaseURL string `env:"JIUJINAN_DATABASE_URL" flag:"database-url" help:"sqlite:PATH or a MySQL DSN such as user:pass@tcp(127.0.0.1:3306)/jiujinan (default sqlite:DATA_DIR/jiujinan.db)"`
	Addr        string `env:"JIUJINAN_ADDR" envDefault:":8080" flag:"addr" help:"address to listen on"`
	SecretsFile string `env:"JIUJINAN_SECRETS_FILE" flag:"secrets-file" help:"key file (default DATA_DIR/secrets.json), created by keys init or by serve on an empty database; share it between instances"`

	MeiliURL    string `env:"MEILI_URL" help:"Meilisearch URL; when set, needs are indexed there instead of the embedded index"`
	MeiliAPIKey string `env:"MEILI_API_KEY" help:"Meilisearch API key"`

	TokenTTL    time.Duration `env:"JIUJINAN_TOKEN_TTL" envDefault:"12h" help:"lifetime of a login token"`
	TokenIssuer string        `env:"JIUJINAN_TOKEN_ISSUER" envDefault:"jiujinan" help:"issuer and audience of tokens"`

	NoticePeriod      time.Duration `env:"JIUJINAN_NOTICE_PERIOD" envDefault:"120h" help:"public notice (公示) before a cleared need opens"`
	KAnonymity        int           `env:"JIUJINAN_K_ANONYMITY" envDefault:"5" help:"k: fewest published needs that may share a region x category x age band cell"`
	PledgeTTL         time.Duration `env:"JIUJINAN_PLEDGE_TTL" envDefault:"168h" help:"how long an unpaid pledge waits for its payment before it expires"`
	RedirectWindow    time.Duration `env:"JIUJINAN_REDIRECT_WINDOW" envDefault:"360h" help:"how long donors of a need that ended unfunded have to move their money or ask for a refund before the default (the organization's unrestricted fund, else a refund)"`
	EmergencyLimitFen int64         `env:"JIUJINAN_EMERGENCY_LIMIT_FEN" envDefault:"300000" help:"largest request (fen) that may take the emergency path (先行救助)"`
	ScreeningConfig   string        `env:"JIUJINAN_SCREENING_CONFIG" help:"TOML (.toml) or JSON file changing the screening defaults: programme to category mapping, eligible programmes per household type, look-back months (docs/screening.md)"`

	MaxBodyBytes     int64         `env:"JIUJINAN_MAX_BODY_BYTES" envDefault:"1048576" help:"largest request body but uploads"`
	HolidaysFile     string        `env:"JIUJINAN_HOLIDAYS_FILE" help:"CSV of days that override China's holiday table (date,休 or 班,name), for a year the built-in table lacks or an announced change"`
	UploadDir        string        `env:"JIUJINAN_UPLOAD_DIR" help:"folder where an uploaded payment file is kept, sealed (AES-256-GCM), until its import is done, so that an import interrupted by a restart resumes (default DATA_DIR/uploads)"`
	MaxUploadBytes   int64         `env:"JIUJINAN_MAX_UPLOAD_BYTES" envDefault:"2147483648" help:"largest upload (payment record CSV)"`
	RequestTimeout   time.Duration `env:"JIUJINAN_REQUEST_TIMEOUT" envDefault:"30s" help:"time limit of one API request"`
	CookieSecure     bool          `env:"JIUJINAN_COOKIE_SECURE" envDefault:"false" help:"mark the session cookie Secure (set when served over TLS)"`
	LoginMaxFailures int           `env:"JIUJINAN_LOGIN_MAX_FAILURES" envDefault:"5" help:"failed logins for one e-mail from one address before each further attempt must wait"`
	LoginMaxDelay    time.Duration `env:"JIUJINAN_LOGIN_MAX_DELAY" envDefault:"15m" help:"the longest wait between login attempts after repeated failures (the wait starts at 1s and doubles)"`
	MetricsToken     string        `env:"JIUJINAN_METRICS_TOKEN" help:"Bearer token a Prometheus scraper sends for /metrics (at least 16 characters); unset serves no metrics"`
	PublicURL        string        `env:"JIUJINAN_PUBLIC_URL" help:"the site's address as the public reaches it (https://jiujinan.example.cn), for the QR codes of printed notices (unset: the address each request came to) and the links in notification e-mails"`
	AuthRate         float64       `env:"JIUJINAN_AUTH_RATE" envDefault:"2" help:"login/registration requests per second per client address"`

	LogLevel  string `env:"JIUJINAN_LOG_LEVEL" envDefault:"info" help:"debug, info, warn or error"`
	LogFormat string `env:"JIUJINAN_LOG_FORMAT" envDefault:"text" help:"text or json"`

	AllocationBatching string `env:"JIUJINAN_ALLOCATION_BATCHING" envDefault:"on" help:"on: concurrent allocations share database transactions; off: each runs alone, slower under load (for diagnosis)"`

	PayPublicURL     string `env:"JIUJINAN_PAY_PUBLIC_URL" help:"the service's public https address as WeChat Pay and Alipay reach it: their notifications go to it (/api/v1/payments/{wechat,alipay}/notify/{org}) and donors return to it; unset: JIUJINAN_PUBLIC_URL when it is https, else no online payment (bank transfer only)"`
	WeChatPayBaseURL string `env:"JIUJINAN_WECHATPAY_BASE_URL" envDefault:"https://api.mch.weixin.qq.com" help:"WeChat Pay API v3 host"`
	AlipayGateway    string `env:"JIUJINAN_ALIPAY_GATEWAY" envDefault:"https://openapi.alipay.com/gateway.do" help:"Alipay OpenAPI gateway (the sandbox's for trials)"`
	// The county's way of working (docs/steps.md): approval steps, time
	// limits in working days, 一事一议.
	ApprovalSteps         string `env:"JIUJINAN_APPROVAL_STEPS" envDefault:"one" help:"one: a verifier of a civil affairs office covering the need's region clears it; two: the town's office reviews (乡镇审核), then the county's approves (县级审批)"`
	ClearanceDays         int    `env:"JIUJINAN_CLEARANCE_DAYS" envDefault:"2" help:"time limit in working days of the one-step clearance and of the county approval"`
	TownReviewDays        int    `env:"JIUJINAN_TOWN_REVIEW_DAYS" envDefault:"2" help:"time limit in working days of the town review (two steps)"`
	CaseDays              int    `env:"JIUJINAN_CASE_DAYS" envDefault:"15" help:"time limit in working days of a whole case, from submission to its end (办结时限; e.g. 45 where the county allows it)"`
	ObjectionDays         int    `env:"JIUJINAN_OBJECTION_DAYS" envDefault:"5" help:"time limit in working days of an objection's resolution"`
	ReportFollowUpDays    int    `env:"JIUJINAN_REPORT_FOLLOWUP_DAYS" envDefault:"2" help:"time limit in working days of an active-discovery report's follow-up (主动发现 → 及时报告属地乡镇)"`
	GroupDecisionAboveFen int64  `env:"JIUJINAN_GROUP_DECISION_ABOVE_FEN" envDefault:"0" help:"the county's decision on a need requesting more than this (fen) is a group decision (一事一议), recorded with its members, date and reasoning; 0: never"`
	// Notifications (docs/operations.md, "Notifications").
	NotifyMaxAttempts  int    `env:"JIUJINAN_NOTIFY_MAX_ATTEMPTS" envDefault:"8" help:"tries of one notification delivery before it is given up (pauses double from 30s to 1h)"`
	SMTPHost           string `env:"SMTP_HOST" help:"SMTP server for notification e-mails; unset sends none"`
	SMTPPort           int    `env:"SMTP_PORT" help:"SMTP port (default 587 for starttls and opportunistic, 465 for tls, 25 for none)"`
	SMTPTLS            string `env:"SMTP_TLS" envDefault:"starttls" help:"starttls (required), tls (implicit, SMTPS), opportunistic, or none (a relay on the same host only)"`
	SMTPUser           string `env:"SMTP_USER" help:"SMTP user name; unset sends without signing in"`
	SMTPPassword       string `env:"SMTP_PASSWORD" help:"SMTP password (sent only over TLS)"`
	SMTPFrom           string `env:"SMTP_FROM" help:"sender of notification e-mails, e.g. 救急难 <notice@example.org>"`
	SMSProvider        string `env:"SMS_PROVIDER" help:"aliyun (Alibaba Cloud SMS) or unset (no SMS)"`
	SMSEndpoint        string `env:"SMS_ENDPOINT" envDefault:"https://dysmsapi.aliyuncs.com/" help:"the SMS service's address"`
	SMSAccessKeyID     string `env:"SMS_ACCESS_KEY_ID" help:"AccessKey ID of the SMS account"`
	SMSAccessKeySecret string `env:"SMS_ACCESS_KEY_SECRET" help:"AccessKey secret of the SMS account"`
	SMSSignName        string `env:"SMS_SIGN_NAME" help:"the approved SMS signature (短信签名)"`
	SMSRegion          string `env:"SMS_REGION" envDefault:"cn-hangzhou" help:"the SMS service's region"`
	SMSTemplates       string `env:"SMS_TEMPLATES" help:"approved template per kind of notice, kind=TEMPLATE_CODE separated by commas (docs/operations.md); a kind without one is not offered by SMS"`
}

// loadConfig reads the environment, then the flags of fs (already holding
// the subcommand's own flags), then validates the whole.
func loadConfig(fs *flag.FlagSet, args []string, environ map[string]string) (Config, error) {
	var cfg Config
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: environ}); err != nil {
		return cfg, unwrapEnv(err)
	}
	bindFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, cfg.validate()
}

// unwrapEnv names the environment variable of the first bad value.
func unwrapEnv(err error) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var pe env.ParseError
	if errors.As(err, &pe) {
		if f, ok := reflect.TypeOf(Config{}).FieldByName(pe.Name); ok {
			inner := pe.Err
			if errors.Unwrap(inner) != nil {
				inner = errors.Unwrap(inner)
			}
			return fmt.Errorf("%s: cannot parse %s value: %v", f.Tag.Get("env"), pe.Type, inner)
		}
	}
	return err
}

// bindFlags registers a flag for each field with a flag tag, defaulting to
// the value the environment gave.
func bindFlags(fs *flag.FlagSet, cfg *Config) {
	v := reflect.ValueOf(cfg).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("flag")
		if name == "" {
			continue
		}
		p := v.Field(i).Addr().Interface()
		help := f.Tag.Get("help") + " [$" + f.Tag.Get("env") + "]"
		switch p := p.(type) {
		case *string:
			fs.StringVar(p, name, *p, help)
		case *time.Duration:
			fs.DurationVar(p, name, *p, help)
		}
	}
}

// printEnvHelp lists every environment variable with its default and meaning.
func printEnvHelp(w io.Writer) {
	t := reflect.TypeOf(Config{})
	fmt.Fprintln(w, "\nEnvironment:")
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		def := f.Tag.Get("envDefault")
		if def != "" {
			def = " (default " + def + ")"
		}
		fmt.Fprintf(w, "  %-30s %s%s\n", f.Tag.Get("env"), f.Tag.Get("help"), def)
	}
}

func (c *Config) validate() error {
	if c.DataDir == "" {
		return errors.New("JIUJINAN_DATA_DIR: must not be empty")
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "jiujinan.db")
	}
	if _, _, err := sqldb.ParseURL(c.DatabaseURL); err != nil {
		return fmt.Errorf("JIUJINAN_DATABASE_URL: %v", err)
	}
	if c.SecretsFile == "" {
		c.SecretsFile = filepath.Join(c.DataDir, "secrets.json")
	}
	if c.UploadDir == "" {
		c.UploadDir = filepath.Join(c.DataDir, "uploads")
	}
	if c.MeiliURL != "" && !strings.HasPrefix(c.MeiliURL, "http://") && !strings.HasPrefix(c.MeiliURL, "https://") {
		return fmt.Errorf("MEILI_URL: must start with http:// or https://, got %q", c.MeiliURL)
	}
	checks := []struct {
		ok   bool
		name string
		msg  string
	}{
		{c.TokenTTL >= time.Minute && c.TokenTTL <= 30*24*time.Hour, "JIUJINAN_TOKEN_TTL", "must be between 1m and 720h"},
		{c.TokenIssuer != "", "JIUJINAN_TOKEN_ISSUER", "must not be empty"},
		{c.NoticePeriod >= 0 && c.NoticePeriod <= 90*24*time.Hour, "JIUJINAN_NOTICE_PERIOD", "must be between 0 and 2160h"},
		{c.RedirectWindow >= time.Hour && c.RedirectWindow <= 90*24*time.Hour, "JIUJINAN_REDIRECT_WINDOW", "must be between 1h and 2160h"},
		{c.KAnonymity >= 1 && c.KAnonymity <= 1000, "JIUJINAN_K_ANONYMITY", "must be between 1 and 1000"},
		{c.EmergencyLimitFen >= 0 && c.EmergencyLimitFen <= 100_000_000, "JIUJINAN_EMERGENCY_LIMIT_FEN", "must be between 0 and 100000000 fen"},
		{c.MaxBodyBytes >= 1024, "JIUJINAN_MAX_BODY_BYTES", "must be at least 1024"},
		{c.MaxUploadBytes >= 1024, "JIUJINAN_MAX_UPLOAD_BYTES", "must be at least 1024"},
		{c.RequestTimeout >= time.Second, "JIUJINAN_REQUEST_TIMEOUT", "must be at least 1s"},
		{c.LoginMaxFailures >= 1, "JIUJINAN_LOGIN_MAX_FAILURES", "must be at least 1"},
		{c.LoginMaxDelay >= time.Second, "JIUJINAN_LOGIN_MAX_DELAY", "must be at least 1s"},
		{c.AuthRate > 0, "JIUJINAN_AUTH_RATE", "must be above 0"},
		{c.PublicURL == "" || strings.HasPrefix(c.PublicURL, "https://") || strings.HasPrefix(c.PublicURL, "http://"), "JIUJINAN_PUBLIC_URL", "must start with https:// or http://"},
		{c.MetricsToken == "" || len(c.MetricsToken) >= 16, "JIUJINAN_METRICS_TOKEN", "must be at least 16 characters"},
		{map[string]bool{"debug": true, "info": true, "warn": true, "error": true}[c.LogLevel], "JIUJINAN_LOG_LEVEL", "must be debug, info, warn or error"},
		{c.LogFormat == "text" || c.LogFormat == "json", "JIUJINAN_LOG_FORMAT", "must be text or json"},
		{c.AllocationBatching == "on" || c.AllocationBatching == "off", "JIUJINAN_ALLOCATION_BATCHING", "must be on or off"},
		{c.ApprovalSteps == "one" || c.ApprovalSteps == "two", "JIUJINAN_APPROVAL_STEPS", "must be one or two"},
		{c.ClearanceDays >= 1 && c.ClearanceDays <= 60, "JIUJINAN_CLEARANCE_DAYS", "must be between 1 and 60 working days"},
		{c.TownReviewDays >= 1 && c.TownReviewDays <= 60, "JIUJINAN_TOWN_REVIEW_DAYS", "must be between 1 and 60 working days"},
		{c.CaseDays >= 1 && c.CaseDays <= 250, "JIUJINAN_CASE_DAYS", "must be between 1 and 250 working days"},
		{c.ObjectionDays >= 1 && c.ObjectionDays <= 60, "JIUJINAN_OBJECTION_DAYS", "must be between 1 and 60 working days"},
		{c.ReportFollowUpDays >= 1 && c.ReportFollowUpDays <= 60, "JIUJINAN_REPORT_FOLLOWUP_DAYS", "must be between 1 and 60 working days"},
		{c.GroupDecisionAboveFen >= 0 && c.GroupDecisionAboveFen <= 100_000_000_00, "JIUJINAN_GROUP_DECISION_ABOVE_FEN", "must be between 0 and 10000000000 fen"},
	}
	for _, ch := range checks {
		if !ch.ok {
			return fmt.Errorf("%s: %s", ch.name, ch.msg)
		}
	}
	if err := c.checkPayURLs(); err != nil {
		return err
	}
	return c.validateNotify()
}

// prepareDataDir creates the data folder and checks that it is writable.
func (c *Config) prepareDataDir() error {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("JIUJINAN_DATA_DIR: cannot create %s: %v", c.DataDir, pathErr(err))
	}
	f, err := os.CreateTemp(c.DataDir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("JIUJINAN_DATA_DIR: %s is not writable: %v", c.DataDir, pathErr(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func environMap() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
