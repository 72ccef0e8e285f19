package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

type claimRequest struct {
	Service    string `json:"service"`
	WindowDays int    `json:"window_days" required:"true"`
}

type claimJSON struct {
	ID            string     `json:"id"`
	NeedID        string     `json:"need_id"`
	VolunteerID   string     `json:"volunteer_id"`
	VolunteerName string     `json:"volunteer_name"`
	Service       string     `json:"service"`
	WindowDays    int        `json:"window_days"`
	Status        string     `json:"status"`
	DecidedAt     *time.Time `json:"decided_at"`
	StartsAt      *time.Time `json:"starts_at"`
	EndsAt        *time.Time `json:"ends_at"`
	CreatedAt     time.Time  `json:"created_at"`
}

func (s *Server) toClaimJSON(cl *marketplace.Claim) claimJSON {
	return claimJSON{ID: cl.PublicID, NeedID: cl.NeedPublicID, VolunteerID: cl.VolunteerPublicID, VolunteerName: cl.VolunteerName,
		Service: string(cl.Service), WindowDays: cl.WindowDays, Status: string(cl.EffectiveStatus(s.People.Now())), DecidedAt: cl.DecidedAt,
		StartsAt: cl.StartsAt, EndsAt: cl.EndsAt, CreatedAt: cl.CreatedAt}
}

func (s *Server) claimList(c echo.Context, cs []marketplace.Claim) error {
	out := make([]claimJSON, len(cs))
	for i := range cs {
		out[i] = s.toClaimJSON(&cs[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// handleClaimCreate lets a volunteer claim a service of an open need.
func (s *Server) handleClaimCreate(c echo.Context) error {
	var req claimRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cl, err := s.People.ClaimNeed(c.Request().Context(), PrincipalOf(c), c.Param("id"),
		marketplace.ClaimInput{Service: req.Service, WindowDays: req.WindowDays})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.toClaimJSON(cl))
}

// handleNeedClaims lists a need's claims for its posting organization.
func (s *Server) handleNeedClaims(c echo.Context) error {
	cs, err := s.People.NeedClaims(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.claimList(c, cs)
}

// handleVolunteerClaims lists the caller's claims.
func (s *Server) handleVolunteerClaims(c echo.Context) error {
	cs, err := s.People.MyClaims(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	return s.claimList(c, cs)
}

func (s *Server) decideClaim(c echo.Context, approve bool) error {
	cl, err := s.People.DecideClaim(c.Request().Context(), PrincipalOf(c), c.Param("id"), approve)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toClaimJSON(cl))
}

// handleClaimApprove approves a claim: its window starts now.
func (s *Server) handleClaimApprove(c echo.Context) error { return s.decideClaim(c, true) }

// handleClaimReject rejects a claim.
func (s *Server) handleClaimReject(c echo.Context) error { return s.decideClaim(c, false) }

// handleClaimRelease gives a claim up (its volunteer).
func (s *Server) handleClaimRelease(c echo.Context) error {
	cl, err := s.People.ReleaseClaim(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toClaimJSON(cl))
}

// handleClaimContact shows the household's contact to the claim's volunteer
// while the approved window runs; every answer is audited.
func (s *Server) handleClaimContact(c echo.Context) error {
	hc, err := s.People.ClaimContact(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"claim_id": hc.ClaimID, "need_id": hc.NeedID, "name": hc.Name, "phone": hc.Phone,
		"address": hc.Address, "region_code": hc.RegionCode, "region_name": hc.RegionName, "until": hc.Until})
}
