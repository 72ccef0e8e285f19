package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// The social worker before publishing and the verifier at clearance see
// the need as it would be published, with each removal marked by kind and
// a summary of what was removed (the name is in the title and the story);
// never the removed text itself in the
// preview. Once published, the page shows the public version instead.
func TestPreviewMarksWhatWasRemovedForWorkerAndVerifier(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, wp := env.user(kernel.RoleSocialWorker, nil)
		verifier, vp := env.user(kernel.RoleVerifier, nil)
		body := needBody()
		body["story"] = "张建华今年四十五岁，患尿毒症需每周透析三次，联系电话13812345678。"
		id := env.createNeed(worker, body)
		for who, p := range map[string]*kernel.Principal{"worker": wp, "verifier": vp} {
			b := newBrowser(env)
			b.login(p)
			page := b.do(http.MethodGet, "/staff/needs/"+id, nil)
			html := page.Body.String()
			if page.Code != http.StatusOK || !strings.Contains(html, "公开后的样子") {
				t.Fatalf("%s: %d, no preview: %.2000s", who, page.Code, html)
			}
			i := strings.Index(html, "公开后的样子")
			preview := html[i:min(len(html), i+3000)]
			for _, want := range []string{`<mark class="redacted" title="姓名">某某`, `<mark class="redacted" title="电话">`, "姓名 2 处", "电话 1 处", "尿毒症"} {
				if !strings.Contains(preview, want) {
					t.Errorf("%s: the preview lacks %q: %.1500s", who, want, preview)
				}
			}
			if strings.Contains(preview, "13812345678") {
				t.Errorf("%s: the preview shows the phone number", who)
			}
		}
		env.clearAndPublish(id, worker, verifier)
		b := newBrowser(env)
		b.login(wp)
		if html := b.do(http.MethodGet, "/staff/needs/"+id, nil).Body.String(); strings.Contains(html, "公开后的样子") {
			t.Error("a published need still shows the preview")
		}
	})
}
