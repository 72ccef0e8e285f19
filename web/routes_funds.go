package web

import (
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

// registerFundRoutes adds the funds routes under /api/v1: named funds and
// projects, pledges, allocations, disbursements, receipts, the donor's own
// view and the public register.
func (s *Server) registerFundRoutes(g *echo.Group) {
	staff := kernel.RoleFederationStaff
	s.only(g, http.MethodPost, "/funds", s.handleFundCreate, staff)
	s.public(g, http.MethodGet, "/funds", s.handleFundList)
	s.public(g, http.MethodGet, "/funds/:id", s.handleFundGet)
	s.public(g, http.MethodGet, "/funds/:id/ledger", s.handleFundLedger)
	s.only(g, http.MethodPost, "/funds/:id/allocations", s.handleFundAllocationCreate, staff)

	s.only(g, http.MethodPost, "/projects", s.handleProjectCreate, staff)
	s.public(g, http.MethodGet, "/projects", s.handleProjectList)
	s.only(g, http.MethodGet, "/projects/disclosure-calendar", s.handleDisclosureCalendar, staff)
	s.public(g, http.MethodGet, "/projects/:id", s.handleProjectGet)
	s.public(g, http.MethodGet, "/projects/:id/ledger", s.handleProjectLedger)
	s.only(g, http.MethodPost, "/projects/:id/allocations", s.handleProjectAllocationCreate, staff)
	s.only(g, http.MethodPost, "/projects/:id/reports", s.handleProjectReport, staff)

	s.only(g, http.MethodGet, "/allocations/:id", s.handleAllocationGet, staff)
	s.only(g, http.MethodPost, "/allocations/:id/disburse", s.handleAllocationDisburse, staff)
	s.only(g, http.MethodGet, "/needs/:id/money", s.handleNeedMoneyGet, staff)
	s.only(g, http.MethodPost, "/needs/:id/disbursements", s.handleNeedDisburse, staff)

	s.only(g, http.MethodPost, "/pledges", s.handlePledgeCreate, kernel.RoleDonor)
	s.signedIn(g, http.MethodGet, "/pledges/:id", s.handlePledgeGet)
	s.only(g, http.MethodPost, "/pledges/:id/confirm", s.handlePledgeConfirm, staff)
	s.only(g, http.MethodPost, "/pledges/:id/refund", s.handlePledgeRefund, staff)
	s.only(g, http.MethodPost, "/pledges/:id/redirect", s.handlePledgeRedirect, kernel.RoleDonor)
	s.only(g, http.MethodPost, "/pledges/reconciliations", s.handleReconciliationLegacy, staff)
	s.public(g, http.MethodPost, "/payment-notifications", s.handlePaymentNotification)

	s.signedIn(g, http.MethodGet, "/receipts/:id", s.handleReceiptGet)
	s.only(g, http.MethodGet, "/me/giving", s.handleMyGiving, kernel.RoleDonor)

	s.only(g, http.MethodPost, "/recurring-pledges", s.handleRecurringCreate, kernel.RoleDonor)
	s.only(g, http.MethodGet, "/me/recurring-pledges", s.handleMyRecurring, kernel.RoleDonor)
	s.only(g, http.MethodPost, "/recurring-pledges/:id/pause", s.handleRecurringStatus(funds.RecurringPaused), kernel.RoleDonor)
	s.only(g, http.MethodPost, "/recurring-pledges/:id/resume", s.handleRecurringStatus(funds.RecurringActive), kernel.RoleDonor)
	s.only(g, http.MethodPost, "/recurring-pledges/:id/cancel", s.handleRecurringStatus(funds.RecurringCancelled), kernel.RoleDonor)
	s.public(g, http.MethodGet, "/disclosures", s.handleDisclosureList)
}
