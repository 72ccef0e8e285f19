package web

import (
	"bytes"
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

type fundRequest struct {
	OrgID        string              `json:"org_id"`
	Name         string              `json:"name"`
	Namer        string              `json:"namer"`
	Purpose      string              `json:"purpose"`
	Restrictions kernel.Restrictions `json:"restrictions"`
	Match        funds.MatchOffer    `json:"match"`
}

// handleFundCreate creates a named fund held by the caller's organization.
func (s *Server) handleFundCreate(c echo.Context) error {
	var req fundRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f, err := s.Funds.CreateSource(c.Request().Context(), PrincipalOf(c), funds.NewSource{Kind: funds.KindFund, OrgID: req.OrgID,
		Name: req.Name, Namer: req.Namer, Purpose: req.Purpose, Restrictions: req.Restrictions, Match: req.Match})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toFundJSON(f))
}

// handleFundList lists named funds with their balances.
func (s *Server) handleFundList(c echo.Context) error {
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	offset, err := queryInt(c, "offset")
	if err != nil {
		return err
	}
	fs, err := s.Funds.Sources(c.Request().Context(), funds.KindFund, limit, offset)
	if err != nil {
		return err
	}
	out := make([]fundJSON, len(fs))
	for i := range fs {
		out[i] = toFundJSON(&fs[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// handleFundGet returns a named fund with its balance.
func (s *Server) handleFundGet(c echo.Context) error {
	f, err := s.Funds.Source(c.Request().Context(), funds.KindFund, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toFundJSON(f))
}

// handleFundLedger returns a fund's public books.
func (s *Server) handleFundLedger(c echo.Context) error { return s.sourceLedger(c, funds.KindFund) }

func (s *Server) sourceLedger(c echo.Context, kind funds.SourceKind) error {
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	offset, err := queryInt(c, "offset")
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "csv" {
		return kernel.Invalid("format", "must be json or csv")
	}
	src, lines, err := s.Funds.Ledger(c.Request().Context(), kind, c.Param("id"), limit, offset)
	if err != nil {
		return err
	}
	if format == "csv" {
		// The books as an auditor downloads them (UTF-8 with a BOM, so
		// that Excel opens them).
		var b bytes.Buffer
		b.WriteString("\uFEFF")
		if err := funds.WriteLedgerCSV(&b, lines); err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set(echo.HeaderContentDisposition, `attachment; filename="ledger-`+src.PublicID+`.csv"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
	}
	return c.JSON(http.StatusOK, map[string]any{"id": src.PublicID, "kind": src.Kind, "balance_fen": src.BalanceFen, "items": lines})
}

type allocationRequest struct {
	NeedID    string `json:"need_id"`
	AmountFen int64  `json:"amount_fen" required:"true"`
}

// handleFundAllocationCreate allocates fund money to a need.
func (s *Server) handleFundAllocationCreate(c echo.Context) error {
	return s.allocate(c, funds.KindFund)
}

func (s *Server) allocate(c echo.Context, kind funds.SourceKind) error {
	return s.idempotent(c, http.StatusCreated, func(v any) any { return toAllocationJSON(v.(*funds.Allocation)) },
		func(idem *funds.Idem) (any, error) {
			var req allocationRequest
			if err := decodeJSON(c, &req); err != nil {
				return nil, err
			}
			return s.Funds.Allocate(c.Request().Context(), PrincipalOf(c), kind, c.Param("id"), req.NeedID, req.AmountFen, idem)
		})
}
