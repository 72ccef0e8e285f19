package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// Pages of objections during public notice (公示): the objector's receipt
// and outcome lookup, and the covering verifier's queue where they are
// resolved (issue 16).

// objectionPage is the objector's page: the receipt right after the
// objection (Token set, shown this once), or the outcome lookup by id and
// token (Outcome set once found).
type objectionPage struct {
	ID      string
	Token   string
	Outcome *marketplace.ObjectionOutcome
	Error   string
}

// handleNeedObjectionForm takes an objection during the notice, from
// anyone: with a contact for the verifier's call back, or anonymous. The
// need stays in notice and public; the objector gets a receipt.
func (s *Server) handleNeedObjectionForm(c echo.Context) error {
	in := marketplace.ObjectionInput{Text: c.FormValue("text"), Contact: c.FormValue("contact"), Anonymous: c.FormValue("anonymous") != "",
		ClientAddr: c.RealIP()}
	rc, err := s.Needs.Object(c.Request().Context(), PrincipalOf(c), c.Param("id"), in)
	if err != nil {
		var ve *kernel.ValidationError
		switch {
		case errors.As(err, &ve) && ve.Fields["contact"] != "":
			return s.renderNeedPage(c, http.StatusBadRequest, s.pageT(c, "objection_contact_needed"))
		case errors.As(err, &ve):
			return s.renderNeedPage(c, http.StatusBadRequest, s.pageT(c, "objection_invalid"))
		case errors.Is(err, kernel.ErrTooMany):
			return s.renderNeedPage(c, http.StatusTooManyRequests, s.userMessage(c, err, ""))
		case errors.Is(err, kernel.ErrConflict):
			return s.renderNeedPage(c, http.StatusConflict, s.pageT(c, "objection_closed"))
		}
		return err
	}
	return s.render(c, http.StatusCreated, "objection", objectionPage{ID: rc.Objection.PublicID, Token: rc.Token,
		Outcome: &marketplace.ObjectionOutcome{ID: rc.Objection.PublicID, Status: rc.Objection.Status, CreatedAt: rc.Objection.CreatedAt,
			DueAt: rc.Objection.DueAt}})
}

// handleObjectionPage asks for the receipt token of objection :id.
func (s *Server) handleObjectionPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "objection", objectionPage{ID: c.Param("id")})
}

// handleObjectionLookupForm shows the outcome of objection :id to whoever
// holds its token; a wrong token is told so, with the form again. The token
// travels in the form, never in a URL that logs would keep.
func (s *Server) handleObjectionLookupForm(c echo.Context) error {
	out, err := s.Needs.Outcome(c.Request().Context(), c.Param("id"), c.FormValue("token"))
	if errors.Is(err, kernel.ErrNotFound) {
		return s.render(c, http.StatusNotFound, "objection", objectionPage{ID: c.Param("id"), Error: s.pageT(c, "objection_lookup_wrong")})
	}
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "objection", objectionPage{ID: out.ID, Outcome: out})
}

type verifyObjectionsPage struct {
	Items []marketplace.QueuedObjection
	Error string
	// Now is when the page shows the time left against (working days,
	// page_steps.go).
	Now time.Time
}

// handleVerifyObjectionsPage is the covering verifier's queue of open
// objections, the earliest due first, with the objector's contact.
func (s *Server) handleVerifyObjectionsPage(c echo.Context) error {
	return s.renderVerifyObjections(c, http.StatusOK, "")
}

func (s *Server) renderVerifyObjections(c echo.Context, status int, msg string) error {
	items, err := s.Needs.ObjectionQueue(c.Request().Context(), PrincipalOf(c))
	if err != nil {
		return err
	}
	return s.render(c, status, "verify_objections", verifyObjectionsPage{Items: items, Error: msg, Now: s.now()})
}

// handleVerifyObjectionForm records the verifier's decision on objection
// :id of the need named in the form.
func (s *Server) handleVerifyObjectionForm(c echo.Context) error {
	_, err := s.Needs.ResolveObjection(c.Request().Context(), PrincipalOf(c), c.FormValue("need"), c.Param("id"), c.FormValue("decision"), c.FormValue("note"))
	var ve *kernel.ValidationError
	switch {
	case err == nil:
		s.setFlash(c, "flash_objection_decided")
		return c.Redirect(http.StatusSeeOther, "/verify/objections")
	case errors.As(err, &ve):
		return s.renderVerifyObjections(c, http.StatusBadRequest, s.pageT(c, "objection_decision_needed"))
	case errors.Is(err, kernel.ErrConflict):
		return s.renderVerifyObjections(c, http.StatusConflict, s.pageT(c, "action_conflict"))
	}
	return err
}
