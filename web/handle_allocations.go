package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

// handleAllocationGet returns an allocation to staff of its holder.
func (s *Server) handleAllocationGet(c echo.Context) error {
	a, err := s.Funds.Allocation(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAllocationJSON(a))
}

type disburseRequest struct {
	PayeeType string `json:"payee_type"`
	PayeeName string `json:"payee_name"`
	Reference string `json:"reference"`
	Account   string `json:"account"`
}

// handleAllocationDisburse pays an allocation out to a provider or the household.
func (s *Server) handleAllocationDisburse(c echo.Context) error {
	return s.idempotent(c, http.StatusOK, func(v any) any { return toAllocationJSON(v.(*funds.Allocation)) },
		func(idem *funds.Idem) (any, error) {
			var req disburseRequest
			if err := decodeJSON(c, &req); err != nil {
				return nil, err
			}
			return s.Funds.Disburse(c.Request().Context(), PrincipalOf(c), c.Param("id"), funds.Payee{
				Type: funds.PayeeType(req.PayeeType), Name: req.PayeeName, Reference: req.Reference, Account: req.Account}, idem)
		})
}
