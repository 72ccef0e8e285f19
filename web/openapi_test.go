package web

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The API description must be valid OpenAPI and describe every route the
// server registers, with no path it does not.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	b, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("docs/openapi.yaml is not valid OpenAPI: %v", err)
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	env := newTestEnv(t, mustSQLite(t))
	for _, r := range env.srv.Routes() {
		key := r.Method + " " + param.ReplaceAllString(strings.TrimPrefix(r.Path, "/api/v1"), "{$1}")
		if !documented[key] {
			t.Errorf("%s is not in docs/openapi.yaml", key)
		}
		delete(documented, key)
	}
	for k := range documented {
		t.Errorf("docs/openapi.yaml documents %s, which the server does not serve", k)
	}
}
