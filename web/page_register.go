package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// registerPage is the sign-up form for donors and volunteers.
type registerPage struct {
	Email, DisplayName, Role string
	Next                     string
	// Errors holds a message per field (email, password, display_name,
	// role), already in the page's language.
	Errors map[string]string
	Error  string
	MinPw  int
}

// handleRegisterPage shows the sign-up form.
func (s *Server) handleRegisterPage(c echo.Context) error {
	role := c.QueryParam("role")
	if role != string(kernel.RoleVolunteer) {
		role = string(kernel.RoleDonor)
	}
	return s.render(c, http.StatusOK, "register", registerPage{Role: role, Next: nextPath(c), MinPw: marketplace.MinPasswordLen})
}

// registerFieldMessages names the catalogue message shown beside each field
// the account service refuses; the service's own reasons are English.
var registerFieldMessages = map[string]string{
	"email":        "register_err_email",
	"password":     "register_err_password",
	"display_name": "register_err_display_name",
	"role":         "register_err_role",
}

// handleRegisterForm creates a donor or volunteer account through the same
// service and validation as POST /api/v1/auth/register, signs the new
// account in and returns to the page the visitor came from.
func (s *Server) handleRegisterForm(c echo.Context) error {
	d := registerPage{Email: c.FormValue("email"), DisplayName: c.FormValue("display_name"), Role: c.FormValue("role"),
		Next: nextPath(c), MinPw: marketplace.MinPasswordLen}
	pw := c.FormValue("password")
	ctx := c.Request().Context()
	_, err := s.Accounts.Register(ctx, marketplace.NewUser{Email: d.Email, Password: pw, DisplayName: d.DisplayName, Role: kernel.Role(d.Role)})
	var ve *kernel.ValidationError
	switch {
	case err == nil:
	case errors.As(err, &ve):
		d.Errors = map[string]string{}
		for f := range ve.Fields {
			if id, ok := registerFieldMessages[f]; ok {
				d.Errors[f] = s.pageTf(c, id, map[string]any{"Min": marketplace.MinPasswordLen})
			}
		}
		d.Error = s.pageT(c, "err_invalid")
		return s.render(c, http.StatusBadRequest, "register", d)
	case errors.Is(err, kernel.ErrConflict):
		d.Errors = map[string]string{"email": s.pageT(c, "refusal_email_taken")}
		d.Error = s.pageT(c, "err_invalid")
		return s.render(c, http.StatusConflict, "register", d)
	default:
		return err
	}
	p, err := s.Accounts.Authenticate(ctx, d.Email, pw, c.RealIP())
	if err != nil {
		return err
	}
	tok, exp, err := s.Tokens.IssueFor(p, newRequestID())
	if err != nil {
		return err
	}
	c.SetCookie(s.sessionCookie(tok, exp))
	s.setFlash(c, "flash_registered")
	if d.Next == "" && d.Role == string(kernel.RoleVolunteer) {
		// A volunteer who came from nowhere in particular starts with
		// their profile.
		d.Next = "/volunteer"
	}
	return c.Redirect(http.StatusSeeOther, localPath(d.Next))
}
