package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
)

// Pages over the funds service: funds and projects with their public books,
// the disclosure register, money on a need's page, and the federation
// staff's allocation, disbursement and pledge confirmation.

// needAllocations are the allocations to a need, public facts only (the
// payee is never shown here). Allocations are public in the disclosure
// register; the funds service has no per-need listing, so this reads its
// store, as the register does.
func (s *Server) needAllocations(ctx context.Context, needID string) ([]funds.Allocation, error) {
	st, err := s.Funds.Store.Need(ctx, needID)
	if err != nil {
		return nil, err
	}
	return s.Funds.Store.AllocationsOf(ctx, 0, st.ID)
}

// moneyRows turns allocations into the lines of "where the money went".
func moneyRows(as []funds.Allocation) []disclosureRow {
	var out []disclosureRow
	for _, a := range as {
		if a.Status == funds.AllocReversed {
			continue
		}
		out = append(out, disclosureRow{At: a.CreatedAt, Kind: "allocation", Source: a.SourceName, SourceType: string(a.SourceKind), AmountFen: a.AmountFen})
		if a.DisbursedAt != nil {
			out = append(out, disclosureRow{At: *a.DisbursedAt, Kind: "disbursement", Source: a.SourceName, SourceType: string(a.SourceKind), AmountFen: a.AmountFen})
		}
	}
	return out
}

// sourcePage is a fund's or project's public page with its books.
type sourcePage struct {
	Source  *funds.Source
	Lines   []funds.LedgerLine
	Pledge  *pledgeForm
	Running bool
	Titles  needTitles
}

// handleSourcePage shows a fund or project with its public books.
func (s *Server) handleSourcePage(kind funds.SourceKind) echo.HandlerFunc {
	return func(c echo.Context) error { return s.renderSourcePage(c, http.StatusOK, kind, c.Param("id"), nil) }
}

func (s *Server) renderSourcePage(c echo.Context, status int, kind funds.SourceKind, id string, form *pledgeForm) error {
	src, lines, err := s.Funds.Ledger(c.Request().Context(), kind, id, 100, 0)
	if err != nil {
		return err
	}
	if form == nil {
		form = &pledgeForm{TargetType: string(kind), TargetID: src.PublicID, Key: newFormKey()}
	}
	var ids []string
	for _, l := range lines {
		if l.RefType == "need" { // a need the books withhold has no id left
			ids = append(ids, l.RefID)
		}
	}
	titles, err := s.needTitles(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	return s.render(c, status, "source", sourcePage{Source: src, Lines: lines, Pledge: form, Running: src.Running(s.now()), Titles: titles})
}

// sourcesPage lists funds and projects.
type sourcesPage struct {
	Funds, Projects []funds.Source
}

// handleSourcesPage lists the funds and projects people can give to.
func (s *Server) handleSourcesPage(c echo.Context) error {
	ctx := c.Request().Context()
	fs, err := s.Funds.Sources(ctx, funds.KindFund, 100, 0)
	if err != nil {
		return err
	}
	ps, err := s.Funds.Sources(ctx, funds.KindProject, 100, 0)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "sources", sourcesPage{Funds: fs, Projects: ps})
}

// handleDisclosuresPage is the public register of allocations and
// disbursements.
func (s *Server) handleDisclosuresPage(c echo.Context) error {
	page := atoiDefault(c.QueryParam("page"), 1)
	const per = 50
	f := funds.DisclosureFilter{Limit: per + 1, Offset: (page - 1) * per, SourceID: c.QueryParam("source")}
	if r := c.QueryParam("region"); r != "" {
		f.RegionPrefix = r
	}
	ds, err := s.Funds.Disclosures(c.Request().Context(), f)
	var ve *kernel.ValidationError
	if errors.As(err, &ve) {
		return echo.NewHTTPError(http.StatusBadRequest, "bad filter")
	}
	if err != nil {
		return err
	}
	total := (page-1)*per + len(ds)
	if len(ds) > per {
		ds = ds[:per]
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.NeedID
	}
	titles, err := s.needTitles(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "disclosures", disclosuresPage{ds, newPager("/disclosures", c.QueryParams(), page, per, total), titles})
}

// disclosuresPage is a page of the public disclosures.
type disclosuresPage struct {
	Lines  []funds.Disclosure
	Pager  pager
	Titles needTitles
}

// staffMoney is what federation staff see and do about a need's money.
type staffMoney struct {
	Allocations []funds.Allocation
	Sources     []funds.Source
	Key         string
}

// staffMoneyOf loads the need's allocations the user may see (those of
// their organization's funds and projects, as GET /allocations/{id}) and
// the sources that may give.
func (s *Server) staffMoneyOf(c echo.Context, needID string) (*staffMoney, error) {
	ctx := c.Request().Context()
	as, err := s.needAllocations(ctx, needID)
	if err != nil && !errors.Is(err, kernel.ErrNotFound) {
		return nil, err
	}
	p := PrincipalOf(c)
	m := &staffMoney{Key: newFormKey()}
	for i := range as {
		if funds.MaySeeAllocation(p, &as[i]) {
			m.Allocations = append(m.Allocations, as[i])
		}
	}
	for _, k := range []funds.SourceKind{funds.KindFund, funds.KindProject} {
		ss, err := s.Funds.Sources(ctx, k, 200, 0)
		if err != nil {
			return nil, err
		}
		for _, src := range ss {
			if p.InOrg(kernel.RoleFederationStaff, src.OrgID) && src.Running(s.now()) {
				m.Sources = append(m.Sources, src)
			}
		}
	}
	return m, nil
}

// moneyView is the federation staff's page of a need's money.
type moneyView struct {
	Need  *marketplace.PublicNeed
	Money *staffMoney
	Error string
}

// handleStaffMoneyPage shows federation staff a need's allocations, with
// the forms to allocate from their funds and projects and to disburse.
// Staff see only the public projection of the need: the identity stays
// with the posting organization and the verifiers.
func (s *Server) handleStaffMoneyPage(c echo.Context) error {
	return s.renderStaffMoney(c, http.StatusOK, "")
}

func (s *Server) renderStaffMoney(c echo.Context, status int, msg string) error {
	n, err := s.pages.needs.Need(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	m, err := s.staffMoneyOf(c, n.ID)
	if err != nil {
		return err
	}
	return s.render(c, status, "staff_money", moneyView{Need: n, Money: m, Error: msg})
}

// handleAllocateForm allocates money from a fund or project to the need.
func (s *Server) handleAllocateForm(c echo.Context) error {
	needID := c.Param("id")
	kind, srcID, ok := cutSource(c.FormValue("source"))
	fen, perr := ParseYuan(c.FormValue("amount"))
	if !ok || perr != nil || fen <= 0 {
		return s.renderStaffMoney(c, http.StatusBadRequest, s.pageT(c, "form_bad_amount"))
	}
	_, err := s.onceByForm(c, c.FormValue("source")+"\n"+itoa(fen), func(idem *funds.Idem) (string, error) {
		a, err := s.Funds.Allocate(c.Request().Context(), PrincipalOf(c), kind, srcID, needID, fen, idem)
		if err != nil {
			return "", err
		}
		return a.PublicID, nil
	})
	if err != nil {
		return s.moneyError(c, err)
	}
	s.setFlash(c, "flash_allocated")
	return c.Redirect(http.StatusSeeOther, "/staff/money/"+needID)
}

// handleDisburseForm pays an allocation out (to a provider of the kind
// chosen, or the household).
func (s *Server) handleDisburseForm(c echo.Context) error {
	payee := funds.Payee{Type: funds.PayeeType(c.FormValue("payee_type")), Name: c.FormValue("payee_name"), Reference: c.FormValue("reference")}
	kind := funds.ProviderKind(c.FormValue("provider_kind"))
	_, err := s.onceByForm(c, c.FormValue("allocation")+"\n"+payee.Name+"\n"+payee.Reference+"\n"+string(kind), func(idem *funds.Idem) (string, error) {
		a, err := s.Funds.DisburseAllocation(c.Request().Context(), PrincipalOf(c), c.FormValue("allocation"), payee, kind, idem)
		if err != nil {
			return "", err
		}
		return a.PublicID, nil
	})
	if err != nil {
		return s.moneyError(c, err)
	}
	s.setFlash(c, "flash_disbursed")
	return c.Redirect(http.StatusSeeOther, "/staff/money/"+c.Param("id"))
}

// moneyError shows why money did not move on the need's page.
func (s *Server) moneyError(c echo.Context, err error) error {
	var ie *funds.IneligibleError
	var ve *kernel.ValidationError
	switch {
	case errors.As(err, &ie):
		return s.renderStaffMoney(c, http.StatusConflict, s.pageT(c, "action_refused")+" "+s.ineligibleReason(c, ie))
	case refusedWithDetails(err):
		status, _ := toAPIError(err)
		return s.renderStaffMoney(c, status, s.pageT(c, "action_refused")+" "+s.userMessage(c, err, ""))
	case errors.As(err, &ve):
		return s.renderStaffMoney(c, http.StatusBadRequest, s.pageT(c, "form_has_errors")+" "+s.fieldsText(c, ve))
	case errors.Is(err, kernel.ErrConflict), errors.Is(err, kernel.ErrForbidden):
		// The status is the API's for the same refusal (toAPIError):
		// 403 for another organization's money, 409 for a conflict.
		status, _ := toAPIError(err)
		return s.renderStaffMoney(c, status, s.pageT(c, "action_refused")+" "+s.userMessage(c, err, ""))
	}
	return err
}

func cutSource(v string) (funds.SourceKind, string, bool) {
	for _, k := range []funds.SourceKind{funds.KindFund, funds.KindProject} {
		if len(v) > len(k)+1 && v[:len(k)+1] == string(k)+":" {
			return k, v[len(k)+1:], true
		}
	}
	return "", "", false
}

// handlePledgeConfirmForm records, for staff of the receiving organization,
// that a pledge's money arrived.
func (s *Server) handlePledgeConfirmForm(c echo.Context) error {
	p, err := s.Funds.ConfirmPledge(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	s.setFlash(c, "flash_pledge_confirmed")
	if c.FormValue("from") == "queue" {
		// Back to the queue, which says which pledge was confirmed.
		return c.Redirect(http.StatusSeeOther, "/staff/pledges?confirmed="+url.QueryEscape(p.Reference))
	}
	return c.Redirect(http.StatusSeeOther, "/my/pledges/"+c.Param("id"))
}
