package web

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// printMedia emulates (or, with "", stops emulating) the print media type.
func printMedia(media string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}

// printToPDF prints the page as Chromium's print dialog would, with the
// page's own @page size.
func printToPDF() chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		yes := true
		r, err := cdp.Call(ctx, t, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: &yes, PrintBackground: &yes})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}
}

var (
	pdfPageRe     = regexp.MustCompile(`/Type\s*/Page\b[^s]`)
	pdfMediaBoxRe = regexp.MustCompile(`/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]`)
)

// TestBrowserReceiptPrintsOnOneA4Page: the donor's receipt page, printed
// from Chromium, is one A4 page with the receipt and without the site's
// header, navigation and buttons; on screen they are there. The receipt
// details page and the staff's export page open too.
func TestBrowserReceiptPrintsOnOneA4Page(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	s := newSite(t, env)
	ctx := context.Background()
	_, staff := env.user(kernel.RoleFederationStaff, nil)
	fed := env.orgs[kernel.OrgCharityFederation]
	if _, err := env.accounts.SetRegistration(ctx, staff, fed.PublicID, kernel.OrgRegistration{CreditCode: fedCreditCode(t), RegisteredName: "郓城县慈善总会"}); err != nil {
		t.Fatal(err)
	}
	fund := env.fundWithBalance(staff, kernel.Restrictions{}, 10_000)
	_, donor := env.user(kernel.RoleDonor, nil)
	if _, err := env.funds.SetMyDonorProfile(ctx, donor, funds.DonorProfile{AsOrg: true, OrgName: "郓城县某某商贸有限公司", OrgCreditCode: "91350100M000100Y43"}); err != nil {
		t.Fatal(err)
	}
	p, err := env.funds.CreatePledge(ctx, donor, funds.NewPledge{TargetType: funds.TargetFund, TargetID: fund, AmountFen: 1_000_500}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = env.funds.ConfirmPledge(ctx, staff, p.PublicID); err != nil {
		t.Fatal(err)
	}

	b := s.tab(t)
	b.login(donor.User.Email, "password-donor")
	b.open("/my/receipts/" + p.ReceiptID)
	if got := b.text("#r-words"); got != "壹万零伍元整" {
		t.Errorf("in words on screen: %q", got)
	}
	if got := b.text("#r-donor-code"); got != "91350100M000100Y43" {
		t.Errorf("the donor's code on screen: %q", got)
	}
	shown := func(css string) bool {
		return evalIn[bool](b, `getComputedStyle(document.querySelector(`+strconv.Quote(css)+`)).display !== "none"`)
	}
	if !shown("header.site") || !shown(".receipt-actions") {
		t.Error("the site's header or the print button is hidden on screen")
	}
	b.screenshot("receipt")

	b.do(printMedia("print"))
	if shown("header.site") || shown(".receipt-actions") || shown("footer.site") {
		t.Error("printing shows the site's header, footer or buttons")
	}
	if !shown(".receipt-doc") || !shown("#r-words") {
		t.Error("printing hides the receipt")
	}
	b.screenshot("receipt-print")
	pdf := run(b, printToPDF())
	b.do(printMedia(""))
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("Chromium printed %.20q", pdf)
	}
	if n := len(pdfPageRe.FindAll(pdf, -1)); n != 1 {
		t.Errorf("the receipt prints on %d pages, want 1", n)
	}
	m := pdfMediaBoxRe.FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no media box in the printed PDF")
	}
	w, _ := strconv.ParseFloat(string(m[1]), 64)
	h, _ := strconv.ParseFloat(string(m[2]), 64)
	if w < 593 || w > 598 || h < 839 || h > 845 {
		t.Errorf("printed on %.1f×%.1f pt, want A4 (595×842)", w, h)
	}

	// The donor's receipt details and the staff's export, as they look.
	b.open("/my/receipt-profile")
	if got := b.text("#receipt-shown"); !strings.Contains(got, "郓城县某某商贸有限公司") {
		t.Errorf("the details page says %q", got)
	}
	b.screenshot("receipt-profile")
	sb := s.tab(t)
	sb.login(staff.User.Email, "password-federation_staff")
	sb.open("/staff/receipts")
	sb.click(`form[action="/staff/receipts"] button[type="submit"]`)
	if got := sb.waitText("#rx-result", "张票据"); !strings.Contains(got, "共 2 张票据") {
		t.Errorf("the export lists %q", got)
	}
	sb.screenshot("staff-receipts")
}
