package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// TestBrowserCharityAidForm: in Chromium, the verifier opens 慈善救助信息回传
// from the navigation, picks Excel and sends the form; the request the form
// makes downloads the workbook (an .xlsx attachment, a zip).
func TestBrowserCharityAidForm(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	gs := newGiveStory(t, env)
	need := gs.post(gs.worker, idNumberWithX(t), 70_000, 20_000)
	gs.afterNotice()
	gs.give(need, 50_000)
	if _, err := env.funds.DisburseNeed(context.Background(), gs.staffP, need, funds.NewDisbursement{AmountFen: 30_050, ProviderKind: funds.ProviderHospital,
		Payee: funds.Payee{Type: funds.PayeeProvider, Name: "郓城县人民医院", Reference: "FP-1"}}, nil); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, env)
	_, p := env.user(kernel.RoleVerifier, nil)
	b := s.tab(t)
	b.login(p.User.Email, "password-verifier")
	b.open("/verify")
	b.click(`header a[href="/verify/charity-aid"]`)
	b.waitJS(`location.pathname === "/verify/charity-aid"`)
	if got := b.text("h1"); got != "慈善救助信息回传" {
		t.Fatalf("heading %q", got)
	}
	// The period: the last 30 days, so that the payment is in it.
	from := env.now.Load().Add(-30 * 24 * time.Hour).In(kernel.ChinaTime).Format(time.DateOnly)
	evalIn[bool](b, `(function(){document.getElementById("ca-from").value="`+from+`";return true})()`)
	b.click(`input[name="format"][value="xlsx"]`)
	b.screenshot("verify-charity-aid")
	// A download leaves the page as it is: the form's own request is
	// fetched instead, and its answer read.
	evalIn[bool](b, `(function(){var f=document.querySelector('form[action="/verify/charity-aid/file"]');
		if (!f.reportValidity()) { window.__ca = "invalid"; return true }
		fetch(f.action + "?" + new URLSearchParams(new FormData(f))).then(async r => {
			var head = new Uint8Array(await r.arrayBuffer()).slice(0, 2);
			window.__ca = [r.status, r.headers.get("Content-Type"), r.headers.get("Content-Disposition"), String.fromCharCode(head[0], head[1])].join("|");
		}, e => { window.__ca = "error " + e });
		return true})()`)
	b.waitJS(`window.__ca !== undefined`)
	got := evalIn[string](b, `window.__ca`)
	if !strings.HasPrefix(got, "200|"+funds.AidXLSX.ContentType()+`|attachment; filename="charity-aid-371725-`+from) || !strings.HasSuffix(got, `.xlsx"|PK`) {
		t.Errorf("the form's download: %q", got)
	}
}
