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
	// FullName is the names from the province down (山东省菏泽市郓城县).
	FullName string `json:"full_name"`
	Level    string `json:"level"`
}

// maxRegionMatches bounds the divisions ?q= answers (城关 names 131 of
// them); they come coarsest first.
const maxRegionMatches = 50

// handleRegionList lists the divisions directly below ?parent= (a code or
// prefix), the provinces without it, or the divisions ?q= names (a code or a
// name: one, several when the name is ambiguous, none when unknown), for
// pickers that let a person type (anyone).
func (s *Server) handleRegionList(c echo.Context) error {
	var list []string
	parent := strings.TrimSpace(c.QueryParam("parent"))
	q := strings.TrimSpace(c.QueryParam("q"))
	switch {
	case q != "" && parent != "":
		return kernel.Invalid("q", "give q or parent, not both")
	case q != "":
		if len(q) > 100 {
			return kernel.Invalid("q", "at most 100 bytes")
		}
		code, cands := s.Divisions.Lookup(q)
		if code != "" && code != kernel.NationalRegion && s.Divisions.Known(code) {
			list = []string{code}
		} else {
			list = cands[:min(len(cands), maxRegionMatches)]
		}
	case parent == "":
		list = s.Divisions.Provinces()
	default:
		p, err := s.Divisions.ParseRegionFilter(parent)
		if err != nil {
			return kernel.Invalid("parent", "must be the code or prefix of an existing division (37, 3717, 371725)")
		}
		if len(p) < 6 {
			p += strings.Repeat("0", 6-len(p))
		}
		list = s.Divisions.Children(p)
	}
	out := make([]regionJSON, len(list)) // never null: an unknown name is an empty list
	for i, code := range list {
		out[i] = regionJSON{Code: code, Prefix: s.Divisions.Prefix(code), Name: s.Divisions.Name(code), FullName: s.Divisions.FullName(code), Level: string(s.Divisions.Level(code))}
	}
	c.Response().Header().Set("Cache-Control", referenceCacheControl)
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}
