package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

// JSON shapes of the funds area.

type fundJSON struct {
	ID           string              `json:"id"`
	OrgID        string              `json:"org_id"`
	OrgName      string              `json:"org_name"`
	Name         string              `json:"name"`
	Namer        string              `json:"namer"`
	Purpose      string              `json:"purpose"`
	Restrictions kernel.Restrictions `json:"restrictions"`
	Match        funds.MatchOffer    `json:"match"`
	Status       string              `json:"status"`
	BalanceFen   int64               `json:"balance_fen"`
	CreatedAt    time.Time           `json:"created_at"`
}

func nonNilRestrictions(r kernel.Restrictions) kernel.Restrictions {
	if r.Categories == nil {
		r.Categories = []kernel.Category{}
	}
	if r.RegionPrefixes == nil {
		r.RegionPrefixes = []string{}
	}
	if r.HouseholdTypes == nil {
		r.HouseholdTypes = []kernel.HouseholdType{}
	}
	return r
}

func toFundJSON(s *funds.Source) fundJSON {
	return fundJSON{ID: s.PublicID, OrgID: s.OrgPublicID, OrgName: s.OrgName, Name: s.Name, Namer: s.Namer, Purpose: s.Purpose,
		Restrictions: nonNilRestrictions(s.Restrictions), Match: s.Match, Status: string(s.Status), BalanceFen: s.BalanceFen, CreatedAt: s.CreatedAt}
}

type periodJSON struct {
	From *time.Time `json:"from"`
	To   *time.Time `json:"to"`
}

type projectJSON struct {
	ID           string              `json:"id"`
	OrgID        string              `json:"org_id"`
	OrgName      string              `json:"org_name"`
	Title        string              `json:"title"`
	Description  string              `json:"description"`
	Restrictions kernel.Restrictions `json:"restrictions"`
	BudgetFen    int64               `json:"budget_fen"`
	Period       periodJSON          `json:"period"`
	Status       string              `json:"status"`
	BalanceFen   int64               `json:"balance_fen"`
	LastReportAt *time.Time          `json:"last_report_at"`
	CreatedAt    time.Time           `json:"created_at"`
}

func toProjectJSON(s *funds.Source) projectJSON {
	return projectJSON{ID: s.PublicID, OrgID: s.OrgPublicID, OrgName: s.OrgName, Title: s.Name, Description: s.Purpose,
		Restrictions: nonNilRestrictions(s.Restrictions), BudgetFen: s.BudgetFen, Period: periodJSON{s.PeriodFrom, s.PeriodTo},
		Status: string(s.Status), BalanceFen: s.BalanceFen, LastReportAt: s.LastReportAt, CreatedAt: s.CreatedAt}
}

type pledgeJSON struct {
	ID           string     `json:"id"`
	Reference    string     `json:"reference"`
	TargetType   string     `json:"target_type"`
	TargetID     string     `json:"target_id"`
	AmountFen    int64      `json:"amount_fen"`
	Status       string     `json:"status"`
	OrgID        string     `json:"org_id"`
	OrgName      string     `json:"org_name"`
	ConfirmedVia string     `json:"confirmed_via,omitempty"`
	ReceiptID    string     `json:"receipt_id,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	ConfirmedAt  *time.Time `json:"confirmed_at"`
	RefundedAt   *time.Time `json:"refunded_at"`
}

func toPledgeJSON(p *funds.Pledge) pledgeJSON {
	return pledgeJSON{ID: p.PublicID, Reference: p.Reference, TargetType: string(p.TargetType), TargetID: p.TargetPublicID,
		AmountFen: p.AmountFen, Status: string(p.Status), OrgID: p.OrgPublicID, OrgName: p.OrgName, ConfirmedVia: string(p.ConfirmedVia),
		ReceiptID: p.ReceiptID, CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt, ConfirmedAt: p.ConfirmedAt, RefundedAt: p.RefundedAt}
}

type allocationJSON struct {
	ID          string     `json:"id"`
	SourceType  string     `json:"source_type"`
	SourceID    string     `json:"source_id"`
	SourceName  string     `json:"source_name"`
	NeedID      string     `json:"need_id"`
	AmountFen   int64      `json:"amount_fen"`
	Status      string     `json:"status"`
	Screening   string     `json:"screening_result"`
	PayeeType   string     `json:"payee_type,omitempty"`
	Payee       string     `json:"payee,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DisbursedAt *time.Time `json:"disbursed_at"`
}

func toAllocationJSON(a *funds.Allocation) allocationJSON {
	return allocationJSON{ID: a.PublicID, SourceType: string(a.SourceKind), SourceID: a.SourcePublicID, SourceName: a.SourceName,
		NeedID: a.NeedPublicID, AmountFen: a.AmountFen, Status: string(a.Status), Screening: string(a.Screening),
		PayeeType: string(a.PayeeType), Payee: a.PayeeMasked, CreatedAt: a.CreatedAt, DisbursedAt: a.DisbursedAt}
}

// idempotent runs a money-moving request once per Idempotency-Key (when
// the header is sent): the key is bound to the caller and a hash of the
// method, path and body; a retry gets the first answer with
// Idempotency-Hit: true. run receives the idempotency to pass to the
// service and returns the result; render turns it into the response body.
func (s *Server) idempotent(c echo.Context, status int, render func(v any) any, run func(idem *funds.Idem) (any, error)) error {
	key := c.Request().Header.Get("Idempotency-Key")
	if key == "" {
		v, err := run(nil)
		if err != nil {
			return err
		}
		return c.JSON(status, render(v))
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return jsonError(err)
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	by := PrincipalOf(c)
	h := sha256.New()
	h.Write([]byte(c.Request().Method + " " + c.Request().URL.Path + "\n"))
	h.Write(body)
	ctx := c.Request().Context()
	rec, replay, err := s.Funds.BeginIdempotent(ctx, by, key, hex.EncodeToString(h.Sum(nil)))
	if err != nil {
		return err
	}
	if replay {
		c.Response().Header().Set("Idempotency-Hit", "true")
		return c.Blob(rec.Status, echo.MIMEApplicationJSON, rec.Body)
	}
	var first []byte
	idem := &funds.Idem{Key: key, Render: func(v any) (int, []byte, error) {
		b, err := json.Marshal(render(v))
		first = b
		return status, b, err
	}}
	v, err := run(idem)
	if err != nil {
		s.Funds.AbortIdempotent(ctx, by, key)
		return err
	}
	if first == nil {
		first, _ = json.Marshal(render(v))
	}
	return c.Blob(status, echo.MIMEApplicationJSON, first)
}

// queryInt reads the paging parameters of the funds' lists: limit 1..500
// (0 when absent: the service's default) and offset 0..1,000,000.
func queryInt(c echo.Context, name string) (int, error) {
	if name == "limit" {
		return queryIntIn(c, name, 0, 1, 500)
	}
	return queryIntIn(c, name, 0, 0, 1_000_000)
}

// queryTime reads an RFC 3339 time or a YYYY-MM-DD date query parameter.
func queryTime(c echo.Context, name string) (*time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return &t, nil
		}
	}
	return nil, kernel.Invalid(name, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
}

type disbursementPartJSON struct {
	Origin    string `json:"origin"`
	AmountFen int64  `json:"amount_fen"`
}

// disbursementJSON is a payment out of a need's money. The payee and the
// reference are masked (the full details are sealed in the store and never
// leave it).
type disbursementJSON struct {
	ID           string                 `json:"id"`
	NeedID       string                 `json:"need_id"`
	AmountFen    int64                  `json:"amount_fen"`
	PayeeType    string                 `json:"payee_type"`
	ProviderKind string                 `json:"provider_kind,omitempty"`
	Payee        string                 `json:"payee"`
	Reference    string                 `json:"reference,omitempty"`
	CreatedAt    time.Time              `json:"created_at"`
	Parts        []disbursementPartJSON `json:"parts"`
}

func toDisbursementJSON(d *funds.Disbursement) disbursementJSON {
	parts := make([]disbursementPartJSON, len(d.Parts))
	for i, p := range d.Parts {
		parts[i] = disbursementPartJSON{Origin: string(p.Kind), AmountFen: p.AmountFen}
	}
	return disbursementJSON{ID: d.PublicID, NeedID: d.NeedPublicID, AmountFen: d.AmountFen, PayeeType: string(d.PayeeType),
		ProviderKind: string(d.ProviderKind), Payee: d.PayeeMasked, Reference: d.ReferenceMasked, CreatedAt: d.CreatedAt, Parts: parts}
}

// lotJSON is a sum of money a need holds, by its origin; a fund's or
// project's (allocation, matching gift) names it, a donor's gift does not
// name the donor.
type lotJSON struct {
	Kind       string    `json:"kind"`
	SourceType string    `json:"source_type,omitempty"`
	SourceID   string    `json:"source_id,omitempty"`
	SourceName string    `json:"source_name,omitempty"`
	AmountFen  int64     `json:"amount_fen"`
	PaidFen    int64     `json:"paid_fen"`
	CreatedAt  time.Time `json:"created_at"`
}

type needMoneyJSON struct {
	NeedID         string             `json:"need_id"`
	Status         string             `json:"status"`
	ReceivingOrgID string             `json:"receiving_org_id"`
	RequestedFen   int64              `json:"requested_fen"`
	FundedFen      int64              `json:"funded_fen"`
	DisbursedFen   int64              `json:"disbursed_fen"`
	UnpaidFen      int64              `json:"unpaid_fen"`
	Lots           []lotJSON          `json:"lots"`
	Disbursements  []disbursementJSON `json:"disbursements"`
}

func toNeedMoneyJSON(m *funds.NeedMoney, sources map[int64]funds.SourceRef, status kernel.NeedStatus) needMoneyJSON {
	out := needMoneyJSON{NeedID: m.Need.PublicID, Status: string(status), ReceivingOrgID: m.ReceivingOrg, RequestedFen: m.Need.RequestedFen,
		FundedFen: m.Need.FundedFen, DisbursedFen: m.Need.DisbursedFen, UnpaidFen: m.UnpaidFen,
		Lots: make([]lotJSON, len(m.Lots)), Disbursements: make([]disbursementJSON, len(m.Disbursements))}
	for i, l := range m.Lots {
		out.Lots[i] = lotJSON{Kind: string(l.Kind), AmountFen: l.AmountFen, PaidFen: l.PaidFen, CreatedAt: l.CreatedAt}
		if src, ok := sources[l.SourceID]; ok && l.SourceID != 0 {
			out.Lots[i].SourceType, out.Lots[i].SourceID, out.Lots[i].SourceName = string(src.Kind), src.PublicID, src.Name
		}
	}
	for i := range m.Disbursements {
		out.Disbursements[i] = toDisbursementJSON(&m.Disbursements[i])
	}
	return out
}
