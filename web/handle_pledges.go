package web

import (
	"errors"
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

type pledgeRequest struct {
	TargetType string `json:"target_type"`
	TargetID   string `json:"target_id"`
	AmountFen  int64  `json:"amount_fen" required:"true"`
	// ReceiptAs is how the pledge's receipt names the donor
	// (handle_receipt_details.go).
	ReceiptAs *receiptAsJSON `json:"receipt_as"`
}

// handlePledgeCreate records a donor's pledge, once per Idempotency-Key.
func (s *Server) handlePledgeCreate(c echo.Context) error {
	return s.idempotent(c, http.StatusCreated, func(v any) any { return toPledgeJSON(v.(*funds.Pledge)) },
		func(idem *funds.Idem) (any, error) {
			var req pledgeRequest
			if err := decodeJSON(c, &req); err != nil {
				return nil, err
			}
			return s.Funds.CreatePledge(c.Request().Context(), PrincipalOf(c), funds.NewPledge{
				TargetType: funds.TargetType(req.TargetType), TargetID: req.TargetID, AmountFen: req.AmountFen, ReceiptAs: req.ReceiptAs.receiptAs()}, idem)
		})
}

// handlePledgeGet returns a pledge to its donor or the receiving staff.
func (s *Server) handlePledgeGet(c echo.Context) error {
	p, err := s.Funds.Pledge(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	out := pledgeDetailJSON{pledgeJSON: toPledgeJSON(p)}
	// Where to transfer the money: the receiving organization's account.
	if org, err := s.Accounts.Store.OrgByPublicID(c.Request().Context(), p.OrgPublicID); err == nil && org.Collection.Set() {
		a := toCollectionJSON(org.Collection)
		out.CollectionAccount = &a
	} else if err != nil && !errors.Is(err, kernel.ErrNotFound) {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// pledgeDetailJSON is one pledge with the account to pay it into.
type pledgeDetailJSON struct {
	pledgeJSON
	CollectionAccount *collectionAccountJSON `json:"collection_account,omitempty"`
}

// handlePledgeConfirm records that a pledge's money arrived.
func (s *Server) handlePledgeConfirm(c echo.Context) error {
	p, err := s.Funds.ConfirmPledge(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPledgeJSON(p))
}

// handlePledgeRefund returns a whole confirmed donation to its donor,
// through the channel its money came by (POST /pledges/{id}/refunds
// refunds a part, with a reason).
func (s *Server) handlePledgeRefund(c echo.Context) error {
	ctx := c.Request().Context()
	if s.PayChannels != nil {
		if _, err := s.PayChannels.Refund(ctx, PrincipalOf(c), c.Param("id"), funds.NewRefund{}, nil); err != nil {
			return err
		}
		p, err := s.Funds.Pledge(ctx, PrincipalOf(c), c.Param("id"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toPledgeJSON(p))
	}
	p, err := s.Funds.RefundPledge(ctx, PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPledgeJSON(p))
}
