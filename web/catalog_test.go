package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestCatalogsAreComplete: every message exists in Chinese and English, and
// every message id a template names exists, so that no page shows a raw id.
func TestCatalogsAreComplete(t *testing.T) {
	load := func(name string) map[string]any {
		raw, err := catalogFS.ReadFile("i18n/" + name)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := toml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	zh, en := load("active.zh.toml"), load("active.en.toml")
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("%s is in Chinese only", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("%s is in English only", k)
		}
	}
	ids := regexp.MustCompile(`\.Tf? "([a-z0-9_]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := templateFS.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range ids.FindAllStringSubmatch(string(raw), -1) {
			if _, ok := zh[m[1]]; !ok {
				t.Errorf("%s uses message %q, which the catalogs lack", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every refusal's message, and every message web/errors.go names.
	keys := regexp.MustCompile(`Refuse\([\w.]+, "([a-z0-9_]+)"|\bt\("([a-z0-9_]+)"|MessageID: "([a-z0-9_]+)"`)
	codes := regexp.MustCompile(`\bineligible\("([a-z_]+)"|\bFail\w+ += "([a-z_]+)"`)
	for _, dir := range []string{"../marketplace", "../marketplace/gormstore", "../funds", "../funds/gormstore", "../funds/paychan", "../matching", "../matching/gormstore", "."} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range keys.FindAllStringSubmatch(string(raw), -1) {
				if k := m[1] + m[2] + m[3]; !strings.HasSuffix(k, "_") && (zh[k] == nil || en[k] == nil) {
					t.Errorf("%s uses message %q, which a catalog lacks", f, k)
				}
			}
			if strings.Contains(dir, "matching") {
				continue // volunteer match reasons are details, not refusals
			}
			for _, m := range codes.FindAllStringSubmatch(string(raw), -1) {
				if k := "ineligible_" + m[1] + m[2]; zh[k] == nil || en[k] == nil {
					t.Errorf("%s refuses with reason %q, which a catalog lacks as %s", f, m[1]+m[2], k)
				}
			}
		}
	}
	for _, s := range []string{"pending", "approved", "rejected", "released", "ended", "open", "upheld", "dismissed", "new", "accepted",
		"need_posted", "no_action", "offered", "declined", "confirmed", "expired", "refunded", "allocated", "disbursed", "reversed", "closed"} {
		if zh["state_"+s] == nil || en["state_"+s] == nil {
			t.Errorf("no message state_%s for a refusal's status", s)
		}
	}
	// Messages built from codes.
	for _, prefix := range []string{"status_"} {
		for _, s := range []string{"draft", "submitted", "cleared", "notice", "open", "funded", "disbursed", "closed", "rejected", "withdrawn", "suspended", "referred"} {
			if _, ok := zh[prefix+s]; !ok {
				t.Errorf("no message %s%s", prefix, s)
			}
		}
	}
}
