package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

// The one-tap pay link of a monthly gift's reminder (funds.PayLink): for
// its donor, signed in, it leads to the month's pledge page, where the
// channels are offered. A visitor signed out signs in first and comes back
// (renderError); the link is signed for one donor and expires with the
// month's pledge.

// handleMyPayLink opens a pay link.
func (s *Server) handleMyPayLink(c echo.Context) error {
	p, err := s.Funds.OpenPayLink(c.Request().Context(), PrincipalOf(c), c.Param("token"))
	if errors.Is(err, funds.ErrPayLinkExpired) {
		return s.render(c, http.StatusGone, "message", message{Title: s.pageT(c, "paylink_expired_title"), Text: s.pageT(c, "paylink_expired")})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/my/pledges/"+p.PublicID)
}
