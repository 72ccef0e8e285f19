package web

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/jiujinan/jiujinan/kernel"
)

// Validation messages on pages. kernel.ValidationError keeps each field's
// message as its English format and values (kernel.Reason); the API answers
// the English text, and a page says it in the reader's language: zh-CN from
// i18n/reasons.zh.toml, keyed by the English format, English as written.
// Values quoted in a message are what the user typed or a code; amounts
// are kernel.Fen, which print in yuan.

var (
	reasonsOnce sync.Once
	reasonsZH   map[string]string
	reasonsErr  error
)

// zhReasons is the zh-CN catalogue of validation messages.
func zhReasons() (map[string]string, error) {
	reasonsOnce.Do(func() {
		raw, err := catalogFS.ReadFile("i18n/reasons.zh.toml")
		if err != nil {
			reasonsErr = err
			return
		}
		m := map[string]string{}
		if err := toml.Unmarshal(raw, &m); err != nil {
			reasonsErr = fmt.Errorf("web: i18n/reasons.zh.toml: %w", err)
			return
		}
		reasonsZH = m
	})
	return reasonsZH, reasonsErr
}

// reasonText says r in lang ("zh" or "en"). A message that only passes on
// another text ("%s"), or that the catalogue lacks, becomes the generic
// "check this field" in Chinese; the English text goes to the log.
func (s *Server) reasonText(lang string, r kernel.Reason) string {
	if lang == "en" {
		return r.String()
	}
	m, err := zhReasons()
	f, ok := m[string(r.Format)]
	if err != nil || !ok || f == "%s" || f == "%v" {
		s.log.Warn("validation message without a translation", "format", string(r.Format))
		return s.pages.t(lang, "field_invalid")
	}
	args := make([]any, len(r.Args))
	for i, a := range r.Args {
		args[i] = s.codeWords(lang, a)
	}
	return fmt.Sprintf(f, args...)
}

// codePrefixes are the catalogue families a code quoted in a message may
// belong to, tried in order.
var codePrefixes = []string{"role_", "org_kind_", "bg_status_", "status_", "svc_", "cat_"}

// codeWords says a code a message quotes (a role, an organization kind, a
// status; or a list of them, joined with 、) in lang; other values stay as
// they are.
func (s *Server) codeWords(lang string, a any) any {
	v := reflect.ValueOf(a)
	word := func(code string) (string, bool) {
		for _, p := range codePrefixes {
			if w, ok := s.pages.msg(lang, p+code); ok {
				return w, true
			}
		}
		return code, false
	}
	switch {
	case !v.IsValid():
		return a
	case v.Kind() == reflect.String:
		if w, ok := word(v.String()); ok {
			return w
		}
		return a
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i], _ = word(v.Index(i).String())
		}
		return strings.Join(parts, "、")
	}
	return a
}

// fieldErrors words every problem of ve in the request's language, under
// the form's field names: rename maps a service field to the form's (a
// field not in it keeps its name, with a "beneficiary." style prefix
// removed when rename lacks it).
func (s *Server) fieldErrors(c echo.Context, ve *kernel.ValidationError, rename map[string]string, into map[string]string) {
	lang := pageLang(c)
	for field, english := range ve.Fields {
		name, ok := rename[field]
		if !ok {
			name = field
		}
		if _, taken := into[name]; taken {
			continue
		}
		r, ok := ve.Reasons[field]
		if !ok {
			r = kernel.Reason{Format: "%s", Args: []any{english}}
		}
		into[name] = s.reasonText(lang, r)
	}
}

// fieldsText is every problem of ve in one line, for a form that has no
// place beside each field: "金额：须大于零；日期：…", with the fields named
// from the catalogue (field_<name>) where it has them.
func (s *Server) fieldsText(c echo.Context, ve *kernel.ValidationError) string {
	errs := map[string]string{}
	s.fieldErrors(c, ve, nil, errs)
	lang := pageLang(c)
	parts := make([]string, 0, len(errs))
	for _, f := range sortedKeys(errs) {
		label := s.fieldLabel(lang, f)
		if label == "" {
			parts = append(parts, errs[f])
			continue
		}
		parts = append(parts, label+s.pages.t(lang, "field_sep")+errs[f])
	}
	sep := "；"
	if lang == "en" {
		sep = "; "
	}
	return strings.Join(parts, sep)
}

// msg is the catalogue message id in lang, and whether there is one.
func (p *pages) msg(lang, id string) (string, bool) {
	s, err := i18n.NewLocalizer(p.bundle, lang).Localize(&i18n.LocalizeConfig{MessageID: id})
	return s, err == nil
}

// t is the catalogue message id in lang (the id when there is none).
func (p *pages) t(lang, id string) string {
	if s, ok := p.msg(lang, id); ok {
		return s
	}
	return id
}

// tOr is the catalogue message id in lang, or fallback.
func (p *pages) tOr(lang, id, fallback string) string {
	if s, ok := p.msg(lang, id); ok {
		return s
	}
	return fallback
}

// fieldLabel names a field of the API for a page: field_<name> from the
// catalogue, trying the whole name ("cost_period.from") and then its first
// part ("skills" of "skills[0].level"); "line 3" of a file is 第3行. ""
// when the catalogue has no name for it.
func (s *Server) fieldLabel(lang, field string) string {
	if n, ok := strings.CutPrefix(field, "line "); ok {
		if tmpl, ok := s.pages.msg(lang, "field_line"); ok {
			return strings.ReplaceAll(tmpl, "#", n)
		}
	}
	if l, ok := s.pages.msg(lang, "field_"+strings.ReplaceAll(field, ".", "_")); ok {
		return l
	}
	base, _, _ := strings.Cut(field, "[")
	base, _, _ = strings.Cut(base, ".")
	return s.pages.tOr(lang, "field_"+base, "")
}
