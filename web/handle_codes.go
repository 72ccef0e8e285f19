package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
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

func codeList[T ~string](order []T, labels map[T]marketplace.Label) []codeJSON {
	out := make([]codeJSON, len(order))
	for i, c := range order {
		out[i] = codeJSON{Code: string(c), Zh: labels[c].Zh, En: labels[c].En}
	}
	return out
}

// codesJSON is built once: the lists never change while the process runs.
var codesJSON = map[string][]codeJSON{
	"categories":      codeList(marketplace.Categories, marketplace.CategoryLabels),
	"household_types": codeList(marketplace.HouseholdTypes, marketplace.HouseholdTypeLabels),
	"services":        codeList(marketplace.Services, marketplace.ServiceLabels),
	"urgencies": codeList([]marketplace.Urgency{marketplace.UrgencyEmergency, marketplace.UrgencyUrgent, marketplace.UrgencyNormal},
		marketplace.UrgencyLabels),
	"age_bands": codeList([]marketplace.AgeBand{marketplace.AgeUnder14, marketplace.Age14to17, marketplace.Age18to59, marketplace.Age60Plus},
		marketplace.AgeBandLabels),
	"programmes": codeList(marketplace.Programmes, marketplace.ProgrammeLabels),
}

// handleCodeList returns the code lists with Chinese and English labels
// (anyone): categories, household types, services, urgencies, age bands and
// statutory programmes, each in display order.
func (s *Server) handleCodeList(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", referenceCacheControl)
	return c.JSON(http.StatusOK, codesJSON)
}
