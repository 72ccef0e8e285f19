package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/jiujinan/jiujinan/funds"
)

// apiPrefix is where docs/openapi.yaml's one server lives.
const apiPrefix = "/api/v1"

// specRouter loads docs/openapi.yaml once for every test in the package.
var specRouter = sync.OnceValues(func() (routers.Router, error) {
	b, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, err
	}
	// The requests are matched on their path below the server's prefix.
	doc.Servers = nil
	// Downloads (a receipt as a page) are checked for their status and
	// content type; their bodies are text.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder(funds.AidXLSX.ContentType(), openapi3filter.FileBodyDecoder)
	return legacy.NewRouter(doc)
})

// checkAgainstSpec replays one request and its answer through the OpenAPI
// validator: the answer must be one the description allows (status, shape),
// and a request the description forbids must not succeed. Every scenario test
// goes through env.do, so every route they call is checked.
func checkAgainstSpec(t testing.TB, req *http.Request, body []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, apiPrefix+"/") {
		return
	}
	router, err := specRouter()
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	r := req.Clone(context.Background())
	r.URL.Path = strings.TrimPrefix(req.URL.Path, apiPrefix)
	r.URL.RawPath = ""
	r.RequestURI = ""
	r.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := router.FindRoute(r)
	if err != nil {
		// An unknown path or method must be refused.
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("spec: %s %s is not described but answered %d", req.Method, req.URL, rec.Code)
		}
		return
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && rec.Code < 400 {
		t.Errorf("spec: the description forbids %s %s (%s) but the server answered %d:\n%v", req.Method, req.URL, body, rec.Code, specErr(err))
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(), Options: opts}
	out.SetBodyBytes(rec.Body.Bytes())
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("spec: the answer %d to %s %s does not match the description:\n%v\nbody: %.600s", rec.Code, req.Method, req.URL, specErr(err), rec.Body.Bytes())
	}
}

// specErr shortens the validator's messages, which quote whole schemas.
func specErr(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var b strings.Builder
		for _, e := range me {
			b.WriteString("  - " + specErr(e) + "\n")
		}
		return b.String()
	}
	s := err.Error()
	if i := strings.Index(s, "\nSchema:"); i >= 0 {
		s = s[:i]
	}
	return s
}
