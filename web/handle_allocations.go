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
	PayeeType    string `json:"payee_type"`
	ProviderKind string `json:"provider_kind"`
	PayeeName    string `json:"payee_name"`
	Reference    string `json:"reference"`
	Account      string `json:"account"`
	Reason       string `json:"reason"`
}

// handleAllocationDisburse pays an allocation out to a provider (of a kind:
// hospital, school, …; other when not said) or the household (with the
// reason it is paid directly).
func (s *Server) handleAllocationDisburse(c echo.Context) error {
	return s.idempotent(c, http.StatusOK, func(v any) any { return toAllocationJSON(v.(*funds.Allocation)) },
		func(idem *funds.Idem) (any, error) {
			var req disburseRequest
			if err := decodeJSON(c, &req); err != nil {
				return nil, err
			}
			return s.Funds.DisburseAllocation(c.Request().Context(), PrincipalOf(c), c.Param("id"), funds.Payee{
				Type: funds.PayeeType(req.PayeeType), Name: req.PayeeName, Reference: req.Reference, Account: req.Account, Reason: req.Reason},
				funds.ProviderKind(req.ProviderKind), idem)
		})
}
