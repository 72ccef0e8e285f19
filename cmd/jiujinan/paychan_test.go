package main

import (
	"strings"
	"testing"
)

// The address providers notify: JIUJINAN_PAY_PUBLIC_URL (https, or http on
// this machine only), else the site's JIUJINAN_PUBLIC_URL when it is https.
func TestPayPublicURL(t *testing.T) {
	base := map[string]string{"JIUJINAN_DATA_DIR": t.TempDir()}
	for _, tc := range []struct {
		name      string
		env       map[string]string
		want, err string
	}{
		{"unset", nil, "", ""},
		{"its own", map[string]string{"JIUJINAN_PAY_PUBLIC_URL": "https://give.example.org/"}, "https://give.example.org", ""},
		{"the site's", map[string]string{"JIUJINAN_PUBLIC_URL": "https://jiujinan.example.org"}, "https://jiujinan.example.org", ""},
		{"the site's over http is not for providers", map[string]string{"JIUJINAN_PUBLIC_URL": "http://jiujinan.example.org"}, "", ""},
		{"http on this machine", map[string]string{"JIUJINAN_PAY_PUBLIC_URL": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080", ""},
		{"http elsewhere", map[string]string{"JIUJINAN_PAY_PUBLIC_URL": "http://give.example.org"}, "", "JIUJINAN_PAY_PUBLIC_URL"},
		{"a bad gateway", map[string]string{"JIUJINAN_ALIPAY_GATEWAY": "openapi.alipay.com"}, "", "JIUJINAN_ALIPAY_GATEWAY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg, err := loadConfig(newFlagSet("serve", nil, ""), nil, env)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.payPublicURL(); got != tc.want {
				t.Errorf("payPublicURL %q, want %q", got, tc.want)
			}
		})
	}
}
