package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

type recurringRequest struct {
	TargetType     string `json:"target_type"`
	TargetID       string `json:"target_id"`
	AmountFen      int64  `json:"amount_fen" required:"true"`
	DayOfMonth     int    `json:"day_of_month" required:"true"`
	FallbackFundID string `json:"fallback_fund_id"`
}

type recurringJSON struct {
	ID             string               `json:"id"`
	TargetType     string               `json:"target_type"`
	TargetID       string               `json:"target_id"`
	FallbackFundID string               `json:"fallback_fund_id,omitempty"`
	AmountFen      int64                `json:"amount_fen"`
	DayOfMonth     int                  `json:"day_of_month"`
	Status         string               `json:"status"`
	AgreementChan  string               `json:"agreement_channel,omitempty"`
	NextAt         *time.Time           `json:"next_at"`
	CreatedAt      time.Time            `json:"created_at"`
	Months         []funds.RecurringRun `json:"months"`
}

func toRecurringJSON(r *funds.Recurring) recurringJSON {
	out := recurringJSON{ID: r.PublicID, TargetType: string(r.TargetType), TargetID: r.TargetPublicID, FallbackFundID: r.FallbackPublicID,
		AmountFen: r.AmountFen, DayOfMonth: r.DayOfMonth, Status: string(r.Status), AgreementChan: r.AgreementChannel, CreatedAt: r.CreatedAt, Months: r.Runs}
	if r.Status == funds.RecurringActive {
		next := r.NextAt
		out.NextAt = &next
	}
	if out.Months == nil {
		out.Months = []funds.RecurringRun{}
	}
	return out
}

// handleRecurringCreate records a donor's monthly pledge (月捐), once per
// Idempotency-Key.
func (s *Server) handleRecurringCreate(c echo.Context) error {
	return s.idempotent(c, http.StatusCreated, func(v any) any { return toRecurringJSON(v.(*funds.Recurring)) },
		func(idem *funds.Idem) (any, error) {
			var req recurringRequest
			if err := decodeJSON(c, &req); err != nil {
				return nil, err
			}
			return s.Funds.CreateRecurring(c.Request().Context(), PrincipalOf(c), funds.NewRecurring{
				TargetType: funds.TargetType(req.TargetType), TargetID: req.TargetID, AmountFen: req.AmountFen,
				DayOfMonth: req.DayOfMonth, FallbackFundID: req.FallbackFundID}, idem)
		})
}

// handleMyRecurring lists the donor's monthly pledges with their latest months.
func (s *Server) handleMyRecurring(c echo.Context) error {
	rs, err := s.Funds.MyRecurring(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	out := make([]recurringJSON, len(rs))
	for i := range rs {
		out[i] = toRecurringJSON(&rs[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"recurring_pledges": out})
}

// handleRecurringStatus pauses, resumes or cancels the donor's own monthly
// pledge: the route's last segment names the status.
func (s *Server) handleRecurringStatus(status funds.RecurringStatus) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, err := s.Funds.SetRecurringStatus(c.Request().Context(), PrincipalOf(c), c.Param("id"), status)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, toRecurringJSON(r))
	}
}
