package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

type servicePledgeRequest struct {
	NeedID string  `json:"need_id"`
	Skill  string  `json:"skill"`
	Hours  float64 `json:"hours" required:"true"`
}

type serviceLogRequest struct {
	Hours float64 `json:"hours" required:"true"`
	Date  string  `json:"date"`
	Note  string  `json:"note"`
}

type serviceLogJSON struct {
	ID         string    `json:"id"`
	Hours      float64   `json:"hours"`
	Date       string    `json:"date"`
	Note       string    `json:"note"`
	LoggedBy   string    `json:"logged_by"`
	LoggedRole string    `json:"logged_role"`
	CreatedAt  time.Time `json:"created_at"`
}

type servicePledgeJSON struct {
	ID            string           `json:"id"`
	NeedID        string           `json:"need_id"`
	VolunteerID   string           `json:"volunteer_id"`
	VolunteerName string           `json:"volunteer_name"`
	Skill         string           `json:"skill"`
	Hours         float64          `json:"hours"`
	LoggedHours   float64          `json:"logged_hours"`
	Status        string           `json:"status"`
	DecidedAt     *time.Time       `json:"decided_at"`
	CreatedAt     time.Time        `json:"created_at"`
	Logs          []serviceLogJSON `json:"logs,omitempty"`
}

func hours(min int) float64 { return float64(min) / 60 }

func toServiceLogJSON(l *marketplace.ServiceLog) serviceLogJSON {
	return serviceLogJSON{ID: l.PublicID, Hours: hours(l.Minutes), Date: l.Date.Format(time.DateOnly), Note: l.Note, LoggedBy: l.LoggedBy,
		LoggedRole: string(l.LoggedRole), CreatedAt: l.CreatedAt}
}

func toServicePledgeJSON(p *marketplace.ServicePledge) servicePledgeJSON {
	out := servicePledgeJSON{ID: p.PublicID, NeedID: p.NeedPublicID, VolunteerID: p.VolunteerPublicID, VolunteerName: p.VolunteerName,
		Skill: string(p.Service), Hours: hours(p.Minutes), LoggedHours: hours(p.LoggedMinutes), Status: string(p.Status),
		DecidedAt: p.DecidedAt, CreatedAt: p.CreatedAt}
	if p.Logs != nil {
		out.Logs = []serviceLogJSON{}
		for i := range p.Logs {
			out.Logs = append(out.Logs, toServiceLogJSON(&p.Logs[i]))
		}
	}
	return out
}

// handleServicePledgeCreate records a volunteer's pledge of service hours.
func (s *Server) handleServicePledgeCreate(c echo.Context) error {
	var req servicePledgeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, err := s.People.PledgeService(c.Request().Context(), PrincipalOf(c),
		marketplace.ServicePledgeInput{NeedID: req.NeedID, Skill: req.Skill, Hours: req.Hours})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toServicePledgeJSON(p))
}

func (s *Server) decideServicePledge(c echo.Context, accept bool) error {
	p, err := s.People.DecideServicePledge(c.Request().Context(), PrincipalOf(c), c.Param("id"), accept)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toServicePledgeJSON(p))
}

// handleServicePledgeAccept accepts an offered pledge (posting organization).
func (s *Server) handleServicePledgeAccept(c echo.Context) error {
	return s.decideServicePledge(c, true)
}

// handleServicePledgeDecline declines an offered pledge (posting organization).
func (s *Server) handleServicePledgeDecline(c echo.Context) error {
	return s.decideServicePledge(c, false)
}

// handleServicePledgeLog records service given on an accepted pledge.
func (s *Server) handleServicePledgeLog(c echo.Context) error {
	var req serviceLogRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	l, err := s.People.LogService(c.Request().Context(), PrincipalOf(c), c.Param("id"),
		marketplace.ServiceLogInput{Hours: req.Hours, Date: req.Date, Note: req.Note})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toServiceLogJSON(l))
}

type skillTotalJSON struct {
	Skill       string  `json:"skill"`
	Pledges     int     `json:"pledges"`
	Hours       float64 `json:"hours"`
	LoggedHours float64 `json:"logged_hours"`
}

// handleNeedServicePledges shows a need's service pledges: totals by skill
// to everyone, the full list to the posting organization.
func (s *Server) handleNeedServicePledges(c echo.Context) error {
	np, err := s.People.NeedServicePledges(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	out := map[string]any{"need_id": np.NeedID}
	totals := make([]skillTotalJSON, len(np.Totals))
	for i, t := range np.Totals {
		totals[i] = skillTotalJSON{Skill: string(t.Skill), Pledges: t.Pledges, Hours: hours(t.Minutes), LoggedHours: hours(t.LoggedMinutes)}
	}
	out["totals"] = totals
	if np.Pledges != nil {
		items := make([]servicePledgeJSON, len(np.Pledges))
		for i := range np.Pledges {
			items[i] = toServicePledgeJSON(&np.Pledges[i])
		}
		out["pledges"] = items
	}
	return c.JSON(http.StatusOK, out)
}

// handleVolunteerService returns the caller's record of service.
func (s *Server) handleVolunteerService(c echo.Context) error {
	r, err := s.People.MyService(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	items := make([]servicePledgeJSON, len(r.Pledges))
	for i := range r.Pledges {
		items[i] = toServicePledgeJSON(&r.Pledges[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"pledges": items, "hours": hours(r.Minutes), "logged_hours": hours(r.LoggedMinutes)})
}
