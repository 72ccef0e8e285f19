package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/marketplace"
)

// apiError is the one JSON error shape of the API.
type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// Details carries structured reasons, such as a screening result.
	Details any `json:"details,omitempty"`
}

type errorBody struct {
	Error apiError `json:"error"`
}

// errorMapping is the one place that turns domain errors into a status and a
// code. Order matters: the first match wins.
var errorMapping = []struct {
	target error
	status int
	code   string
}{
	{marketplace.ErrNotFound, http.StatusNotFound, "not_found"},
	{marketplace.ErrUnauthorized, http.StatusUnauthorized, "unauthorized"},
	{marketplace.ErrForbidden, http.StatusForbidden, "forbidden"},
	{marketplace.ErrConflict, http.StatusConflict, "conflict"},
}

// Detailer is an error that carries structured details for the client (a
// screening result with its evidence, the lines a plan refused).
type Detailer interface {
	error
	Status() int
	Code() string
	Details() any
}

// toAPIError decides status and body for err.
func toAPIError(err error) (int, apiError) {
	var v *marketplace.ValidationError
	if errors.As(err, &v) {
		return http.StatusBadRequest, apiError{Code: "invalid", Message: "the request has invalid fields", Fields: v.Fields}
	}
	var locked *marketplace.LockedError
	if errors.As(err, &locked) {
		return http.StatusTooManyRequests, apiError{Code: "locked", Message: locked.Error()}
	}
	var blocked *marketplace.ScreeningBlockedError
	if errors.As(err, &blocked) {
		return http.StatusUnprocessableEntity, apiError{Code: "screening_block", Message: blocked.Error(), Details: blocked.Screening}
	}
	var d Detailer
	if errors.As(err, &d) {
		return d.Status(), apiError{Code: d.Code(), Message: d.Error(), Details: d.Details()}
	}
	for _, m := range errorMapping {
		if errors.Is(err, m.target) {
			return m.status, apiError{Code: m.code, Message: err.Error()}
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok && s != "" {
			msg = s
		}
		code := map[int]string{
			http.StatusBadRequest: "bad_request", http.StatusUnauthorized: "unauthorized", http.StatusForbidden: "forbidden",
			http.StatusNotFound: "not_found", http.StatusMethodNotAllowed: "method_not_allowed", http.StatusConflict: "conflict",
			http.StatusRequestEntityTooLarge: "too_large", http.StatusUnsupportedMediaType: "unsupported_media_type",
			http.StatusTooManyRequests: "rate_limited", http.StatusServiceUnavailable: "unavailable",
		}[he.Code]
		if code == "" {
			code = "error"
		}
		if he.Code >= 500 {
			return he.Code, apiError{Code: code, Message: "internal error"}
		}
		return he.Code, apiError{Code: code, Message: msg}
	}
	return http.StatusInternalServerError, apiError{Code: "internal", Message: "internal error"}
}

// errorHandler writes every error in the API's JSON shape. A 500 tells the
// client only "internal error" and logs the cause with the request id.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := toAPIError(err)
	rid := c.Response().Header().Get(echo.HeaderXRequestID)
	if status >= 500 {
		s.log.Error("request failed", slog.String("request_id", rid), slog.String("route", c.Path()), slog.String("error", err.Error()))
	}
	var locked *marketplace.LockedError
	if errors.As(err, &locked) {
		setRetryAfter(c, locked)
	}
	if !strings.HasPrefix(c.Request().URL.Path, "/api/") && strings.Contains(c.Request().Header.Get("Accept"), "text/html") {
		if rerr := s.renderError(c, status); rerr == nil {
			return
		}
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, errorBody{Error: body})
	}
	if err != nil {
		s.log.Error("write error response", slog.String("request_id", rid), slog.String("error", err.Error()))
	}
}

// setRetryAfter tells the client in whole seconds, rounded up, when it may
// try to sign in again.
func setRetryAfter(c echo.Context, locked *marketplace.LockedError) {
	secs := int64((locked.RetryAfter + time.Second - 1) / time.Second)
	c.Response().Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
}
