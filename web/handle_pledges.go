package web

import (
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

type pledgeRequest struct {
	TargetType string `json:"target_type"`
	TargetID   string `json:"target_id"`
	AmountFen  int64  `json:"amount_fen" required:"true"`
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
				TargetType: funds.TargetType(req.TargetType), TargetID: req.TargetID, AmountFen: req.AmountFen}, idem)
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

// handleReconciliation imports a bank statement (CSV: reference, amount in
// yuan, date) as a multipart field "file" or a text/csv body, and confirms
// the pledges it shows as paid.
func (s *Server) handleReconciliation(c echo.Context) error {
	var r io.Reader
	ct := c.Request().Header.Get(echo.HeaderContentType)
	switch {
	case strings.HasPrefix(ct, echo.MIMEMultipartForm):
		// Streamed: Go's form parser would keep a large statement in a
		// plaintext temporary file.
		f, _, err := uploadFile(c)
		if isTooLarge(err) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the file is larger than the upload limit")
		}
		if err != nil {
			return kernel.Invalid("file", "attach the statement as the multipart field file")
		}
		r = f
	case strings.HasPrefix(ct, "text/csv"):
		r = c.Request().Body
	default:
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the statement as text/csv or multipart/form-data")
	}
	lines, err := parseStatement(io.LimitReader(r, 20<<20))
	if err != nil {
		return err
	}
	rep, err := s.Funds.Reconcile(c.Request().Context(), PrincipalOf(c), lines)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

// parseStatement reads "reference,amount,date" rows; a first row naming
// the columns is skipped. Amounts are yuan with at most two decimals.
// statementHeader reports whether a first cell names the reference column
// (a header line, in English or as the reconcile page describes it, 转账附言).
func statementHeader(cell string) bool {
	switch strings.ToLower(strings.TrimSpace(cell)) {
	case "reference", "ref", "转账附言", "附言", "摘要", "备注", "用途":
		return true
	}
	return false
}

func parseStatement(r io.Reader) ([]funds.StatementLine, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	v := &kernel.ValidationError{}
	var out []funds.StatementLine
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, kernel.Invalid("file", "line %d: not CSV: %v", line, err)
		}
		if line == 1 && len(rec) > 0 {
			rec[0] = strings.TrimPrefix(rec[0], "\uFEFF") // Excel's UTF-8 BOM
			if statementHeader(rec[0]) {
				continue
			}
		}
		if len(rec) < 3 {
			v.Add("line "+itoa(int64(line)), "want reference, amount, date")
			continue
		}
		fen, err := funds.ParseYuan(rec[1])
		if err != nil {
			v.Add("line "+itoa(int64(line)), "the amount is not a number of yuan with at most two decimals")
			continue
		}
		d, err := time.Parse("2006-01-02", strings.TrimSpace(rec[2]))
		if err != nil {
			v.Add("line "+itoa(int64(line)), "date must be YYYY-MM-DD")
			continue
		}
		out = append(out, funds.StatementLine{Line: line, Reference: strings.TrimSpace(rec[0]), AmountFen: fen, Date: d})
		if len(out) > 100_000 {
			return nil, kernel.Invalid("file", "at most 100000 lines per import")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
