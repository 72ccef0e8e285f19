package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

type objectionRequest struct {
	Text string `json:"text"`
}

// objectionJSON is an objection as staff lists show it: the scrubbed text only.
type objectionJSON struct {
	ID         string                      `json:"id"`
	CreatedAt  time.Time                   `json:"created_at"`
	Text       string                      `json:"text"`
	Status     marketplace.ObjectionStatus `json:"status"`
	ResolvedAt *time.Time                  `json:"resolved_at"`
}

// handleObjectionCreate raises an objection during public notice (anyone).
func (s *Server) handleObjectionCreate(c echo.Context) error {
	var req objectionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	o, err := s.Needs.Object(c.Request().Context(), PrincipalOf(c), c.Param("id"), req.Text)
	if err != nil {
		return err
	}
	// The caller gets back only the id and status: not even their own text,
	// which may name people.
	return c.JSON(http.StatusCreated, map[string]any{"id": o.PublicID, "status": o.Status, "created_at": o.CreatedAt})
}

// handleObjectionList lists a need's objections, scrubbed (private readers).
func (s *Server) handleObjectionList(c echo.Context) error {
	obs, err := s.Needs.Objections(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	out := make([]objectionJSON, len(obs))
	for i, o := range obs {
		out[i] = objectionJSON{ID: o.PublicID, CreatedAt: o.CreatedAt, Text: o.PublicText, Status: o.Status, ResolvedAt: o.ResolvedAt}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

type resolveRequest struct {
	Decision string `json:"decision"`
	Note     string `json:"note"`
}

// handleObjectionResolve records a verifier's decision on an objection.
func (s *Server) handleObjectionResolve(c echo.Context) error {
	var req resolveRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	n, err := s.Needs.ResolveObjection(c.Request().Context(), PrincipalOf(c), c.Param("id"), c.Param("oid"), req.Decision, req.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toNeedJSON(n))
}
