package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace/anonymize"
)

// TestScrubPreviewNamesWhatWasRemoved: the worker's live preview removes
// what identifies people beyond the names typed (a neighbour, an age, a
// school, a plate; issue 16) and says, in the worker's words, what kinds
// of things it removed.
func TestScrubPreviewNamesWhatWasRemoved(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		_, worker := env.user(kernel.RoleSocialWorker, nil)
		w := newBrowser(env)
		w.login(worker)
		story := "赵桂芝今年63岁，邻居王秀兰每天送饭。孙子10岁，在郓城县实验小学读四年级。儿子开车送医，车牌鲁R·6F321。"
		r := w.form("/worker/needs/preview", url.Values{"name": {"赵桂芝"}, "story": {story}})
		body := r.Body.String()
		if r.Code != 200 {
			t.Fatalf("preview: %d %.300s", r.Code, body)
		}
		for _, leak := range []string{"赵桂芝", "王秀兰", "63岁", "10岁", "实验小学", "6F321"} {
			if strings.Contains(body, leak) {
				t.Errorf("preview shows %q", leak)
			}
		}
		for _, keep := range []string{"60岁以上", "四年级", "送饭"} {
			if !strings.Contains(body, keep) {
				t.Errorf("preview lost %q", keep)
			}
		}
		for _, kind := range []string{"姓名", "年龄", "学校", "车牌号"} {
			if !strings.Contains(body, kind) {
				t.Errorf("preview does not say it removed %s: %s", kind, body)
			}
		}
	})
}

// TestScrubKindsHaveMessages: every kind of redaction the preview can list
// has its words in both catalogues.
func TestScrubKindsHaveMessages(t *testing.T) {
	for _, name := range []string{"active.zh.toml", "active.en.toml"} {
		raw, err := catalogFS.ReadFile("i18n/" + name)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := toml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, k := range anonymize.RedactionKinds {
			if _, ok := m["redact_"+string(k)]; !ok {
				t.Errorf("%s lacks redact_%s", name, k)
			}
		}
	}
}
