package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

type needUpdateRequest struct {
	Text string `json:"text"`
}

// needUpdateJSON is a progress update: the scrubbed text only.
type needUpdateJSON struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Text      string    `json:"text"`
}

// handleNeedUpdateCreate posts a progress update (posting organization).
func (s *Server) handleNeedUpdateCreate(c echo.Context) error {
	var req needUpdateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.Needs.AddUpdate(c.Request().Context(), PrincipalOf(c), c.Param("id"), req.Text)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, needUpdateJSON{ID: u.PublicID, CreatedAt: u.CreatedAt, Text: u.PublicText})
}

// handleNeedUpdateList lists a need's progress updates, scrubbed, to its
// own staff, covering verifiers, confirmed donors and engaged volunteers
// (marketplace.NeedService.Updates); others get 404.
func (s *Server) handleNeedUpdateList(c echo.Context) error {
	us, err := s.Needs.Updates(c.Request().Context(), PrincipalOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	out := make([]needUpdateJSON, len(us))
	for i, u := range us {
		out[i] = needUpdateJSON{ID: u.PublicID, CreatedAt: u.CreatedAt, Text: u.PublicText}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}
