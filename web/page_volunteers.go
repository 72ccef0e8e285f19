package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// Volunteers' background checks (背景审查) on the pages, which existed only
// in the API (issue 17): federation staff and administrators list the
// volunteers with the state of their check and record a check's result,
// date and note. Same rule as GET /api/v1/volunteers and POST
// /api/v1/volunteers/:id/background-check: those two roles, for any
// volunteer (a volunteer belongs to no organization).

// staffVolunteersPage lists volunteers with the form to record a check.
type staffVolunteersPage struct {
	// Filter is the background status listed ("" for every volunteer).
	Filter     string
	Statuses   []marketplace.BackgroundStatus
	Volunteers []marketplace.Volunteer
	// Today bounds the date field (a check is not in the future).
	Today string
	// Failed is the volunteer whose check was refused, with what was
	// typed and why.
	Failed string
	Values map[string]string
	Error  string
	Errors map[string]string
}

// handleStaffVolunteersPage lists volunteers, by background status when
// asked.
func (s *Server) handleStaffVolunteersPage(c echo.Context) error {
	return s.renderStaffVolunteers(c, http.StatusOK, c.QueryParam("status"), staffVolunteersPage{})
}

// renderStaffVolunteers shows the volunteers whose check is in state
// filter (every volunteer when it is not a state).
func (s *Server) renderStaffVolunteers(c echo.Context, status int, filter string, d staffVolunteersPage) error {
	bg := marketplace.BackgroundStatus(filter)
	if !bg.Valid() {
		bg = ""
	}
	vs, err := s.People.Volunteers(c.Request().Context(), PrincipalOf(c), bg, 500)
	if err != nil {
		return err
	}
	d.Filter, d.Statuses, d.Volunteers = string(bg), marketplace.BackgroundStatuses, vs
	d.Today = s.now().In(kernel.ChinaTime).Format("2006-01-02")
	return s.render(c, status, "staff_volunteers", d)
}

// handleBackgroundCheckForm records a volunteer's background check and
// comes back to the list, or shows the form again beside the volunteer
// with what to correct.
func (s *Server) handleBackgroundCheckForm(c echo.Context) error {
	in := marketplace.BackgroundCheckInput{Status: c.FormValue("status"), CheckedAt: c.FormValue("checked_at"), Note: c.FormValue("note")}
	_, err := s.People.SetBackgroundCheck(c.Request().Context(), PrincipalOf(c), c.Param("id"), in)
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_background_saved")
		back := "/staff/volunteers"
		if f := marketplace.BackgroundStatus(c.FormValue("filter")); f.Valid() {
			back += "?status=" + string(f)
		}
		return c.Redirect(http.StatusSeeOther, back)
	case errors.As(err, &ve):
		d := staffVolunteersPage{Failed: c.Param("id"), Error: s.pageT(c, "form_has_errors"), Errors: map[string]string{},
			Values: map[string]string{"status": in.Status, "checked_at": in.CheckedAt, "note": in.Note}}
		s.fieldErrors(c, ve, nil, d.Errors)
		return s.renderStaffVolunteers(c, http.StatusBadRequest, c.FormValue("filter"), d)
	}
	return err
}

// BgStatus names a background check state.
func (p *page) BgStatus(st marketplace.BackgroundStatus) string {
	return p.T("bg_status_" + string(st))
}
