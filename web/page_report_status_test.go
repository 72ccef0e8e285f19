package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

var (
	receiptIDRe    = regexp.MustCompile(`<dt>报告编号</dt><dd>([0-9a-z]+)</dd>`)
	receiptTokenRe = regexp.MustCompile(`<strong class="reference">([0-9a-f]+)</strong>`)
)

// TestReportStatusPage: whoever filed a report finds its progress with the
// number and the 查询码 from the receipt, in Chinese, at each step the
// social worker takes; a wrong number or code is told so plainly; the page
// never shows what the report says, its contact, its place or the worker's
// note, and the code stays out of the logs.
func TestReportStatusPage(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		const (
			desc    = "村东头王大爷独居，腿脚不便，冬天没有取暖。"
			contact = "13900002222"
			note    = "已联系王大爷的女儿王小红"
		)
		b := newBrowser(env)
		form := b.do(http.MethodGet, "/report", nil).Body.String()
		if !strings.Contains(form, `href="/report/status"`) {
			t.Error("the report form does not link to the status page")
		}
		r := b.form("/report", url.Values{"region_code": {"371725"}, "category": {"care"}, "description": {desc}, "contact": {"139 0000 2222"}})
		receipt := r.Body.String()
		idm, tokm := receiptIDRe.FindStringSubmatch(receipt), receiptTokenRe.FindStringSubmatch(receipt)
		if r.Code != http.StatusOK || idm == nil || tokm == nil {
			t.Fatalf("receipt: %d %.400s", r.Code, receipt)
		}
		id, code := idm[1], tokm[1]
		if !strings.Contains(receipt, `href="/report/status?id=`+id+`"`) {
			t.Error("the receipt does not link to the status page with its number")
		}

		// The link from the receipt: the number filled in, the code asked for.
		page := b.do(http.MethodGet, "/report/status?id="+id, nil)
		if body := page.Body.String(); page.Code != 200 || !strings.Contains(body, `value="`+id+`"`) || !strings.Contains(body, `name="code"`) ||
			strings.Contains(body, code) {
			t.Fatalf("status form: %d %.400s", page.Code, body)
		}

		private := []string{desc, "王大爷", contact, "139 0000 2222", note, "王小红", "郓城"}
		look := func(id, code string) (int, string) {
			t.Helper()
			r := b.form("/report/status", url.Values{"report": {id}, "code": {code}})
			body := r.Body.String()
			for _, s := range private {
				if strings.Contains(body, s) {
					t.Errorf("the status page shows %q", s)
				}
			}
			return r.Code, body
		}
		main := func(body string) string {
			_, after, _ := strings.Cut(body, `<main id="content">`)
			before, _, _ := strings.Cut(after, `</main>`)
			return before
		}

		// Received: waiting for a social worker, sent to the local agency.
		st, body := look(id, code)
		if st != 200 || !strings.Contains(body, "已收到，等待社工接手") || !strings.Contains(body, "尚未确定（已转给") ||
			!strings.Contains(body, `aria-current="step">已收到报告`) {
			t.Fatalf("new report: %d %s", st, main(body))
		}
		// Typed in capitals with spaces, as people copy codes.
		spaced := strings.ToUpper(code[:8] + " " + code[8:])
		if st, _ := look(" "+strings.ToUpper(id), spaced); st != 200 {
			t.Errorf("the code in capitals with a space: %d", st)
		}

		// The worker takes it: followed up, by the agency.
		_, worker := env.user(kernel.RoleSocialWorker, nil)
		ctx := context.Background()
		if _, err := env.people.UpdateReport(ctx, worker, id, marketplace.ReportUpdate{Status: "accepted", Note: note}); err != nil {
			t.Fatal(err)
		}
		agency := env.orgs[kernel.OrgSocialWorkAgency].Name
		if st, body := look(id, code); st != 200 || !strings.Contains(body, "社工正在跟进") || !strings.Contains(body, agency) ||
			!strings.Contains(body, `aria-current="step">社工跟进`) {
			t.Errorf("accepted: %d %s", st, main(body))
		}
		// A need posted: said so, without saying which.
		if _, err := env.people.UpdateReport(ctx, worker, id, marketplace.ReportUpdate{Status: "need_posted"}); err != nil {
			t.Fatal(err)
		}
		if st, body := look(id, code); st != 200 || !strings.Contains(body, "已为困难群众登记求助") || !strings.Contains(body, "不显示是哪一条") ||
			!strings.Contains(body, `aria-current="step">处理完毕`) {
			t.Errorf("need posted: %d %s", st, main(body))
		}

		// A wrong code, a wrong number, nothing typed: a plain answer, no status.
		for name, c := range map[string]struct {
			id, code string
			want     int
			msg      string
		}{
			"wrong code":   {id, strings.Repeat("0", len(code)), http.StatusNotFound, "报告编号或查询码不对，请核对后再试"},
			"wrong number": {testID(), code, http.StatusNotFound, "报告编号或查询码不对，请核对后再试"},
			"no code":      {id, "", http.StatusBadRequest, "请填写报告编号和查询码"},
		} {
			st, body := look(c.id, c.code)
			if st != c.want || !strings.Contains(body, c.msg) || !strings.Contains(body, `name="code"`) {
				t.Errorf("%s: %d %s", name, st, main(body))
			}
			if strings.Contains(body, "已为困难群众登记求助") || strings.Contains(body, agency) {
				t.Errorf("%s: the status is shown", name)
			}
		}
		if strings.Contains(env.logs.String(), code) {
			t.Error("the code is in the log")
		}
	})
}

// TestReportStatusNoAction: a report closed without action says so, with
// what that means for the reporter.
func TestReportStatusNoAction(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	ctx := context.Background()
	rc, err := env.people.SubmitReport(ctx, nil, marketplace.ReportInput{RegionCode: "371725", Description: "邻居家孩子辍学在家。"})
	if err != nil {
		t.Fatal(err)
	}
	_, worker := env.user(kernel.RoleSocialWorker, nil)
	if _, err := env.people.UpdateReport(ctx, worker, rc.ID, marketplace.ReportUpdate{Status: "no_action", Note: "已复学"}); err != nil {
		t.Fatal(err)
	}
	r := newBrowser(env).form("/report/status", url.Values{"report": {rc.ID}, "code": {rc.Token}})
	body := r.Body.String()
	if r.Code != 200 || !strings.Contains(body, "已结案") || !strings.Contains(body, "目前不需要再采取行动") || !strings.Contains(body, "欢迎再次报告") {
		t.Errorf("closed: %d %.600s", r.Code, body)
	}
	if strings.Contains(body, "已复学") || strings.Contains(body, "辍学") {
		t.Error("the closed report's note or text is shown")
	}
}

// TestReportStatusIsRateLimited: lookups are limited per client address,
// like the report form, so that codes cannot be guessed at speed.
func TestReportStatusIsRateLimited(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	deps := env.srv.Deps
	deps.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := NewServer(Config{AuthRate: 0.001, AuthBurst: 3}, deps)
	get := httptest.NewRequest(http.MethodGet, "/report/status", nil)
	get.Header.Set("Accept", "text/html")
	rec := httptest.NewRecorder()
	srv.Echo.ServeHTTP(rec, get)
	m := csrfRe.FindStringSubmatch(rec.Body.String())
	if rec.Code != 200 || m == nil {
		t.Fatalf("form: %d", rec.Code)
	}
	var codes []int
	var last string
	for range 5 {
		req := httptest.NewRequest(http.MethodPost, "/report/status", strings.NewReader(url.Values{"_csrf": {m[1]}, "report": {testID()}, "code": {"00ff"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "text/html")
		for _, c := range rec.Result().Cookies() {
			req.AddCookie(c)
		}
		r := httptest.NewRecorder()
		srv.Echo.ServeHTTP(r, req)
		codes = append(codes, r.Code)
		last = r.Body.String()
	}
	if codes[0] != http.StatusNotFound || codes[4] != http.StatusTooManyRequests {
		t.Errorf("statuses of 5 lookups with a burst of 3: %v", codes)
	}
	if !strings.Contains(last, "操作太频繁，请稍后再试") {
		t.Errorf("the refusal is not said in Chinese: %.600s", last)
	}
}
