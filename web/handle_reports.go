package web

import (
	"net/http"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

type reportRequest struct {
	RegionCode  string `json:"region_code"`
	Category    string `json:"category"`
	Description string `json:"description"`
	Contact     string `json:"contact"`
}

type reportRouteJSON struct {
	OrgID    string `json:"org_id"`
	OrgName  string `json:"org_name"`
	Distance int    `json:"distance"`
}

type reportJSON struct {
	ID          string            `json:"id"`
	Status      string            `json:"status"`
	RegionCode  string            `json:"region_code"`
	RegionName  string            `json:"region_name"`
	Category    string            `json:"category"`
	Description string            `json:"description"`
	Contact     string            `json:"contact,omitempty"`
	Note        string            `json:"note"`
	Anonymous   bool              `json:"anonymous"`
	OwnerOrgID  string            `json:"owner_org_id"`
	HandledBy   string            `json:"handled_by"`
	RoutedTo    []reportRouteJSON `json:"routed_to"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	// FollowUpDueAt, Overdue and EscalatedTo: the follow-up's time limit
	// (nil for reports made before it was recorded).
	FollowUpDueAt *time.Time             `json:"followup_due_at"`
	Overdue       bool                   `json:"overdue"`
	EscalatedTo   []kernel.DivisionLevel `json:"escalated_to"`
}

func (s *Server) toReportJSON(r *marketplace.ReportView) reportJSON {
	out := reportJSON{ID: r.PublicID, Status: string(r.Status), RegionCode: r.RegionCode, RegionName: s.People.Divisions.FullName(r.RegionCode),
		Category: string(r.Category), Description: r.Description, Contact: r.Contact, Note: r.Note, Anonymous: r.Reporter == "",
		HandledBy: r.HandledBy, RoutedTo: []reportRouteJSON{}, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		FollowUpDueAt: r.FollowUpDueAt, EscalatedTo: []kernel.DivisionLevel{}}
	if f := r.FollowUp; f != nil {
		out.Overdue = f.Overdue(s.People.Now())
		for _, e := range f.Escalations {
			out.EscalatedTo = append(out.EscalatedTo, e.Level)
		}
	}
	for _, rt := range r.Routes {
		out.RoutedTo = append(out.RoutedTo, reportRouteJSON{OrgID: rt.OrgPublicID, OrgName: rt.OrgName, Distance: rt.Distance})
		if r.OwnerOrgID != nil && *r.OwnerOrgID == rt.OrgID {
			out.OwnerOrgID = rt.OrgPublicID
		}
	}
	return out
}

// handleReportCreate takes an active-discovery report from anyone. The
// answer holds only the id, the status and the token to check it with.
func (s *Server) handleReportCreate(c echo.Context) error {
	var req reportRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	rc, err := s.People.SubmitReport(c.Request().Context(), PrincipalOf(c), marketplace.ReportInput{
		RegionCode: req.RegionCode, Category: req.Category, Description: req.Description, Contact: req.Contact})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": rc.ID, "status": rc.Status, "status_token": rc.Token})
}

// handleReportStatus tells the holder of a report's token its status; the
// token comes in the X-Report-Token header, never in the URL.
func (s *Server) handleReportStatus(c echo.Context) error {
	r, err := s.People.ReportStatusByToken(c.Request().Context(), c.Param("id"), c.Request().Header.Get("X-Report-Token"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": r.PublicID, "status": r.Status, "updated_at": r.UpdatedAt})
}

// handleReportList lists the reports routed to the caller's organizations.
func (s *Server) handleReportList(c echo.Context) error {
	limit, err := queryIntIn(c, "limit", 0, 1, 500)
	if err != nil {
		return err
	}
	rs, err := s.People.Reports(c.Request().Context(), PrincipalOf(c), marketplace.ReportStatus(c.QueryParam("status")), limit)
	if err != nil {
		return err
	}
	out := make([]reportJSON, len(rs))
	for i := range rs {
		out[i] = s.toReportJSON(&rs[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// handleReportGet returns one routed report with the reporter's contact
// (the read is audited).
func (s *Server) handleReportGet(c echo.Context) error {
	r, err := s.People.Report(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toReportJSON(r))
}

type reportUpdateRequest struct {
	Status string `json:"status"`
	Note   string `json:"note"`
}

// handleReportUpdate records a social worker's handling of a report.
func (s *Server) handleReportUpdate(c echo.Context) error {
	var req reportUpdateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, err := s.People.UpdateReport(c.Request().Context(), PrincipalOf(c), c.Param("id"), marketplace.ReportUpdate{Status: req.Status, Note: req.Note})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toReportJSON(r))
}
