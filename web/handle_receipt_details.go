package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// The API of receipts a donor can use (issue 18; page_receipts.go has the
// pages): the charity's registration, the donor's receipt details, and the
// finance staff's export.

// registerReceiptRoutes adds the receipt routes under /api/v1.
func (s *Server) registerReceiptRoutes(g *echo.Group) {
	s.only(g, http.MethodPut, "/orgs/:id/registration", s.handleOrgRegistrationPut, kernel.RoleAdmin, kernel.RoleFederationStaff)
	if s.Funds == nil {
		return
	}
	s.only(g, http.MethodGet, "/me/receipt-profile", s.handleReceiptProfileGet, kernel.RoleDonor)
	s.only(g, http.MethodPut, "/me/receipt-profile", s.handleReceiptProfilePut, kernel.RoleDonor)
	s.only(g, http.MethodGet, "/orgs/:id/receipts", s.handleOrgReceipts, kernel.RoleFederationStaff)
}

// orgRegistrationJSON is how an organization is registered.
type orgRegistrationJSON struct {
	CreditCode     string `json:"credit_code"`
	RegisteredName string `json:"registered_name"`
}

// handleOrgRegistrationPut sets an organization's unified social credit
// code and registered name (admin, or federation staff of it).
func (s *Server) handleOrgRegistrationPut(c echo.Context) error {
	var req orgRegistrationJSON
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	o, err := s.Accounts.SetRegistration(c.Request().Context(), PrincipalOf(c), c.Param("id"),
		kernel.OrgRegistration{CreditCode: req.CreditCode, RegisteredName: req.RegisteredName})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, orgRegistrationJSON{CreditCode: o.Registration.CreditCode, RegisteredName: o.Registration.RegisteredName})
}

// receiptProfileJSON is a donor's receipt details as the API shows them
// to the donor: the ID number only masked.
type receiptProfileJSON struct {
	RealName       string     `json:"real_name"`
	IDNumberMasked string     `json:"id_number_masked,omitempty"`
	AsOrg          bool       `json:"as_org"`
	OrgName        string     `json:"org_name"`
	OrgCreditCode  string     `json:"org_credit_code"`
	ReceiptsName   string     `json:"receipts_name"`
	ReceiptsAs     string     `json:"receipts_as"`
	UpdatedAt      *time.Time `json:"updated_at"`
}

func toReceiptProfileJSON(p *funds.DonorProfile) receiptProfileJSON {
	d := p.Donor()
	out := receiptProfileJSON{RealName: p.RealName, AsOrg: p.AsOrg, OrgName: p.OrgName, OrgCreditCode: p.OrgCreditCode,
		ReceiptsName: d.Name, ReceiptsAs: string(d.Kind), UpdatedAt: p.UpdatedAt}
	if p.IDNumber != "" {
		out.IDNumberMasked = maskID(p.IDNumber)
	}
	return out
}

// receiptProfileRequest replaces the details; an absent id_number keeps
// the one on file (while there is a real name), an empty one removes it.
type receiptProfileRequest struct {
	RealName      string  `json:"real_name"`
	IDNumber      *string `json:"id_number"`
	AsOrg         bool    `json:"as_org"`
	OrgName       string  `json:"org_name"`
	OrgCreditCode string  `json:"org_credit_code"`
}

// handleReceiptProfileGet returns the donor's own receipt details.
func (s *Server) handleReceiptProfileGet(c echo.Context) error {
	p, err := s.Funds.MyDonorProfile(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toReceiptProfileJSON(p))
}

// handleReceiptProfilePut replaces the donor's receipt details.
func (s *Server) handleReceiptProfilePut(c echo.Context) error {
	var req receiptProfileRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	in := funds.DonorProfile{RealName: req.RealName, AsOrg: req.AsOrg, OrgName: req.OrgName, OrgCreditCode: req.OrgCreditCode}
	if req.IDNumber != nil {
		in.IDNumber = *req.IDNumber
	} else if strings.TrimSpace(req.RealName) != "" {
		cur, err := s.Funds.MyDonorProfile(ctx, PrincipalOf(c))
		if err != nil {
			return err
		}
		in.IDNumber = cur.IDNumber
	}
	p, err := s.Funds.SetMyDonorProfile(ctx, PrincipalOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toReceiptProfileJSON(p))
}

// receiptExportJSON is one receipt of the export, under the export's
// columns.
type receiptExportJSON struct {
	Number          string `json:"number"`
	ReceiptID       string `json:"receipt_id"`
	DonorName       string `json:"donor_name"`
	DonorIDType     string `json:"donor_id_type"`
	DonorIDNumber   string `json:"donor_id_number"`
	AmountFen       int64  `json:"amount_fen"`
	AmountWords     string `json:"amount_words"`
	Date            string `json:"date"`
	Purpose         string `json:"purpose"`
	Charity         string `json:"charity"`
	CharityCode     string `json:"charity_credit_code"`
	Handler         string `json:"handler"`
	DonorKind       string `json:"donor_kind"`
	DonorCreditCode string `json:"donor_credit_code,omitempty"`
}

// handleOrgReceipts answers the finance export of an organization's
// receipts for a period: JSON, or format=csv (UTF-8 with a BOM) or xlsx
// for the finance bureau's electronic receipt system. Federation staff of
// the organization only (404 for others).
func (s *Server) handleOrgReceipts(c echo.Context) error {
	format := c.QueryParam("format")
	switch format {
	case "", "json", "csv", "xlsx":
	default:
		return kernel.Invalid("format", "must be json, csv or xlsx")
	}
	if format == "" {
		format = "json"
	}
	org, from, to := c.Param("id"), c.QueryParam("from"), c.QueryParam("to")
	_, rs, err := s.Funds.ReceiptsForExport(c.Request().Context(), PrincipalOf(c), funds.ReceiptsFilter{OrgPublicID: org, From: from, To: to, Format: format})
	if err != nil {
		return err
	}
	if format != "json" {
		return s.sendReceiptExport(c, org, from, to, format, rs)
	}
	handler := PrincipalOf(c).User.DisplayName
	items := make([]receiptExportJSON, len(rs))
	for i := range rs {
		r := &rs[i]
		items[i] = receiptExportJSON{Number: r.Number, ReceiptID: r.PublicID, DonorName: r.DonorName, DonorIDType: r.ExportIDType(),
			DonorIDNumber: r.ExportIDNumber(), AmountFen: r.AmountFen, AmountWords: r.Capital(),
			Date: r.IssuedAt.In(kernel.ChinaTime).Format(time.DateOnly), Purpose: r.Purpose, Charity: r.CharityName(),
			CharityCode: r.OrgCreditCode, Handler: handler, DonorKind: string(r.DonorKind), DonorCreditCode: r.DonorCreditCode}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// receiptDetailsJSON is what a receipt says beyond its amount and date.
type receiptDetailsJSON struct {
	DonorKind         string `json:"donor_kind,omitempty"`
	DonorCreditCode   string `json:"donor_credit_code,omitempty"`
	CharityCreditCode string `json:"charity_credit_code,omitempty"`
	AmountWords       string `json:"amount_words"`
	Purpose           string `json:"purpose,omitempty"`
}

func toReceiptDetailsJSON(r *funds.Receipt) receiptDetailsJSON {
	return receiptDetailsJSON{DonorKind: string(r.DonorKind), DonorCreditCode: r.DonorCreditCode, CharityCreditCode: r.OrgCreditCode,
		AmountWords: r.Capital(), Purpose: r.Purpose}
}

// receiptAsJSON is a pledge's choice for its receipt.
type receiptAsJSON struct {
	Kind          string `json:"kind"`
	OrgName       string `json:"org_name"`
	OrgCreditCode string `json:"org_credit_code"`
}

// receiptAs is the choice for the service, nil when there is none.
func (j *receiptAsJSON) receiptAs() *funds.ReceiptAs {
	if j == nil {
		return nil
	}
	return &funds.ReceiptAs{Kind: funds.DonorKind(j.Kind), OrgName: j.OrgName, OrgCreditCode: j.OrgCreditCode}
}
