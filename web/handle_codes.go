package web

import (
	"net/http"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

// referenceCacheControl lets clients and proxies keep the reference data
// (codes, divisions), which changes only with a new release, for an hour.
const referenceCacheControl = "public, max-age=3600"

// codeJSON is one code with its labels.
type codeJSON struct {
	Code string `json:"code"`
	Zh   string `json:"zh"`
	En   string `json:"en"`
}

func codeList[T ~string](order []T, labels map[T]kernel.Label) []codeJSON {
	out := make([]codeJSON, len(order))
	for i, c := range order {
		out[i] = codeJSON{Code: string(c), Zh: labels[c].Zh, En: labels[c].En}
	}
	return out
}

// codesJSON is built once: the lists never change while the process runs.
var codesJSON = map[string][]codeJSON{
	"categories":      codeList(kernel.Categories, kernel.CategoryLabels),
	"household_types": codeList(kernel.HouseholdTypes, kernel.HouseholdTypeLabels),
	"services":        codeList(kernel.Services, kernel.ServiceLabels),
	"urgencies": codeList([]kernel.Urgency{kernel.UrgencyEmergency, kernel.UrgencyUrgent, kernel.UrgencyNormal},
		kernel.UrgencyLabels),
	"age_bands": codeList([]kernel.AgeBand{kernel.AgeUnder14, kernel.Age14to17, kernel.Age18to59, kernel.Age60Plus},
		kernel.AgeBandLabels),
	"programmes": codeList(kernel.Programmes, kernel.ProgrammeLabels),
}

// handleCodeList returns the code lists with Chinese and English labels
// (anyone): categories, household types, services, urgencies, age bands and
// statutory programmes, each in display order.
func (s *Server) handleCodeList(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", referenceCacheControl)
	return c.JSON(http.StatusOK, codesJSON)
}
