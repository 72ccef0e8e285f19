package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// Two staff tasks that existed only in the API (issue 17): the queue of
// pledges waiting for their money, confirmed one by one against the bank
// statement or the payment notice, and creating a named fund (冠名基金) or
// a project. Each page is behind the same rule as its API route: staff of
// the receiving or holding organization.

// pledgeQueuePage is the staff's queue of pending pledges.
type pledgeQueuePage struct {
	Pledges []funds.Pledge
	// Confirmed is the reference of the pledge just confirmed.
	Confirmed string
	// NotFound is a reference looked up that none of the staff's pledges has.
	NotFound string
}

// handlePledgeQueuePage lists the pledges the staff's organizations wait
// for, those expiring first first.
func (s *Server) handlePledgeQueuePage(c echo.Context) error {
	ps, err := s.Funds.PendingPledges(c.Request().Context(), PrincipalOf(c), 500)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "staff_pledges", pledgeQueuePage{Pledges: ps, Confirmed: c.QueryParam("confirmed")})
}

// sourceForm is the form for a new fund or project.
type sourceForm struct {
	Values       url.Values
	Errors       map[string]string
	FormErrorMsg string
}

func (f sourceForm) V(k string) string   { return f.Values.Get(k) }
func (f sourceForm) Err(k string) string { return f.Errors[k] }

// handleSourceNewPage shows the form for a new fund or project.
func (s *Server) handleSourceNewPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "staff_source_new", sourceForm{Values: url.Values{"kind": {"fund"}}, Errors: map[string]string{}})
}

// handleSourceCreateForm creates the fund or project, or shows the form
// again with every mistake beside its field.
func (s *Server) handleSourceCreateForm(c echo.Context) error {
	v, err := c.FormParams()
	if err != nil {
		return err
	}
	f := sourceForm{Values: v, Errors: map[string]string{}}
	n := funds.NewSource{Kind: funds.SourceKind(v.Get("kind")), Name: strings.TrimSpace(v.Get("name")),
		Namer: strings.TrimSpace(v.Get("namer")), Purpose: strings.TrimSpace(v.Get("purpose"))}
	// The service checks these too; here so that every mistake shows at
	// once, also when the budget alone would stop the form first.
	if n.Name == "" {
		f.Errors["name"] = s.reasonText(pageLang(c), kernel.Reason{Format: "is required"})
	}
	if n.Kind != funds.KindFund && n.Kind != funds.KindProject {
		f.Errors["kind"] = s.pageT(c, "source_err_kind")
	}
	if b := strings.TrimSpace(v.Get("budget")); b != "" {
		fen, err := funds.ParseYuan(b)
		if err != nil || fen <= 0 {
			f.Errors["budget"] = s.pageT(c, "source_err_budget")
		}
		n.BudgetFen = fen
	}
	if len(f.Errors) == 0 {
		src, err := s.Funds.CreateSource(c.Request().Context(), PrincipalOf(c), n)
		var ve *kernel.ValidationError
		switch {
		case err == nil:
			return c.Redirect(http.StatusSeeOther, "/"+string(src.Kind)+"s/"+src.PublicID+"?created=1")
		case errors.As(err, &ve):
			s.fieldErrors(c, ve, map[string]string{"budget_fen": "budget", "title": "name", "description": "purpose"}, f.Errors)
		default:
			return err
		}
	}
	f.FormErrorMsg = s.pageT(c, "form_has_errors")
	return s.render(c, http.StatusBadRequest, "staff_source_new", f)
}
