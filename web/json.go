package web

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

// decodeJSON reads the request body into v strictly: JSON content type, one
// value of the kind v holds (an object for a struct, never null), no unknown
// fields, every field tagged `required:"true"` present, and no control
// characters in text. Every handler that takes a JSON body goes through it,
// so what docs/openapi.yaml forbids is refused in one place. Errors name the
// field when they can.
func decodeJSON(c echo.Context, v any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if mt, _, _ := mime.ParseMediaType(ct); mt != echo.MIMEApplicationJSON {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the body as application/json")
	}
	dec := json.NewDecoder(c.Request().Body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return kernel.Invalid("body", "must hold exactly one JSON object")
	}
	t := reflect.TypeOf(v).Elem()
	if err := checkJSONKind(raw, t, "body"); err != nil {
		return err
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	strict.UseNumber()
	if err := strict.Decode(v); err != nil {
		return jsonFieldError(err, raw, t)
	}
	verr := &kernel.ValidationError{}
	checkRequired(raw, t, "", verr)
	checkText(reflect.ValueOf(v), "", verr)
	return verr.Err()
}

// checkJSONKind refuses a body whose top-level value is not what t decodes
// from: null would leave v untouched and read as an empty request.
func checkJSONKind(raw json.RawMessage, t reflect.Type, field string) error {
	b := bytes.TrimSpace(raw)
	var first byte
	if len(b) > 0 {
		first = b[0]
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		if first != '{' {
			return kernel.Invalid(field, "must be a JSON object")
		}
	case reflect.Slice:
		if first != '[' {
			return kernel.Invalid(field, "must be a JSON list")
		}
	}
	return nil
}

// jsonError turns an error reading or decoding a body into the answer.
func jsonError(err error) error { return jsonFieldError(err, nil, nil) }

// jsonFieldError is jsonError for a body raw that failed to decode into t,
// naming the field that failed.
func jsonFieldError(err error, raw json.RawMessage, t reflect.Type) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes", mbe.Limit))
	case errors.As(err, &te):
		field, _ := badJSONField(raw, t, "")
		if field == "" {
			field = te.Field
		}
		if field == "" {
			field = "body"
		}
		return kernel.Invalid(field, "must be %s, not %s", jsonType(te.Type), jsonValueName(te.Value))
	case errors.As(err, &se):
		return kernel.Invalid("body", "is not valid JSON (at byte %d)", se.Offset)
	case errors.Is(err, io.EOF):
		return kernel.Invalid("body", "is empty")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return kernel.Invalid(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "is not a known field")
	case strings.Contains(err.Error(), "http: request body too large"):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "body is too large")
	}
	// A type's own UnmarshalJSON (a time, a code) failed: find which field
	// it was, and say what that field takes rather than the Go error.
	if field, ft := badJSONField(raw, t, ""); field != "" {
		return kernel.Invalid(field, "must be %s", jsonType(ft))
	}
	return kernel.Invalid("body", "is not valid JSON")
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// badJSONField returns the path (a.b[0].c) and Go type of the deepest field
// of raw that does not decode into its part of t, or "" when it finds none.
func badJSONField(raw json.RawMessage, t reflect.Type, path string) (string, reflect.Type) {
	if t == nil || len(raw) == 0 {
		return "", nil
	}
	fails := func(sub json.RawMessage, ft reflect.Type) bool {
		return json.Unmarshal(sub, reflect.New(ft).Interface()) != nil
	}
	if !fails(raw, t) {
		return "", nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType) {
		return path, t
	}
	switch t.Kind() {
	case reflect.Struct:
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return path, t
		}
		for _, f := range jsonFields(t) {
			if sub, ok := m[f.name]; ok && fails(sub, f.typ) {
				if p, ft := badJSONField(sub, f.typ, joinPath(path, f.name)); p != "" {
					return p, ft
				}
			}
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return path, t
		}
		for i, sub := range items {
			if fails(sub, t.Elem()) {
				return badJSONField(sub, t.Elem(), path+"["+strconv.Itoa(i)+"]")
			}
		}
	case reflect.Map:
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return path, t
		}
		for k, sub := range m {
			if fails(sub, t.Elem()) {
				return badJSONField(sub, t.Elem(), joinPath(path, k))
			}
		}
	}
	return path, t
}

type jsonField struct {
	name     string
	index    []int
	typ      reflect.Type
	required bool
}

// jsonFields lists the JSON-visible fields of struct t, embedded ones
// included, as encoding/json names them.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			continue // its fields are listed by VisibleFields
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, index: f.Index, typ: f.Type, required: f.Tag.Get("required") == "true"})
	}
	return out
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// checkRequired records every field of t tagged `required:"true"` that raw
// leaves out or sends as null: an absent amount must not read as 0.
func checkRequired(raw json.RawMessage, t reflect.Type, path string, v *kernel.ValidationError) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if reflect.PointerTo(t).Implements(unmarshalerType) {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return
		}
		for _, f := range jsonFields(t) {
			sub, ok := m[f.name]
			if !ok || string(bytes.TrimSpace(sub)) == "null" {
				if f.required {
					v.Add(joinPath(path, f.name), "is required")
				}
				continue
			}
			checkRequired(sub, f.typ, joinPath(path, f.name), v)
		}
	case reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return
		}
		for i, sub := range items {
			checkRequired(sub, t.Elem(), path+"["+strconv.Itoa(i)+"]", v)
		}
	}
}

// checkText records every string in v that holds a control character other
// than tab and line breaks (a NUL, an escape): no text field takes them, and
// stored they break exports, logs and pages.
func checkText(v reflect.Value, path string, verr *kernel.ValidationError) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkText(v.Elem(), path, verr)
		}
	case reflect.String:
		if hasControl(v.String()) {
			field := path
			if field == "" {
				field = "body"
			}
			verr.Add(field, "must not contain control characters")
		}
	case reflect.Struct:
		for _, f := range jsonFields(v.Type()) {
			fv, err := v.FieldByIndexErr(f.index)
			if err == nil {
				checkText(fv, joinPath(path, f.name), verr)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			checkText(v.Index(i), path+"["+strconv.Itoa(i)+"]", verr)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if hasControl(k) {
				verr.Add(joinPath(path, "key"), "must not contain control characters")
			}
			checkText(iter.Value(), joinPath(path, k), verr)
		}
	}
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	}) >= 0
}

// jsonType says in words what a field of Go type t takes.
func jsonType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[time.Time]() {
		return "a date-time (RFC 3339, e.g. 2026-12-01T00:00:00+08:00)"
	}
	if t == reflect.TypeFor[json.Number]() {
		return "a number"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another type"
}

// jsonValueName turns encoding/json's description of a value ("number 1.5",
// "string") into words without Go names.
func jsonValueName(v string) string {
	switch {
	case v == "":
		return "this value"
	case strings.HasPrefix(v, "number"):
		return "a number"
	case v == "string":
		return "a string"
	case v == "bool":
		return "true or false"
	case v == "array":
		return "a list"
	case v == "object":
		return "an object"
	}
	return v
}
