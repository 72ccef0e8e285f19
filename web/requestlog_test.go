package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
)

// requestLog remembers what the request logger wrote for each request, so
// that the harness can compare it with what the client got.
type requestLog struct {
	slog.Handler
	mu     *sync.Mutex
	status map[string]int // by request id
	counts map[string]int // by "status method route"
}

func newRequestLog(h slog.Handler) *requestLog {
	return &requestLog{Handler: h, mu: &sync.Mutex{}, status: map[string]int{}, counts: map[string]int{}}
}

func (l *requestLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "request" {
		var rid, method, route string
		status := -1
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "request_id":
				rid = a.Value.String()
			case "method":
				method = a.Value.String()
			case "route":
				route = a.Value.String()
			case "status":
				status = int(a.Value.Int64())
			}
			return true
		})
		l.mu.Lock()
		l.status[rid] = status
		l.counts[fmt.Sprintf("%d %s %s", status, method, route)]++
		l.mu.Unlock()
	}
	return l.Handler.Handle(ctx, r)
}

func (l *requestLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &requestLog{Handler: l.Handler.WithAttrs(as), mu: l.mu, status: l.status, counts: l.counts}
}

func (l *requestLog) WithGroup(name string) slog.Handler {
	return &requestLog{Handler: l.Handler.WithGroup(name), mu: l.mu, status: l.status, counts: l.counts}
}

// statusOf returns the status logged for the request with id rid.
func (l *requestLog) statusOf(rid string) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.status[rid]
	return s, ok
}

// checkLogged fails the test when the request with response rec was logged
// with another status than the one the client got. /healthz, /readyz and
// /metrics are not logged.
func (env *testEnv) checkLogged(req *http.Request, rec *httptest.ResponseRecorder) {
	env.t.Helper()
	switch req.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return
	}
	rid := rec.Header().Get("X-Request-Id")
	got, ok := env.reqlog.statusOf(rid)
	if !ok {
		env.t.Errorf("%s %s: answered %d but not logged", req.Method, req.URL.Path, rec.Code)
	} else if got != rec.Code {
		env.t.Errorf("%s %s: answered %d but logged status=%d", req.Method, req.URL.Path, rec.Code, got)
	}
}

var requestsTotalRe = regexp.MustCompile(`(?m)^jiujinan_requests_total\{code="(\d+)",host="[^"]*",method="([^"]*)",url="([^"]*)"\} (\d+)$`)

// checkCounted fails the test when jiujinan_requests_total differs from the
// request log (which checkLogged compared with the responses): every
// request counted under the status it was answered with.
func (env *testEnv) checkCounted(t *testing.T) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+testMetricsToken)
	env.srv.Echo.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("metrics: %d", rec.Code)
	}
	counted := map[string]int{}
	for _, m := range requestsTotalRe.FindAllStringSubmatch(rec.Body.String(), -1) {
		switch m[3] {
		case "/healthz", "/readyz":
			continue // not logged
		}
		n, _ := strconv.Atoi(m[4])
		counted[m[1]+" "+m[2]+" "+m[3]] = n
	}
	env.reqlog.mu.Lock()
	defer env.reqlog.mu.Unlock()
	for k, n := range env.reqlog.counts {
		if counted[k] != n {
			t.Errorf("logged %d× %q, counted %d× in jiujinan_requests_total", n, k, counted[k])
		}
	}
	for k, n := range counted {
		if _, ok := env.reqlog.counts[k]; !ok {
			t.Errorf("counted %d× %q in jiujinan_requests_total, logged never", n, k)
		}
	}
}
