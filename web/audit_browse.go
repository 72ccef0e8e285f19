package web

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

// What the auditor's two browsers (the audit log and the ledger) share:
// the period filter in China dates, the paging cursor, and the CSV export
// (UTF-8 with a BOM so that Excel opens it, a header row in Chinese, one
// file for the whole filtered list up to browseCSVMax rows).

const (
	// browsePerPage is a page of the browsers' pages; the API's default.
	browsePerPage = 50
	// browseMaxPerPage bounds the API's limit.
	browseMaxPerPage = 500
	// browseCSVMax bounds one CSV export: an auditor narrows the period
	// for more.
	browseCSVMax = 20_000
)

// browsePeriod reads the from and to query parameters, China dates
// (2026-11-23), both included: From ≤ t < the day after To.
func browsePeriod(c echo.Context) (from, to time.Time, err error) {
	day := func(name string) (time.Time, error) {
		s := c.QueryParam(name)
		if s == "" {
			return time.Time{}, nil
		}
		d, err := time.ParseInLocation(time.DateOnly, s, kernel.ChinaTime)
		if err != nil {
			return time.Time{}, kernel.Invalid(name, "date must be YYYY-MM-DD")
		}
		return d, nil
	}
	if from, err = day("from"); err != nil {
		return
	}
	if to, err = day("to"); err != nil {
		return
	}
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1)
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return from, to, kernel.Invalid("to", "must not be before from")
	}
	return from, to, nil
}

// browseCursor reads the before parameter: the key of the last item of the
// page before, as the answer's next gave it; 0 when absent.
func browseCursor(c echo.Context) (int64, error) {
	s := c.QueryParam("before")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 36, 64)
	if err != nil || n <= 0 {
		return 0, kernel.Invalid("before", "must be the next cursor of an earlier answer")
	}
	return n, nil
}

// cursorOf is the before parameter that continues after key.
func cursorOf(key int64) string { return strconv.FormatInt(key, 36) }

// browseFormat says whether the caller asked for CSV: ?format=csv, or an
// Accept header naming text/csv (API); ?format=json or nothing is JSON.
func browseFormat(c echo.Context) (csvWanted bool, err error) {
	switch c.QueryParam("format") {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
		return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/csv"), nil
	}
	return false, kernel.Invalid("format", "must be json or csv")
}

// browseLimit reads the API's limit parameter.
func browseLimit(c echo.Context) (int, error) {
	return queryIntIn(c, "limit", browsePerPage, 1, browseMaxPerPage)
}

// pageFor is a page in the request's language, for handlers that word
// what templates word.
func (s *Server) pageFor(c echo.Context) *page {
	lang := pageLang(c)
	return &page{Lang: lang, loc: i18n.NewLocalizer(s.pages.bundle, lang), div: s.pages.div}
}

// zhPage is a page in Chinese, for the CSV exports.
func (s *Server) zhPage() *page {
	return &page{Lang: "zh", loc: i18n.NewLocalizer(s.pages.bundle, "zh"), div: s.pages.div}
}

// zhT translates for the CSV exports, which are in Chinese whatever the
// page's language: they go to Chinese auditors and their spreadsheets.
func (s *Server) zhT(id string) string {
	msg, err := i18n.NewLocalizer(s.pages.bundle, "zh").Localize(&i18n.LocalizeConfig{MessageID: id})
	if err != nil {
		return id
	}
	return msg
}

// sendCSV writes rows under header as a CSV download named name: a BOM,
// the header, every field escaped so that a spreadsheet never runs it
// (funds.CSVField; numbers stay numbers).
func sendCSV(c echo.Context, name string, header []string, rows [][]string, numeric map[int]bool) error {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	_ = w.Write(header)
	for _, row := range rows {
		for i := range row {
			if !numeric[i] {
				row[i] = funds.CSVField(row[i])
			}
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// chinaDateTime formats a time for a CSV cell, in China time.
func chinaDateTime(t time.Time) string { return t.In(kernel.ChinaTime).Format("2006-01-02 15:04:05") }

// browseLink is path with the query values that are set.
func browseLink(path string, v url.Values) string {
	for k, vs := range v {
		if len(vs) == 0 || vs[0] == "" {
			delete(v, k)
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// browseLinks are a browser page's links, each with the filter (values)
// kept: next to the entries older than the key last (none when last is 0:
// no more), newest back to the first page (none on it: before is 0), and
// the CSV export of the filtered list.
func browseLinks(path string, values func() url.Values, last, before int64) (next, newest, csv string) {
	if last > 0 {
		v := values()
		v.Set("before", cursorOf(last))
		next = browseLink(path, v)
	}
	if before > 0 {
		newest = browseLink(path, values())
	}
	v := values()
	v.Set("format", "csv")
	return next, newest, browseLink(path, v)
}
