package web

import (
	"encoding/json"
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// TestVerifierDownloadsCharityAidFromThePage: the verifier's form (慈善救助
// 信息回传) offers the regions of the verifier's office and downloads the
// API's file, CSV or .xlsx; another county's verifier who asks for the
// region by hand gets the API's refusal (403, the same message) and no
// row; a bad format comes back as the form with its reason.
func TestVerifierDownloadsCharityAidFromThePage(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		s, id, _, day := newAidStory(t, env)
		period := "region=371725&from=" + day(-30*24*time.Hour) + "&to=" + day(0)

		_, vp := env.user(kernel.RoleVerifier, nil)
		v := newBrowser(env)
		v.login(vp)
		page := v.do(http.MethodGet, "/verify/charity-aid", nil)
		body := page.Body.String()
		if page.Code != http.StatusOK || !strings.Contains(body, "慈善救助信息回传") || !strings.Contains(body, `action="/verify/charity-aid/file"`) ||
			!strings.Contains(body, `<option value="371725" selected>`) || !strings.Contains(body, `value="xlsx"`) {
			t.Fatalf("form: %d %.1500s", page.Code, body)
		}

		api := env.do(http.MethodGet, "/api/v1/charity-aid?"+period, s.verifier, nil)
		csvFile := v.do(http.MethodGet, "/verify/charity-aid/file?"+period+"&format=csv", nil)
		if csvFile.Code != http.StatusOK || csvFile.Body.String() != string(api.Body) || !strings.Contains(csvFile.Body.String(), id) ||
			csvFile.Header().Get("Content-Type") != funds.AidCSV.ContentType() || !strings.Contains(csvFile.Header().Get("Content-Disposition"), `.csv"`) {
			t.Errorf("page CSV: %d %q, want the API's file %q", csvFile.Code, csvFile.Body.String(), api.Body)
		}
		xlsxFile := v.do(http.MethodGet, "/verify/charity-aid/file?"+period+"&format=xlsx", nil)
		if xlsxFile.Code != http.StatusOK || xlsxFile.Header().Get("Content-Type") != funds.AidXLSX.ContentType() {
			t.Fatalf("page xlsx: %d %q", xlsxFile.Code, xlsxFile.Header().Get("Content-Type"))
		}
		if got, want := xlsxRows(t, xlsxFile.Body.Bytes()), csvRows(t, api.Body); !slices.EqualFunc(got, want, slices.Equal) || len(got) != 2 {
			t.Errorf("page xlsx rows %q, want %q", got, want)
		}

		otherTok, otherP := env.civilAffairsVerifier("牡丹区民政局", "371702")
		o := newBrowser(env)
		o.login(otherP)
		if body := o.do(http.MethodGet, "/verify/charity-aid", nil).Body.String(); strings.Contains(body, `value="371725"`) || !strings.Contains(body, `value="371702"`) {
			t.Errorf("another county's verifier is offered: %.1500s", body)
		}
		refusal := env.do(http.MethodGet, "/api/v1/charity-aid?"+period, otherTok, nil)
		var e errorBody
		if err := json.Unmarshal(refusal.Body, &e); err != nil || refusal.Status != http.StatusForbidden {
			t.Fatalf("API refusal: %d %s", refusal.Status, refusal.Body)
		}
		for _, format := range []string{"csv", "xlsx"} {
			r := o.do(http.MethodGet, "/verify/charity-aid/file?"+period+"&format="+format, nil)
			if r.Code != http.StatusForbidden || strings.Contains(r.Body.String(), id) || !strings.Contains(r.Body.String(), html.EscapeString(e.Error.Message)) ||
				r.Header().Get("Content-Disposition") != "" {
				t.Errorf("another county's verifier, %s: %d, want the API's 403 %q: %.800s", format, r.Code, e.Error.Message, r.Body.String())
			}
		}

		bad := v.do(http.MethodGet, "/verify/charity-aid/file?"+period+"&format=xls", nil)
		if b := bad.Body.String(); bad.Code != http.StatusBadRequest || !strings.Contains(b, "表单有需要修改的地方") || !strings.Contains(b, `<fieldset aria-invalid="true">`) ||
			!strings.Contains(b, `action="/verify/charity-aid/file"`) {
			t.Errorf("bad format: %d %.1500s", bad.Code, b)
		}
		if r := signedIn(env, kernel.RoleFederationStaff).do(http.MethodGet, "/verify/charity-aid/file?"+period, nil); r.Code != http.StatusForbidden ||
			strings.Contains(r.Body.String(), id) {
			t.Errorf("federation staff: %d", r.Code)
		}
	})
}
