package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/funds/receiptdoc"
	"github.com/jiujinan/jiujinan/kernel"
)

// Receipts a donor can use (issue 18): the printable receipt page and its
// PDF, the donor's receipt details (real name, or an organization they
// give as), the charity's registration on /staff/org, and the export its
// finance staff issue the official 公益事业捐赠统一票据 from.

// registerReceiptPages adds the pages of receipts.
func (s *Server) registerReceiptPages() {
	if s.Funds == nil {
		return
	}
	e := s.Echo
	e.GET("/my/receipts/:id/pdf", s.handleMyReceiptPDF, requireAuth)
	donor := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleDonor)}
	e.GET("/my/receipt-profile", s.handleReceiptProfilePage, donor...)
	e.POST("/my/receipt-profile", s.handleReceiptProfileForm, donor...)
	fed := []echo.MiddlewareFunc{requireAuth, requireRole(kernel.RoleFederationStaff)}
	e.GET("/staff/receipts", s.handleStaffReceiptsPage, fed...)
	e.GET("/staff/receipts/file", s.handleStaffReceiptsFile, fed...)
	e.POST("/staff/org/registration", s.handleOrgRegistrationForm, requireAuth, requireRole(kernel.RoleFederationStaff, kernel.RoleAdmin))
}

// receiptFact is one line of a receipt, as the page and the PDF show it.
type receiptFact struct{ ID, Label, Value string }

// receiptView is a receipt as its printable page shows it.
type receiptView struct {
	*funds.Receipt
	Facts []receiptFact
}

// dateIn formats t's China date as page.Date does.
func dateIn(lang string, t time.Time) string {
	t = t.In(kernel.ChinaTime)
	if lang == "en" {
		return t.Format("2 Jan 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// receiptFacts are what a receipt says, labelled in the reader's language:
// the charity as registered, the donor (匿名, a person's real name, or an
// organization with its credit code), the amount in figures and capital
// numerals, the date and the purpose.
func (s *Server) receiptFacts(c echo.Context, r *funds.Receipt) []receiptFact {
	t := func(id string) string { return s.pageT(c, id) }
	or := func(v, alt string) string {
		if v == "" {
			return alt
		}
		return v
	}
	missing := t("receipt_not_entered")
	facts := []receiptFact{
		{"r-number", t("receipt_number"), r.Number},
		{"r-org", t("receipt_org"), r.CharityName()},
		{"r-org-code", t("receipt_org_code"), or(r.OrgCreditCode, missing)},
		{"r-donor", t("receipt_donor"), or(r.DonorName, funds.AnonymousName)},
	}
	if r.DonorKind == funds.DonorOrg {
		facts = append(facts, receiptFact{"r-donor-code", t("receipt_donor_code"), r.DonorCreditCode})
	}
	return append(facts,
		receiptFact{"r-amount", t("receipt_amount"), kernel.FormatYuan(r.AmountFen)},
		receiptFact{"r-words", t("receipt_amount_words"), r.Capital()},
		receiptFact{"r-date", t("col_date"), dateIn(pageLang(c), r.IssuedAt)},
		receiptFact{"r-purpose", t("receipt_purpose"), or(r.Purpose, missing)},
	)
}

// handleMyReceiptPDF sends a receipt as a PDF to its donor or the issuing
// charity's staff.
func (s *Server) handleMyReceiptPDF(c echo.Context) error {
	r, err := s.Funds.Receipt(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.sendReceiptPDF(c, r)
}

// sendReceiptPDF writes r as an A4 PDF download.
func (s *Server) sendReceiptPDF(c echo.Context, r *funds.Receipt) error {
	doc := receiptdoc.Receipt{Title: s.pageT(c, "receipt_title"), Note: s.pageT(c, "receipt_note"),
		Footer: s.pageTf(c, "receipt_footer", map[string]any{"Site": s.pageT(c, "site_name")}), Issued: r.IssuedAt}
	for _, f := range s.receiptFacts(c, r) {
		doc.Rows = append(doc.Rows, receiptdoc.Row{Label: f.Label, Value: f.Value})
	}
	if r.VoidedAt != nil {
		doc.Void = s.pageT(c, "receipt_void_stamp")
	}
	var b bytes.Buffer
	if err := receiptdoc.PDF(&b, doc); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="receipt-`+r.Number+`.pdf"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/pdf", b.Bytes())
}

// maskID shows an ID number to its owner as 1101**********4514.
func maskID(id string) string {
	if len(id) < 8 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + strings.Repeat("*", len(id)-8) + id[len(id)-4:]
}

// receiptProfilePage is the donor's form for their receipt details.
type receiptProfilePage struct {
	RealName string
	// IDMasked is the ID number on file, masked; the field itself starts
	// empty, and an empty field keeps it.
	IDMasked      string
	AsOrg         bool
	OrgName       string
	OrgCreditCode string
	// Shown is how the donor's receipts name them now.
	Shown  funds.ReceiptDonor
	Errors map[string]string
	Error  string
}

// profileFields are the form's fields by the service's names.
var profileFields = map[string]string{"real_name": "real_name", "id_number": "id_number", "org_name": "org_name", "org_credit_code": "org_credit_code"}

// handleReceiptProfilePage shows the donor's receipt details.
func (s *Server) handleReceiptProfilePage(c echo.Context) error {
	p, err := s.Funds.MyDonorProfile(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "my_receipt_profile", profileView(p))
}

func profileView(p *funds.DonorProfile) receiptProfilePage {
	d := receiptProfilePage{RealName: p.RealName, AsOrg: p.AsOrg, OrgName: p.OrgName, OrgCreditCode: p.OrgCreditCode, Shown: p.Donor()}
	if p.IDNumber != "" {
		d.IDMasked = maskID(p.IDNumber)
	}
	return d
}

// handleReceiptProfileForm saves the donor's receipt details. An empty ID
// number field keeps the one on file while there is a real name;
// "clear_id_number" (or no name) removes it.
func (s *Server) handleReceiptProfileForm(c echo.Context) error {
	ctx := c.Request().Context()
	by := PrincipalOf(c)
	cur, err := s.Funds.MyDonorProfile(ctx, by)
	if err != nil {
		return err
	}
	in := funds.DonorProfile{RealName: c.FormValue("real_name"), IDNumber: strings.TrimSpace(c.FormValue("id_number")),
		AsOrg: c.FormValue("as_org") != "", OrgName: c.FormValue("org_name"), OrgCreditCode: c.FormValue("org_credit_code")}
	if in.IDNumber == "" && c.FormValue("clear_id_number") == "" && strings.TrimSpace(in.RealName) != "" {
		in.IDNumber = cur.IDNumber // the number on file stays with a name
	}
	_, err = s.Funds.SetMyDonorProfile(ctx, by, in)
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		d := profileView(cur)
		d.RealName, d.AsOrg, d.OrgName, d.OrgCreditCode = in.RealName, in.AsOrg, in.OrgName, in.OrgCreditCode
		d.Errors, d.Error = map[string]string{}, s.pageT(c, "form_has_errors")
		s.fieldErrors(c, ve, profileFields, d.Errors)
		return s.render(c, http.StatusBadRequest, "my_receipt_profile", d)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "flash_receipt_profile_saved")
	return c.Redirect(http.StatusSeeOther, "/my/receipt-profile")
}

// receiptAsValues is the pledge form's choice for its receipt: Kind ""
// (as the donor's receipt details say), person, anonymous or org.
type receiptAsValues struct{ Kind, OrgName, OrgCode string }

func receiptAsValuesOf(c echo.Context) receiptAsValues {
	return receiptAsValues{Kind: c.FormValue("receipt_as"), OrgName: c.FormValue("receipt_org_name"), OrgCode: c.FormValue("receipt_org_code")}
}

// content is the choice as part of the form's idempotent content.
func (v receiptAsValues) content() string {
	if v.Kind == "" {
		return ""
	}
	return "\nreceipt:" + v.Kind + "\n" + v.OrgName + "\n" + v.OrgCode
}

// receiptAsForm reads the pledge form's choice for its receipt; nil leaves
// it to the donor's receipt details.
func receiptAsForm(c echo.Context) *funds.ReceiptAs {
	v := receiptAsValuesOf(c)
	if v.Kind == "" {
		return nil
	}
	a := &funds.ReceiptAs{Kind: funds.DonorKind(v.Kind)}
	if a.Kind == funds.DonorOrg {
		a.OrgName, a.OrgCreditCode = v.OrgName, v.OrgCode
	}
	return a
}

// receiptAsProblem reports whether the pledge's receipt choice is what
// the validation refused.
func receiptAsProblem(ve *kernel.ValidationError) bool {
	for f := range ve.Fields {
		if strings.HasPrefix(f, "receipt_as.") {
			return true
		}
	}
	return false
}

// staffReceiptsPage is the finance staff's export of receipts for the
// official 公益事业捐赠统一票据.
type staffReceiptsPage struct {
	Orgs     []*kernel.Org
	Org      string
	From, To string
	// Listed: the period was asked for; Rows are its receipts.
	Listed   bool
	Rows     []receiptExportRow
	TotalFen int64
	Query    string
	Error    string
	Invalid  map[string]string
}

// receiptExportRow is a receipt as the page lists it: the ID number masked.
type receiptExportRow struct {
	PublicID, Number, Donor, IDType, IDNumber, Words, Date, Purpose string
	AmountFen                                                       int64
}

// staffReceiptsForm is the page with the caller's charity federations and
// the period asked for (this month so far by default).
func (s *Server) staffReceiptsForm(c echo.Context) staffReceiptsPage {
	d := staffReceiptsPage{Org: c.QueryParam("org"), From: c.QueryParam("from"), To: c.QueryParam("to"), Invalid: map[string]string{}}
	for _, o := range PrincipalOf(c).OrgsWith(kernel.RoleFederationStaff) {
		d.Orgs = append(d.Orgs, o)
	}
	if d.Org == "" && len(d.Orgs) > 0 {
		d.Org = d.Orgs[0].PublicID
	}
	if d.From == "" && d.To == "" {
		now := time.Now()
		if s.pages.now != nil {
			now = s.pages.now()
		}
		now = now.In(kernel.ChinaTime)
		d.From = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, kernel.ChinaTime).Format(time.DateOnly)
		d.To = now.Format(time.DateOnly)
	}
	return d
}

// receiptsForExport runs the export for the page's form, or answers the page
// with its problems (ok false).
func (s *Server) receiptsForExport(c echo.Context, d *staffReceiptsPage, format string) ([]funds.Receipt, bool, error) {
	_, rs, err := s.Funds.ReceiptsForExport(c.Request().Context(), PrincipalOf(c), funds.ReceiptsFilter{OrgPublicID: d.Org, From: d.From, To: d.To, Format: format})
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		d.Error = s.pageT(c, "form_has_errors")
		s.fieldErrors(c, ve, nil, d.Invalid)
		return nil, false, s.render(c, http.StatusBadRequest, "staff_receipts", *d)
	}
	return rs, err == nil, err
}

// handleStaffReceiptsPage shows the form and, once a period is asked for,
// the receipts it would export.
func (s *Server) handleStaffReceiptsPage(c echo.Context) error {
	d := s.staffReceiptsForm(c)
	if c.QueryParam("from") == "" || len(d.Orgs) == 0 {
		return s.render(c, http.StatusOK, "staff_receipts", d)
	}
	rs, ok, err := s.receiptsForExport(c, &d, "page")
	if !ok {
		return err
	}
	d.Listed = true
	d.Query = url.Values{"org": {d.Org}, "from": {d.From}, "to": {d.To}}.Encode()
	for i := range rs {
		r := &rs[i]
		id := r.ExportIDNumber()
		if r.DonorKind == funds.DonorPerson {
			id = maskID(id)
		}
		d.Rows = append(d.Rows, receiptExportRow{PublicID: r.PublicID, Number: r.Number, Donor: r.DonorName, IDType: r.ExportIDType(),
			IDNumber: id, Words: r.Capital(), Date: dateIn(pageLang(c), r.IssuedAt), Purpose: r.Purpose, AmountFen: r.AmountFen})
		d.TotalFen += r.AmountFen
	}
	return s.render(c, http.StatusOK, "staff_receipts", d)
}

// handleStaffReceiptsFile sends the export as CSV or xlsx, as the API does.
func (s *Server) handleStaffReceiptsFile(c echo.Context) error {
	d := s.staffReceiptsForm(c)
	format := c.QueryParam("format")
	if format != "csv" && format != "xlsx" {
		d.Error = s.pageT(c, "form_has_errors")
		d.Invalid["format"] = s.pageT(c, "field_invalid")
		return s.render(c, http.StatusBadRequest, "staff_receipts", d)
	}
	rs, ok, err := s.receiptsForExport(c, &d, format)
	if !ok {
		return err
	}
	return s.sendReceiptExport(c, d.Org, d.From, d.To, format, rs)
}

// sendReceiptExport writes the export file; the 经办人 is the staff
// member who downloads it, who issues the official receipts.
func (s *Server) sendReceiptExport(c echo.Context, org, from, to, format string, rs []funds.Receipt) error {
	handler := PrincipalOf(c).User.DisplayName
	rows := make([][]string, len(rs))
	for i := range rs {
		rows[i] = rs[i].ExportRow(handler)
	}
	var b bytes.Buffer
	ct := "text/csv; charset=utf-8"
	switch format {
	case "xlsx":
		cols := make([]int, len(funds.ReceiptExportHeader))
		cols[5] = receiptdoc.ColAmount // 捐赠金额
		if err := receiptdoc.XLSX(&b, funds.ReceiptExportHeader, cols, rows); err != nil {
			return err
		}
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	default:
		if err := funds.WriteReceiptsCSV(&b, rows); err != nil {
			return err
		}
	}
	name := "receipts-" + org + "-" + from + "-" + to + "." + format
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, ct, b.Bytes())
}

// orgRegistrationFields are the registration form's fields.
var orgRegistrationFields = map[string]string{"credit_code": "credit_code", "registered_name": "registered_name"}

// handleOrgRegistrationForm saves the organization's credit code and
// registered name from /staff/org, and shows the page again.
func (s *Server) handleOrgRegistrationForm(c echo.Context) error {
	org, err := s.staffOrg(c)
	if err != nil {
		return err
	}
	if org == nil {
		return kernel.ErrNotFound
	}
	reg := kernel.OrgRegistration{CreditCode: c.FormValue("credit_code"), RegisteredName: c.FormValue("registered_name")}
	_, err = s.Accounts.SetRegistration(c.Request().Context(), PrincipalOf(c), org.PublicID, reg)
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		d := orgAccountPage{Org: org, Account: org.Collection, Registration: reg, RegErrors: map[string]string{}, RegError: s.pageT(c, "form_has_errors")}
		s.fieldErrors(c, ve, orgRegistrationFields, d.RegErrors)
		if d.Pay, err = s.payChannelsOf(c, org); err != nil {
			return err
		}
		if PrincipalOf(c).Has(kernel.RoleAdmin) {
			if d.Orgs, err = s.Accounts.Store.ListOrgs(c.Request().Context()); err != nil {
				return err
			}
		}
		return s.render(c, http.StatusBadRequest, "staff_org", d)
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "flash_org_registration_saved")
	return c.Redirect(http.StatusSeeOther, "/staff/org?org="+org.PublicID+"#registration")
}
