package web

import (
	"net/http"
	"strings"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

// regionJSON is one administrative division for a picker.
type regionJSON struct {
	Code   string `json:"code"`
	Prefix string `json:"prefix"`
	Name   string `json:"name"`
	Level  string `json:"level"`
}

// handleRegionList lists the divisions directly below ?parent= (a code or
// prefix), or the provinces without it (anyone).
func (s *Server) handleRegionList(c echo.Context) error {
	var list []string
	parent := strings.TrimSpace(c.QueryParam("parent"))
	if parent == "" {
		list = s.Divisions.Provinces()
	} else {
		p, err := s.Divisions.ParseRegionFilter(parent)
		if err != nil {
			return kernel.Invalid("parent", "must be the code or prefix of an existing division (37, 3717, 371725)")
		}
		if len(p) < 6 {
			p += strings.Repeat("0", 6-len(p))
		}
		list = s.Divisions.Children(p)
	}
	out := make([]regionJSON, len(list))
	for i, code := range list {
		out[i] = regionJSON{Code: code, Prefix: s.Divisions.Prefix(code), Name: s.Divisions.Name(code), Level: string(s.Divisions.Level(code))}
	}
	c.Response().Header().Set("Cache-Control", referenceCacheControl)
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}
