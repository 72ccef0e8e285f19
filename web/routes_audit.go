package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
)

// registerAuditRoutes adds the auditor's browsers under /api/v1: the audit
// log (the chains about places inside the auditor's organization's region)
// and the ledger (the transactions of the auditor's organization).
func (s *Server) registerAuditRoutes(g *echo.Group) {
	s.only(g, http.MethodGet, "/audit-log", s.handleAuditLogList, kernel.RoleAuditor)
	if s.Funds != nil {
		s.only(g, http.MethodGet, "/ledger", s.handleLedgerList, kernel.RoleAuditor)
	}
}
