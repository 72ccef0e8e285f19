package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The auditor's page: check that the ledger balances (every transaction sums
// to zero, balances match their entries, no fund below zero, no need
// funded above its request) and that every hash chain of the audit log is
// intact. The checks read everything, so they run on request, not on every
// page view.

type auditPage struct {
	Ran              bool
	LedgerProblems   []string
	Facts            *funds.LedgerFacts
	ChainProblems    []marketplace.AuditProblem
	Streams, Entries int
	ChainsChecked    bool
}

// handleAuditPage shows the checks' form.
func (s *Server) handleAuditPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "audit", auditPage{})
}

// handleAuditCheckForm runs the ledger and audit-chain checks.
func (s *Server) handleAuditCheckForm(c echo.Context) error {
	ctx := c.Request().Context()
	d := auditPage{Ran: true}
	if s.Funds != nil {
		problems, facts, err := s.Funds.VerifyLedger(ctx)
		if err != nil {
			return err
		}
		d.LedgerProblems, d.Facts = problems, facts
	}
	if ar, ok := s.Accounts.Store.(marketplace.AuditReader); ok {
		heads, err := ar.AuditStreams(ctx)
		if err != nil {
			return err
		}
		for _, h := range heads {
			es, err := ar.AuditEntries(ctx, h.Stream)
			if err != nil {
				return err
			}
			d.Entries += len(es)
			d.ChainProblems = append(d.ChainProblems, marketplace.VerifyChain(h.Stream, es, h.Seq, h.Hash)...)
		}
		d.Streams, d.ChainsChecked = len(heads), true
	}
	return s.render(c, http.StatusOK, "audit", d)
}
