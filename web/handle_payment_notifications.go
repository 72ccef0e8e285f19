package web

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// handlePaymentNotification confirms a pledge from a payment provider's
// notification, signed with the shared webhook secret
// (X-Jiujinan-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">).
func (s *Server) handlePaymentNotification(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return jsonError(err)
	}
	p, err := s.Funds.HandleNotification(c.Request().Context(), c.Request().Header.Get("X-Jiujinan-Signature"), body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"pledge_id": p.PublicID, "status": p.Status})
}
