package web

import (
	"io/fs"
	"regexp"
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
	// Messages built from codes.
	for _, prefix := range []string{"status_"} {
		for _, s := range []string{"draft", "submitted", "cleared", "notice", "open", "funded", "disbursed", "closed", "rejected", "withdrawn", "suspended", "referred"} {
			if _, ok := zh[prefix+s]; !ok {
				t.Errorf("no message %s%s", prefix, s)
			}
		}
	}
}
