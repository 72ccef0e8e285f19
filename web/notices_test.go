package web

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// noticeWorld is 郓城县 with needs in public notice in two of its towns
// (one held by an objection), a need in notice the household did not
// consent to publish, an open one, and a need in notice in 牡丹区.
type noticeWorld struct {
	env                   *testEnv
	towns                 []string
	worker, verifier      string
	verP                  *kernel.Principal
	public, held, private string
	open, elsewhere       string
}

func newNoticeWorld(t *testing.T, env *testEnv) *noticeWorld {
	t.Helper()
	nw := &noticeWorld{env: env, towns: env.srv.Divisions.Children("371725")[:2]}
	nw.worker, _ = env.user(kernel.RoleSocialWorker, nil)
	nw.verifier, nw.verP = env.user(kernel.RoleVerifier, nil)
	post := func(worker, verifier, region, idNum string, consent bool) string {
		b := needBody()
		ben := b["beneficiary"].(map[string]any)
		ben["region_code"], ben["id_number"] = region, idNum
		if !consent {
			b["consent"] = map[string]any{"given": false}
		}
		id := env.createNeed(worker, b)
		env.clearAndPublish(id, worker, verifier)
		return id
	}
	nw.open = post(nw.worker, nw.verifier, nw.towns[0], idNumber("371725", "19700101", "111"), true)
	env.advance(121 * time.Hour)
	nw.worker, _ = env.user(kernel.RoleSocialWorker, nil)
	nw.verifier, nw.verP = env.user(kernel.RoleVerifier, nil)
	nw.public = post(nw.worker, nw.verifier, nw.towns[0], idNumber("371725", "19800315", "123"), true)
	nw.held = post(nw.worker, nw.verifier, nw.towns[1], idNumber("371725", "19810315", "125"), true)
	nw.private = post(nw.worker, nw.verifier, nw.towns[0], idNumber("371725", "19820315", "127"), false)
	if r := env.do(http.MethodPost, "/api/v1/needs/"+nw.held+"/objections", "", map[string]any{"text": "情况不实", "contact": "13900002222"}); r.Status != http.StatusCreated {
		t.Fatalf("objection: %d %s", r.Status, r.Body)
	}
	swB, _ := env.user(kernel.RoleSocialWorker, env.newOrg(kernel.OrgSocialWorkAgency, "371702"))
	verB, _ := env.civilAffairsVerifier("牡丹区民政局", "371702")
	nw.elsewhere = post(swB, verB, "371702", idNumber("371702", "19830315", "129"), true)
	return nw
}

// identities are what a notice must never show: the household's name,
// spouse's name, phone, address and ID number of needBody.
var identities = []string{"张建华", "王秀英", "张小明", "13812345678", "李庄村", "19800315"}

// TestPrintedNotice: a need's printed notice holds its public title and
// story exactly as the public page has them, the notice's dates, how to
// object (the form's address, the receipt, the office that reviews) and a
// QR code of the need's page; nothing that identifies anyone, no site
// navigation, no script of its own but the print button's.
func TestPrintedNotice(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		nw := newNoticeWorld(t, env)
		b := newBrowser(env)
		b.login(nw.verP)
		r := b.do(http.MethodGet, "/verify/notices/"+nw.public, nil)
		if r.Code != http.StatusOK {
			t.Fatalf("notice: %d %s", r.Code, r.Body)
		}
		doc := r.Body.String()
		pub := env.do(http.MethodGet, "/api/v1/needs/"+nw.public, "", nil).JSON(t)
		title, story := pub["title"].(string), pub["story"].(string)
		if got := html.UnescapeString(regexp.MustCompile(`<h1 id="ns-0">([^<]*)</h1>`).FindStringSubmatch(doc)[1]); got != title {
			t.Errorf("title %q, the public page's %q", got, title)
		}
		if got := html.UnescapeString(regexp.MustCompile(`(?s)<p class="story">(.*?)</p>`).FindStringSubmatch(doc)[1]); got != story {
			t.Errorf("story %q, the public page's %q", got, story)
		}
		published, _ := time.Parse(time.RFC3339, pub["published_at"].(string))
		ends, _ := time.Parse(time.RFC3339, pub["notice_ends_at"].(string))
		p := &page{Lang: "zh"}
		if want := p.Date(published) + " 至 " + p.Date(ends); !strings.Contains(doc, want) {
			t.Errorf("the notice's dates %q are not on it", want)
		}
		site := "http://example.com"
		needURL := site + "/needs/" + nw.public
		qr, err := qrSVG(needURL, needURL)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{string(qr), needURL, site + "/objections/异议编号", "提出异议", "异议编号和查询码", "测试民政局核查",
			`<link rel="stylesheet" href="/assets/print.css">`, `role="img" aria-label="` + needURL + `"`} {
			if !strings.Contains(doc, want) {
				t.Errorf("the notice lacks %q", want)
			}
		}
		for _, leak := range append(identities, "<nav", `action="/logout"`, "htmx", "<style", "style=", "<script>", nw.private) {
			if strings.Contains(doc, leak) {
				t.Errorf("the notice shows %q", leak)
			}
		}
		// A need the household did not consent to publish is on no board;
		// one whose notice has ended needs none; another county's is not
		// the verifier's.
		if r := b.do(http.MethodGet, "/verify/notices/"+nw.private, nil); r.Code != http.StatusConflict || !strings.Contains(r.Body.String(), "不能张贴公示") ||
			strings.Contains(r.Body.String(), "尿毒症") {
			t.Errorf("a need without consent: %d", r.Code)
		}
		if r := b.do(http.MethodGet, "/verify/notices/"+nw.open, nil); r.Code != http.StatusConflict {
			t.Errorf("a need out of notice: %d", r.Code)
		}
		if r := b.do(http.MethodGet, "/verify/notices/"+nw.elsewhere, nil); r.Code != http.StatusNotFound {
			t.Errorf("another county's need: %d", r.Code)
		}
		// The need's staff page offers the print to its verifier, for a
		// public need in notice only.
		if body := b.do(http.MethodGet, "/staff/needs/"+nw.public, nil).Body.String(); !strings.Contains(body, `href="/verify/notices/`+nw.public+`"`) {
			t.Error("the staff page of a need in notice offers no print")
		}
		if body := b.do(http.MethodGet, "/staff/needs/"+nw.private, nil).Body.String(); strings.Contains(body, `href="/verify/notices/`) {
			t.Error("the staff page of a need without consent offers a print")
		}
		// An objection holds the notice open: the notice says so.
		if body := b.do(http.MethodGet, "/verify/notices/"+nw.held, nil).Body.String(); !strings.Contains(body, "有异议正在核查") {
			t.Error("the held notice does not say it is held")
		}
	})
}

// TestPrintedNoticeBatches: the verifier's list of a place's needs in
// notice, the whole county a page each, a town's board list: each holds
// the public needs in notice of its place only.
func TestPrintedNoticeBatches(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	nw := newNoticeWorld(t, env)
	b := newBrowser(env)
	b.login(nw.verP)
	list := b.do(http.MethodGet, "/verify/notices", nil)
	if list.Code != http.StatusOK {
		t.Fatalf("list: %d", list.Code)
	}
	body := list.Body.String()
	for id, want := range map[string]bool{nw.public: true, nw.held: true, nw.private: false, nw.open: false, nw.elsewhere: false} {
		if strings.Contains(body, "/verify/notices/"+id) != want {
			t.Errorf("the county's list shows %s: %v, want %v", id, !want, want)
		}
	}
	if !strings.Contains(body, `value="`+nw.towns[1]+`"`) {
		t.Error("the towns of the county are not offered")
	}
	pages := b.do(http.MethodGet, "/verify/notices/print?region=371725&layout=pages", nil).Body.String()
	if n := strings.Count(pages, `<article class="sheet"`); n != 2 || !strings.Contains(pages, nw.public) || !strings.Contains(pages, nw.held) {
		t.Errorf("the county's pages: %d sheets", n)
	}
	board := b.do(http.MethodGet, "/verify/notices/print?region="+nw.towns[0]+"&layout=list", nil)
	bb := board.Body.String()
	if board.Code != http.StatusOK || strings.Count(bb, `<article class="sheet list"`) != 1 || !strings.Contains(bb, nw.public) ||
		strings.Contains(bb, nw.held) || strings.Contains(bb, nw.private) || strings.Count(bb, `<svg class="qr"`) != 1 {
		t.Errorf("the town's board list: %d", board.Code)
	}
	for _, leak := range identities {
		if strings.Contains(pages+bb, leak) {
			t.Errorf("a printed batch shows %q", leak)
		}
	}
	if r := b.do(http.MethodGet, "/verify/notices/print?region=371702&layout=list", nil); r.Code != http.StatusForbidden {
		t.Errorf("another county's board: %d", r.Code)
	}
	if r := b.do(http.MethodGet, "/verify/notices/print?region=abc", nil); r.Code != http.StatusBadRequest {
		t.Errorf("a bad place: %d", r.Code)
	}
}
