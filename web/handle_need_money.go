package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// needMoneyOf reads a need's money for the staff who pay it out, with the
// funds and projects its lots came from and the need's status now.
func (s *Server) needMoneyOf(c echo.Context, needID string) (*funds.NeedMoney, map[int64]funds.SourceRef, kernel.NeedStatus, error) {
	ctx := c.Request().Context()
	m, err := s.Funds.NeedMoney(ctx, PrincipalOf(c), needID)
	if err != nil {
		return nil, nil, "", err
	}
	names, err := s.Funds.LotSources(ctx, m.Lots)
	if err != nil {
		return nil, nil, "", err
	}
	return m, names, marketplace.EffectiveStatus(m.Need.Status, m.Need.NoticeEndsAt, s.now()), nil
}

// handleNeedMoneyGet returns what a need holds by origin, what was paid out
// and what is left to pay, to staff of the organization receiving its
// donations.
func (s *Server) handleNeedMoneyGet(c echo.Context) error {
	m, names, status, err := s.needMoneyOf(c, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toNeedMoneyJSON(m, names, status))
}

type needDisburseRequest struct {
	AmountFen    int64  `json:"amount_fen" required:"true"`
	PayeeType    string `json:"payee_type" required:"true"`
	ProviderKind string `json:"provider_kind"`
	PayeeName    string `json:"payee_name" required:"true"`
	Reference    string `json:"reference"`
	Account      string `json:"account"`
	Reason       string `json:"reason"`
}

// handleNeedDisburse pays out money a need holds, whatever its origin, to a
// provider against its invoice or to the household with a reason.
func (s *Server) handleNeedDisburse(c echo.Context) error {
	return s.idempotent(c, http.StatusCreated, func(v any) any { return toDisbursementJSON(v.(*funds.Disbursement)) },
		func(idem *funds.Idem) (any, error) {
			var req needDisburseRequest
			if err := decodeJSON(c, &req); err != nil {
				return nil, err
			}
			return s.Funds.DisburseNeed(c.Request().Context(), PrincipalOf(c), c.Param("id"), funds.NewDisbursement{
				AmountFen: req.AmountFen, ProviderKind: funds.ProviderKind(req.ProviderKind),
				Payee: funds.Payee{Type: funds.PayeeType(req.PayeeType), Name: req.PayeeName, Reference: req.Reference, Account: req.Account, Reason: req.Reason},
			}, idem)
		})
}
