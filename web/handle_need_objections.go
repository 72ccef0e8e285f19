package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

type objectionRequest struct {
	Text      string `json:"text"`
	Contact   string `json:"contact"`
	Anonymous bool   `json:"anonymous"`
}

// objectionJSON is an objection as staff lists show it: the scrubbed text
// only, and never the objector's contact (the covering verifier reads it in
// the objection queue).
type objectionJSON struct {
	ID         string                      `json:"id"`
	CreatedAt  time.Time                   `json:"created_at"`
	Text       string                      `json:"text"`
	Status     marketplace.ObjectionStatus `json:"status"`
	Anonymous  bool                        `json:"anonymous"`
	DueAt      *time.Time                  `json:"due_at"`
	ResolvedAt *time.Time                  `json:"resolved_at"`
}

// handleObjectionCreate raises an objection during public notice (anyone).
func (s *Server) handleObjectionCreate(c echo.Context) error {
	var req objectionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	rc, err := s.Needs.Object(c.Request().Context(), PrincipalOf(c), c.Param("id"),
		marketplace.ObjectionInput{Text: req.Text, Contact: req.Contact, Anonymous: req.Anonymous, ClientAddr: c.RealIP()})
	if err != nil {
		return err
	}
	// The caller gets back the receipt, not even their own text (which may
	// name people): the token is shown this once and stored only hashed.
	o := rc.Objection
	return c.JSON(http.StatusCreated, map[string]any{"id": o.PublicID, "status": o.Status, "created_at": o.CreatedAt, "due_at": o.DueAt,
		"token": rc.Token, "outcome_url": "/objections/" + o.PublicID})
}

// handleObjectionList lists a need's objections, scrubbed (private readers).
func (s *Server) handleObjectionList(c echo.Context) error {
	obs, err := s.Needs.Objections(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	out := make([]objectionJSON, len(obs))
	for i, o := range obs {
		out[i] = objectionJSON{ID: o.PublicID, CreatedAt: o.CreatedAt, Text: o.PublicText, Status: o.Status, Anonymous: o.Anonymous,
			DueAt: o.DueAt, ResolvedAt: o.ResolvedAt}
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

// handleObjectionQueue lists the open objections in the caller's regions,
// with the objector's contact (covering verifiers).
func (s *Server) handleObjectionQueue(c echo.Context) error {
	items, err := s.Needs.ObjectionQueue(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

type outcomeRequest struct {
	Token string `json:"token"`
}

// handleObjectionOutcome tells the objector, by the receipt token, where
// their objection is (no account needed; a wrong token is 404).
func (s *Server) handleObjectionOutcome(c echo.Context) error {
	var req outcomeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	out, err := s.Needs.Outcome(c.Request().Context(), c.Param("id"), req.Token)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
