package web

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// Regions typed in forms. Without JavaScript a region is a text field that
// takes a code or a name (郓城县, 山东省菏泽市郓城县), resolved here; with it,
// app.js adds cascading pickers that fill the same field with a code.

// regionFromForm resolves what was typed for a region to a code. An empty
// field, or digits that name no division, are passed on for the service to
// refuse with its own reason. A name that is not unique or unknown gives a
// reason for the person, naming the candidates to choose from.
func (s *Server) regionFromForm(c echo.Context, typed string) (code, reason string) {
	typed = strings.TrimSpace(typed)
	if typed == "" {
		return "", ""
	}
	code, cands := s.Divisions.Lookup(typed)
	switch {
	case code != "":
		return code, ""
	case len(cands) > 0:
		names := make([]string, 0, len(cands))
		for i, cc := range cands {
			if i == 8 {
				names = append(names, "…")
				break
			}
			names = append(names, s.Divisions.FullName(cc)+"（"+cc+"）")
		}
		return "", s.pageTf(c, "region_ambiguous", map[string]any{"Name": typed, "Candidates": strings.Join(names, "、")})
	case allDigits(typed):
		return typed, ""
	}
	return "", s.pageTf(c, "region_unknown", map[string]any{"Name": typed})
}

// regionForForm is how a stored region is written back into a form field:
// its full name when that name alone finds it again, else its code.
func (s *Server) regionForForm(code string) string {
	full := s.Divisions.FullName(code)
	if full == "" {
		return code
	}
	if got, _ := s.Divisions.Lookup(full); got != code {
		return code
	}
	return full
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
