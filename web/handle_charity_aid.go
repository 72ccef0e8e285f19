package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/funds"
)

// handleCharityAid streams, for a verifier whose civil affairs office
// covers the region, what charity money reached which household in a
// period: CSV, UTF-8 with a BOM, or an .xlsx workbook (format=csv|xlsx;
// funds.CharityAidExport). The rule (role verifier, scope: the region) is
// the export's; a refusal is answered before any byte of the file.
func (s *Server) handleCharityAid(c echo.Context) error {
	if s.CharityAid == nil {
		return echo.ErrNotFound
	}
	f, err := funds.ParseAidFilter(c.QueryParam("region"), c.QueryParam("from"), c.QueryParam("to"), c.QueryParam("format"))
	if err != nil {
		return err
	}
	return s.sendCharityAid(c, f)
}

// sendCharityAid streams the export of f as a download to the caller,
// for the API and the verifier's page alike.
func (s *Server) sendCharityAid(c echo.Context, f funds.AidFilter) error {
	w := &attachment{c: c, name: f.FileName(), contentType: f.Format.ContentType()}
	if _, err := s.CharityAid.Export(c.Request().Context(), PrincipalOf(c), f, w); err != nil {
		if w.started {
			// The file is cut short; the client sees a broken download and
			// the log says why.
			s.log.Error("charity aid export failed mid-stream", "error", err.Error())
			return nil
		}
		return err
	}
	if !w.started {
		w.start()
	}
	return nil
}

// attachment writes a download, sending its headers with the first byte,
// so that a refusal before it is still an ordinary error answer.
type attachment struct {
	c           echo.Context
	name        string
	contentType string
	started     bool
}

func (a *attachment) start() {
	h := a.c.Response().Header()
	h.Set(echo.HeaderContentType, a.contentType)
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+a.name+`"`)
	a.c.Response().WriteHeader(http.StatusOK)
	a.started = true
}

func (a *attachment) Write(p []byte) (int, error) {
	if !a.started {
		a.start()
	}
	n, err := a.c.Response().Write(p)
	a.c.Response().Flush()
	return n, err
}
