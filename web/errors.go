package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/jiujinan/jiujinan/funds"
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
	{kernel.ErrNotFound, http.StatusNotFound, "not_found"},
	{kernel.ErrUnauthorized, http.StatusUnauthorized, "unauthorized"},
	{kernel.ErrForbidden, http.StatusForbidden, "forbidden"},
	{kernel.ErrConflict, http.StatusConflict, "conflict"},
	{kernel.ErrTooMany, http.StatusTooManyRequests, "rate_limited"},
}

// refusedWithDetails reports whether err is a refusal that the API answers
// with details (a screening, ineligibility reasons, a reused key): pages show
// it on the form it came from, with the API's status.
func refusedWithDetails(err error) bool {
	return errors.As(err, new(*kernel.ScreeningBlockedError)) || errors.As(err, new(*funds.IneligibleError)) ||
		errors.As(err, new(funds.IdempotencyMismatchError))
}

// toAPIError decides status and body for err.
func toAPIError(err error) (int, apiError) {
	var v *kernel.ValidationError
	if errors.As(err, &v) {
		return http.StatusBadRequest, apiError{Code: "invalid", Message: "the request has invalid fields", Fields: v.Fields}
	}
	var locked *kernel.LockedError
	if errors.As(err, &locked) {
		return http.StatusTooManyRequests, apiError{Code: "locked", Message: locked.Error()}
	}
	var blocked *kernel.ScreeningBlockedError
	if errors.As(err, &blocked) {
		return http.StatusUnprocessableEntity, apiError{Code: "screening_block", Message: blocked.Error(), Details: blocked.Screening}
	}
	var ie *funds.IneligibleError
	if errors.As(err, &ie) {
		return http.StatusConflict, apiError{Code: "ineligible", Message: ie.Error(), Details: map[string]any{"reasons": ie.Reasons}}
	}
	if errors.As(err, new(funds.IdempotencyMismatchError)) {
		return http.StatusUnprocessableEntity, apiError{Code: "idempotency_key_reused", Message: err.Error()}
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
	cause := err.Error()
	var v *kernel.ValidationError
	if errors.As(err, &v) {
		// Field reasons may quote what was sent: log only which fields.
		cause = "invalid fields: " + strings.Join(sortedKeys(v.Fields), ", ")
	}
	if status >= 500 {
		s.log.Error("request failed", slog.String("request_id", rid), slog.String("route", c.Path()), slog.String("error", cause))
	} else {
		s.log.Info("request refused", slog.String("request_id", rid), slog.String("route", c.Path()),
			slog.Int("status", status), slog.String("code", body.Code), slog.String("error", cause))
		// The user reads the refusal in their language; the chain, with its
		// package prefixes, stays in the log under the request id.
		body.Message = s.userMessage(c, err, body.Message)
	}
	var locked *kernel.LockedError
	if errors.As(err, &locked) {
		setRetryAfter(c, locked)
	}
	if !strings.HasPrefix(c.Request().URL.Path, "/api/") && strings.Contains(c.Request().Header.Get("Accept"), "text/html") {
		if rerr := s.renderError(c, status, body.Message); rerr == nil {
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
func setRetryAfter(c echo.Context, locked *kernel.LockedError) {
	secs := int64((locked.RetryAfter + time.Second - 1) / time.Second)
	c.Response().Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
}

// userMessage is what err tells people, in the request's language (see
// pageLang): the catalogue message of the refusal in its chain, or of its
// kind; fallback when the catalogue has nothing for it (an echo error a
// handler wrote).
func (s *Server) userMessage(c echo.Context, err error, fallback string) string {
	loc := i18n.NewLocalizer(s.pages.bundle, pageLang(c))
	t := func(id string, args map[string]any) string {
		msg, lerr := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: s.messageArgs(loc, args)})
		if lerr != nil {
			s.log.Warn("no catalogue message", slog.String("id", id))
			msg, _ = loc.Localize(&i18n.LocalizeConfig{MessageID: "err_generic"})
		}
		return msg
	}
	var (
		v          *kernel.ValidationError
		locked     *kernel.LockedError
		blocked    *kernel.ScreeningBlockedError
		transition *marketplace.TransitionError
		ie         *funds.IneligibleError
		refusal    *kernel.Refusal
	)
	switch {
	case errors.As(err, &refusal):
		// Before validation: a refusal may wrap a *ValidationError that
		// gives the field (an .xls payment file).
		return t(refusal.Key, refusal.Args)
	case errors.As(err, &v):
		return t("err_invalid", nil)
	case errors.As(err, &locked):
		return t("err_locked", map[string]any{"Until": locked.Until.In(kernel.ChinaTime).Format("2006-01-02 15:04")})
	case errors.As(err, &blocked):
		switch blocked.Stage {
		case kernel.StageDisburse:
			return t("err_screening_block_disburse", nil)
		case kernel.StageAllocate:
			return t("err_screening_block_allocate", nil)
		case kernel.StageGift:
			return t("err_screening_block_gift", nil)
		}
		return t("err_screening_blocked", nil)
	case errors.As(err, &ie):
		return t("err_ineligible", nil) + " " + s.ineligibleReason(c, ie)
	case errors.As(err, new(funds.IdempotencyMismatchError)):
		return t("err_idempotency_key_reused", nil)
	case errors.As(err, &transition):
		state, lerr := loc.Localize(&i18n.LocalizeConfig{MessageID: "status_" + string(transition.From)})
		if lerr != nil {
			state = string(transition.From)
		}
		return t("err_transition", map[string]any{"State": state})
	case errors.Is(err, kernel.ErrNotFound):
		return t("err_not_found", nil)
	case errors.Is(err, kernel.ErrUnauthorized):
		return t("err_unauthorized", nil)
	case errors.Is(err, kernel.ErrForbidden):
		return t("err_forbidden", nil)
	case errors.Is(err, kernel.ErrConflict):
		return t("err_conflict", nil)
	case errors.Is(err, kernel.ErrTooMany):
		return t("err_too_many", nil)
	}
	// An HTTP error a handler or echo wrote (a bad page number, an upload
	// over the limit, no such route): its status says it.
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if id, ok := httpErrorMessages[he.Code]; ok {
			return t(id, nil)
		}
	}
	return fallback
}

// ineligibleReason is the first reason of ie in the request's language.
func (s *Server) ineligibleReason(c echo.Context, ie *funds.IneligibleError) string {
	loc := i18n.NewLocalizer(s.pages.bundle, pageLang(c))
	code := ""
	if len(ie.Reasons) > 0 {
		code = ie.Reasons[0].Code
	}
	msg, err := loc.Localize(&i18n.LocalizeConfig{MessageID: "ineligible_" + code, TemplateData: s.messageArgs(loc, ie.Args)})
	if err != nil {
		s.log.Warn("no catalogue message", slog.String("id", "ineligible_"+code))
		msg, _ = loc.Localize(&i18n.LocalizeConfig{MessageID: "ineligible_other"})
	}
	return msg
}

// messageArgs readies a refusal's args for its message: an amount in fen
// (a name ending in Fen) becomes yuan under the name without Fen, and a
// status (a name ending in Status) its catalogue word (state_…).
func (s *Server) messageArgs(loc *i18n.Localizer, args map[string]any) map[string]any {
	if len(args) == 0 {
		return nil
	}
	out := make(map[string]any, len(args))
	for k, a := range args {
		switch {
		case strings.HasSuffix(k, "Fen"):
			var fen int64
			switch n := a.(type) {
			case int64:
				fen = n
			case int:
				fen = int64(n)
			}
			out[strings.TrimSuffix(k, "Fen")] = FormatYuan(fen)
		case strings.HasSuffix(k, "Status"):
			str, _ := a.(string)
			if msg, err := loc.Localize(&i18n.LocalizeConfig{MessageID: "state_" + str}); err == nil {
				out[k] = msg
			} else {
				out[k] = str
			}
		default:
			out[k] = a
		}
	}
	return out
}

// httpErrorMessages word the HTTP errors without a domain error behind them.
var httpErrorMessages = map[int]string{
	http.StatusBadRequest: "err_bad_request", http.StatusNotFound: "err_not_found", http.StatusMethodNotAllowed: "err_method",
	http.StatusRequestEntityTooLarge: "err_too_large", http.StatusUnsupportedMediaType: "err_media_type",
	http.StatusTooManyRequests: "err_too_many", http.StatusForbidden: "err_forbidden", http.StatusUnauthorized: "err_unauthorized",
}
