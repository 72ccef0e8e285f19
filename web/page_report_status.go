package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// The reporter's page of an active-discovery report (主动发现): whoever
// filed a report at /report got its number and a 查询码 (the status token
// of GET /api/v1/reports/:id/status); here they type both and see where
// the report is, in words, and who took it. The page shows nothing the
// report says (no description, place or contact) and nothing of the social
// worker's note, which may name the household: only the status, its dates
// and the organization. The code travels in the POST body, never in a URL
// that logs would keep; lookups are rate-limited per client like the form.

// reportStatusPage is the lookup form, filled with the number when it is
// known, and the report's status once number and code match.
type reportStatusPage struct {
	ID     string
	Error  string
	Report *reportStatusView
}

// reportStatusView is what the holder of a report's code sees.
type reportStatusView struct {
	ID        string
	Status    marketplace.ReportStatus
	CreatedAt time.Time
	UpdatedAt time.Time
	// OrgName is the organization that took the report (首问负责), ""
	// while none has.
	OrgName string
	// Routed is how many organizations the report was sent to.
	Routed int
}

// Step says where status s is on the reporter's path: 1 received, 2
// followed up by a social worker, 3 done (a need posted, or closed).
func (v reportStatusView) Step() int {
	switch v.Status {
	case marketplace.ReportAccepted:
		return 2
	case marketplace.ReportNeedPosted, marketplace.ReportNoAction:
		return 3
	}
	return 1
}

// reportCode tidies a typed number or code: the ids and codes are lower
// case without spaces, and people copy them with spaces or in capitals.
func reportCode(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }

// handleReportStatusPage shows the lookup form; ?id= fills in the number
// (the link from the receipt), which alone reveals nothing.
func (s *Server) handleReportStatusPage(c echo.Context) error {
	id := reportCode(c.QueryParam("id"))
	if len(id) > 64 {
		id = ""
	}
	return s.render(c, http.StatusOK, "report_status", reportStatusPage{ID: id})
}

// handleReportStatusForm shows the report's status to whoever holds its
// number and code; a wrong pair is told so, the same for a wrong number as
// for a wrong code, with the form again.
func (s *Server) handleReportStatusForm(c echo.Context) error {
	id, code := reportCode(c.FormValue("report")), reportCode(c.FormValue("code"))
	if len(id) > 64 {
		id = id[:64]
	}
	if id == "" || code == "" {
		return s.render(c, http.StatusBadRequest, "report_status", reportStatusPage{ID: id, Error: s.pageT(c, "rstatus_missing")})
	}
	r, err := s.People.ReportStatusByToken(c.Request().Context(), id, code)
	if errors.Is(err, kernel.ErrNotFound) {
		return s.render(c, http.StatusNotFound, "report_status", reportStatusPage{ID: id, Error: s.pageT(c, "rstatus_wrong")})
	}
	if err != nil {
		return err
	}
	v := &reportStatusView{ID: r.PublicID, Status: r.Status, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Routed: len(r.Routes)}
	if r.OwnerOrgID != nil {
		for _, rt := range r.Routes {
			if rt.OrgID == *r.OwnerOrgID {
				v.OrgName = rt.OrgName
			}
		}
	}
	return s.render(c, http.StatusOK, "report_status", reportStatusPage{ID: r.PublicID, Report: v})
}
