package web

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

// Who may call each API route. Every route the server registers must be
// listed here, and every entry must be registered: a new route without an
// entry fails TestEveryRouteHasAnAuthorizationEntry.
//
//	"*"         anyone, signed in or not
//	"signed_in" any signed-in user
//	roles       only these roles (others get 403, anonymous 401)
//
// Each area adds its routes from its own test file with addRouteAccess in an
// init function. Which of those users pass for a given object (own
// organization, containing region, own record, …) is the route's scope, in
// routeScope (routes_scope_test.go), which every route must also have.
var routeAccess = map[string][]string{
	"POST /api/v1/auth/register":              {"*"},
	"POST /api/v1/auth/login":                 {"*"},
	"POST /api/v1/auth/logout":                {"*"},
	"GET /api/v1/auth/me":                     {"signed_in"},
	"POST /api/v1/orgs":                       {"admin"},
	"GET /api/v1/orgs":                        {"admin"},
	"POST /api/v1/orgs/:id/members":           {"admin"},
	"PUT /api/v1/orgs/:id/collection-account": {"admin", "federation_staff"},
}

// addRouteAccess adds an area's entries to routeAccess; a key listed twice is
// a mistake.
func addRouteAccess(m map[string][]string) {
	for k, v := range m {
		if _, dup := routeAccess[k]; dup {
			panic("routeAccess: " + k + " listed twice")
		}
		routeAccess[k] = v
	}
}

func TestEveryRouteHasAnAuthorizationEntry(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	declared := map[string]Route{}
	for _, r := range env.srv.Routes() {
		declared[r.Method+" "+r.Path] = r
	}
	// Every echo route under /api/ must have been declared through
	// public/signedIn/only, so that its access rule is known.
	for _, r := range env.srv.Echo.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") || r.Method == "echo_route_any" {
			continue
		}
		if _, ok := declared[r.Method+" "+r.Path]; !ok {
			t.Errorf("%s %s is registered without an access rule", r.Method, r.Path)
		}
	}
	var missing, stale []string
	for k := range declared {
		if _, ok := routeAccess[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range routeAccess {
		if _, ok := declared[k]; !ok {
			stale = append(stale, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	for _, k := range missing {
		t.Errorf("route %s has no entry in routeAccess", k)
	}
	for _, k := range stale {
		t.Errorf("routeAccess lists %s, which the server does not register", k)
	}
	// The declared rule must be the one in the table.
	for k, r := range declared {
		want, ok := routeAccess[k]
		if !ok {
			continue
		}
		if got := accessOf(r); strings.Join(got, ",") != strings.Join(sorted(want), ",") {
			t.Errorf("%s: server allows %v, table says %v", k, got, want)
		}
	}
}

func accessOf(r Route) []string {
	switch {
	case !r.Auth:
		return []string{"*"}
	case len(r.Roles) == 0:
		return []string{"signed_in"}
	}
	var out []string
	for _, role := range r.Roles {
		out = append(out, string(role))
	}
	return sorted(out)
}

func sorted(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// TestRoutesRefuseWrongRoles calls every route anonymously and with a token
// of every role: callers outside the rule get 401 (anonymous) or 403; those
// inside never do (they may get 400 or 404 for the empty request).
func TestRoutesRefuseWrongRoles(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		tokens := map[kernel.Role]string{}
		for _, role := range kernel.Roles {
			tokens[role], _ = env.user(role, nil)
		}
		for _, r := range env.srv.Routes() {
			path := strings.ReplaceAll(r.Path, ":id", "01jjnotanid000000000000000")
			key := r.Method + " " + r.Path
			t.Run(key, func(t *testing.T) {
				allowed := map[string]bool{}
				for _, a := range routeAccess[key] {
					allowed[a] = true
				}
				if r.Auth {
					if got := env.do(r.Method, path, "", "{}").Status; got != http.StatusUnauthorized {
						t.Errorf("anonymous: %d, want 401", got)
					}
				}
				for _, role := range kernel.Roles {
					tok := tokens[role]
					if key == "POST /api/v1/auth/logout" {
						// Logout ends every session of the account: use
						// an account of its own, not the one the other
						// routes are called with.
						tok, _ = env.user(role, nil)
					}
					got := env.do(r.Method, path, tok, "{}").Status
					inRule := allowed["*"] || allowed["signed_in"] || allowed[string(role)]
					switch {
					case allowed["*"] && got == 403:
						t.Errorf("%s: 403 on a public route", role)
					case !allowed["*"] && inRule && (got == 401 || got == 403):
						t.Errorf("%s: %d, but the role is allowed", role, got)
					case !inRule && got != 403:
						t.Errorf("%s: %d, want 403", role, got)
					}
				}
			})
		}
	})
}
