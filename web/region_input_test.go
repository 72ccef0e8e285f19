package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// TestRegionTypedInForms: the post-need and report forms take a region as
// a code or a name; an ambiguous name is asked about with its candidates,
// an unknown one refused (issue 17).
func TestRegionTypedInForms(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		_, worker := env.user(kernel.RoleSocialWorker, nil)
		w := newBrowser(env)
		w.login(worker)
		for _, tc := range []struct {
			name, typed string
			status      int
			want        []string
		}{
			{"a code is taken", "371725", http.StatusSeeOther, nil},
			{"a unique short name is taken", "郓城县", http.StatusSeeOther, nil},
			{"a full name is taken", "山东省菏泽市郓城县", http.StatusSeeOther, nil},
			{"an ambiguous name asks which", "朝阳区", http.StatusBadRequest, []string{"北京市朝阳区（110105）", "吉林省长春市朝阳区（220104）", `value="朝阳区"`}},
			{"an unknown name is refused", "不存在县", http.StatusBadRequest, []string{"找不到地区“不存在县”"}},
		} {
			t.Run("post need: "+tc.name, func(t *testing.T) {
				v := needFormValues()
				v.Set("region_code", tc.typed)
				// Each posting is another household: no duplicate screening.
				v.Set("id_number", idNumber("371725", "19800315", map[string]string{"371725": "123", "郓城县": "124", "山东省菏泽市郓城县": "125", "朝阳区": "126", "不存在县": "127"}[tc.typed]))
				r := w.form("/worker/needs", v)
				body := r.Body.String()
				if r.Code != tc.status {
					t.Fatalf("status %d, want %d: %.400s", r.Code, tc.status, body)
				}
				for _, s := range tc.want {
					if !strings.Contains(body, s) {
						t.Errorf("the form lacks %q", s)
					}
				}
				if r.Code == http.StatusSeeOther {
					page := w.do(http.MethodGet, r.Header().Get("Location"), nil).Body.String()
					if !strings.Contains(page, "郓城县") {
						t.Errorf("the need's page lacks its county")
					}
				}
			})
		}
		pub := newBrowser(env)
		t.Run("report: a name is taken", func(t *testing.T) {
			r := pub.form("/report", url.Values{"region_code": {"菏泽市郓城县"}, "description": {"村里一位老人独居，行动不便，需要帮助。"}})
			if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "查询码") {
				t.Fatalf("report: %d %.400s", r.Code, r.Body.String())
			}
		})
		t.Run("report: an ambiguous name asks which", func(t *testing.T) {
			r := pub.form("/report", url.Values{"region_code": {"朝阳区"}, "description": {"村里一位老人独居，行动不便，需要帮助。"}})
			if b := r.Body.String(); r.Code != http.StatusBadRequest || !strings.Contains(b, "北京市朝阳区（110105）") || !strings.Contains(b, `value="朝阳区"`) {
				t.Fatalf("report: %d %.400s", r.Code, b)
			}
		})
	})
}
