package web

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/notify"
)

// Notifications are worded here, from the zh/en catalogue (notice_<kind>_
// subject and _body), for the inbox page, the API and the e-mails and SMS
// the dispatcher sends: public facts only. A need is named by its public
// title, or "一户求助家庭（医疗）" when it has none the public may read; a
// region at county level.

// NoticeRenderer words notifications (notify.Renderer).
type NoticeRenderer struct {
	pages *pages
	// BaseURL is the site's public address, for the links of e-mails
	// ("" leaves them as paths).
	BaseURL string
	// Titles reads the public titles of needs (search.Browse.Titles) for
	// events that carry none; nil names them by category.
	Titles func(ctx context.Context, ids []string) (map[string]string, error)
}

var _ notify.Renderer = (*NoticeRenderer)(nil)

// NewNoticeRenderer returns a renderer over the embedded catalogue.
func NewNoticeRenderer(baseURL string, titles func(ctx context.Context, ids []string) (map[string]string, error)) (*NoticeRenderer, error) {
	p, err := newPages()
	if err != nil {
		return nil, err
	}
	return &NoticeRenderer{pages: p, BaseURL: strings.TrimRight(baseURL, "/"), Titles: titles}, nil
}

// notice is an event worded: subject, body, link, and the values an SMS
// template fills in.
type notice struct {
	Subject, Body, Link string
	Vars                map[string]string
}

// page returns a page in lang for wording outside a request.
func (r *NoticeRenderer) page(lang string) *page {
	if lang != "en" {
		lang = "zh"
	}
	return &page{Lang: lang, loc: i18n.NewLocalizer(r.pages.bundle, lang), div: r.pages.div}
}

// title is the event's need title: its own, or the public one now.
func (r *NoticeRenderer) title(ctx context.Context, e notify.Event) string {
	if e.Title != "" || e.Need == "" || r.Titles == nil {
		return e.Title
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	t, err := r.Titles(ctx, []string{e.Need})
	if err != nil {
		return ""
	}
	return t[e.Need]
}

// wordNotice words e on p, the need's title being title.
func wordNotice(p *page, e notify.Event, title string) notice {
	cat := p.T("notice_category_unknown")
	if e.Category != "" {
		cat = p.Cat(e.Category)
	}
	need := p.T("need_generic_title")
	switch {
	case title != "":
		need = p.Tf("notice_need_titled", "Title", title)
	case e.Category != "":
		need = p.Tf("notice_need_generic", "Category", cat)
	}
	at := func(name string) string {
		t, err := time.Parse(time.RFC3339, e.Param(name))
		if err != nil {
			return ""
		}
		return p.DateTime(t)
	}
	period := e.Param("period")
	if t, err := time.Parse("2006-01", period); err == nil {
		if p.Lang == "en" {
			period = t.Format("January 2006")
		} else {
			period = fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
		}
	}
	decision := ""
	if d := e.Param("decision"); d != "" {
		decision = p.T("notice_decision_" + d)
	}
	vars := map[string]string{
		"need": need, "region": p.County(e.Region), "category": cat, "amount": kernel.FormatYuan(e.AmountFen), "org": e.Param("org"),
		"due": at("due"), "ends": at("ends"), "expires": at("expires"), "decision": decision, "programme": p.Prog(kernel.Programme(e.Param("programme"))),
		"service": p.Svc(kernel.Service(e.Param("service"))), "period": period,
		"accepted": e.Param("accepted"), "duplicates": e.Param("duplicates"), "rejected": e.Param("rejected"),
	}
	data := map[string]any{}
	for k, v := range vars {
		data[strings.ToUpper(k[:1])+k[1:]] = v
	}
	body := "notice_" + string(e.Kind) + "_body"
	if e.Need != "" && (e.Kind == notify.KindPledgeConfirmed || e.Kind == notify.KindMonthlyGiftTaken) {
		body += "_need"
	}
	loc := func(id string) string {
		s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
		if err != nil {
			return id
		}
		return s
	}
	used := map[string]string{}
	for k, v := range vars {
		if v != "" {
			used[k] = v
		}
	}
	return notice{Subject: loc("notice_" + string(e.Kind) + "_subject"), Body: loc(body), Link: e.Link, Vars: used}
}

// linkFor is a notice's link as p may follow it: "" for the pages of a
// role p does not hold (a verifier told of a report, which social workers
// take on, has no page of it to open).
func linkFor(p *kernel.Principal, link string) string {
	for prefix, role := range map[string]kernel.Role{"/worker/": kernel.RoleSocialWorker, "/verify/": kernel.RoleVerifier,
		"/volunteer": kernel.RoleVolunteer, "/my/giving": kernel.RoleDonor} {
		if strings.HasPrefix(link, prefix) && !p.Has(role) {
			return ""
		}
	}
	return link
}

// Word words e in lang for a page or the API.
func (r *NoticeRenderer) Word(ctx context.Context, e notify.Event, lang string) notice {
	return wordNotice(r.page(lang), e, r.title(ctx, e))
}

var noticeHTML = template.Must(template.New("notice").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;line-height:1.6;color:#1d232a">
<p>{{.Body}}</p>
{{with .Link}}<p><a href="{{.}}">{{$.Open}}</a></p>{{end}}
<hr style="border:0;border-top:1px solid #d6dbe0">
<p style="color:#4d5761;font-size:13px">{{.Footer}} <a href="{{.Prefs}}">{{.Prefs}}</a></p>
</body></html>`))

// Render implements notify.Renderer: the subject, a plain text and an
// HTML e-mail with the link and where to change one's choices, and the
// SMS variables.
func (r *NoticeRenderer) Render(ctx context.Context, e notify.Event, lang string) (notify.Rendered, error) {
	p := r.page(lang)
	n := wordNotice(p, e, r.title(ctx, e))
	link := ""
	if n.Link != "" {
		link = r.BaseURL + n.Link
	}
	prefs := r.BaseURL + "/my/notifications"
	var text strings.Builder
	text.WriteString(n.Body)
	if link != "" {
		fmt.Fprintf(&text, "\n\n%s", p.Tf("notice_link_line", "Link", link))
	}
	fmt.Fprintf(&text, "\n\n--\n%s %s\n", p.T("notice_email_footer"), prefs)
	var html bytes.Buffer
	lang = map[string]string{"en": "en", "zh": "zh-CN"}[p.Lang]
	err := noticeHTML.Execute(&html, map[string]string{"Lang": lang, "Subject": n.Subject, "Body": n.Body, "Link": link,
		"Open": p.T("notice_open_link"), "Footer": p.T("notice_email_footer"), "Prefs": prefs})
	if err != nil {
		return notify.Rendered{}, err
	}
	return notify.Rendered{Subject: n.Subject, Text: text.String(), HTML: html.String(), Vars: n.Vars}, nil
}
