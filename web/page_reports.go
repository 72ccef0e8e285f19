package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

// The social worker's inbox of active-discovery reports (主动发现), which
// existed only in the API (issue 17): the reports routed to their
// organization, newest first, and one report with the reporter's contact
// (the read is audited, as the API's) and the form to record its handling.
// Same rule as the API: social workers of an organization the report was
// routed to; anyone else gets 404.

type reportsPage struct {
	Reports  []marketplace.ReportView
	Statuses []marketplace.ReportStatus
	Status   string
	// Base is where the inbox is: /worker/reports for social workers,
	// /verify/reports for civil affairs verifiers (page_steps.go).
	Base string
	Now  time.Time
}

type workerReportPage struct {
	Report   *marketplace.ReportView
	Statuses []marketplace.ReportStatus
	Saved    bool
	Base     string
	Now      time.Time
}

// handleReportsPage lists the reports routed to the worker's organization.
func (s *Server) handleWorkerReportsPage(c echo.Context) error {
	return s.reportsInbox(c, "/worker/reports")
}

// reportsInbox lists the reports routed to the caller's organizations,
// those waiting to be taken up first, the earliest due first.
func (s *Server) reportsInbox(c echo.Context, base string) error {
	st := marketplace.ReportStatus(c.QueryParam("status"))
	if st != "" && !st.Valid() {
		st = ""
	}
	rs, err := s.People.Reports(c.Request().Context(), PrincipalOf(c), st, 200)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "worker_reports", reportsPage{Reports: rs, Statuses: marketplace.ReportStatuses, Status: string(st),
		Base: base, Now: s.now()})
}

// handleReportPage shows one report with its contact.
func (s *Server) handleWorkerReportPage(c echo.Context) error {
	return s.reportPage(c, "/worker/reports")
}

func (s *Server) reportPage(c echo.Context, base string) error {
	r, err := s.People.Report(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "worker_report", workerReportPage{Report: r, Statuses: marketplace.ReportStatuses, Saved: c.QueryParam("saved") == "1",
		Base: base, Now: s.now()})
}

// handleReportUpdateForm records the handling and comes back to the report.
func (s *Server) handleReportUpdateForm(c echo.Context) error {
	return s.reportUpdate(c, "/worker/reports")
}

func (s *Server) reportUpdate(c echo.Context, base string) error {
	id := c.Param("id")
	if _, err := s.People.UpdateReport(c.Request().Context(), PrincipalOf(c), id,
		marketplace.ReportUpdate{Status: c.FormValue("status"), Note: c.FormValue("note")}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, base+"/"+url.PathEscape(id)+"?saved=1")
}
