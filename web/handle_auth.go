package web

import (
	"net/http"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

type userJSON struct {
	ID          string           `json:"id"`
	Email       string           `json:"email"`
	DisplayName string           `json:"display_name"`
	Roles       []membershipJSON `json:"roles"`
}

type membershipJSON struct {
	Role    string `json:"role"`
	OrgID   string `json:"org_id,omitempty"`
	OrgName string `json:"org_name,omitempty"`
}

func toUserJSON(p *kernel.Principal) userJSON {
	u := userJSON{ID: p.User.PublicID, Email: p.User.Email, DisplayName: p.User.DisplayName, Roles: []membershipJSON{}}
	for _, m := range p.Memberships {
		mj := membershipJSON{Role: string(m.Role)}
		if m.Org != nil {
			mj.OrgID, mj.OrgName = m.Org.PublicID, m.Org.Name
		}
		u.Roles = append(u.Roles, mj)
	}
	return u
}

type registerRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
}

// handleRegister creates a donor or volunteer account.
func (s *Server) handleRegister(c echo.Context) error {
	var req registerRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.Accounts.Register(c.Request().Context(), marketplace.NewUser{
		Email: req.Email, Password: req.Password, DisplayName: req.DisplayName, Role: kernel.Role(req.Role)})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, userJSON{ID: u.PublicID, Email: u.Email, DisplayName: u.DisplayName,
		Roles: []membershipJSON{{Role: req.Role}}})
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userJSON  `json:"user"`
}

// handleLogin checks the credentials and returns a signed token; it also sets
// the session cookie that the pages use.
func (s *Server) handleLogin(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, err := s.Accounts.Authenticate(c.Request().Context(), req.Email, req.Password, c.RealIP())
	if err != nil {
		if err == kernel.ErrUnauthorized {
			return kernel.Refuse(kernel.ErrUnauthorized, "refusal_wrong_password", nil, "wrong e-mail or password")
		}
		return err
	}
	tok, exp, err := s.Tokens.IssueFor(p, newRequestID())
	if err != nil {
		return err
	}
	c.SetCookie(s.sessionCookie(tok, exp))
	return c.JSON(http.StatusOK, loginResponse{Token: tok, ExpiresAt: exp, User: toUserJSON(p)})
}

// handleLogout ends every session of the signed-in account (the token it
// came with, cookie or Bearer, and any other) and clears the cookie.
func (s *Server) handleLogout(c echo.Context) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// endSession ends the caller's sessions, when signed in, and clears the
// session cookie.
func (s *Server) endSession(c echo.Context) error {
	if p := PrincipalOf(c); p != nil {
		if err := s.Accounts.EndSessions(c.Request().Context(), p); err != nil {
			return err
		}
	}
	c.SetCookie(s.sessionCookie("", time.Unix(0, 0)))
	return nil
}

// handleMe returns the signed-in user with their current roles.
func (s *Server) handleMe(c echo.Context) error {
	return c.JSON(http.StatusOK, toUserJSON(PrincipalOf(c)))
}
