package web

// The statistics' routes in the route tables (routes_test.go,
// routes_scope_test.go): who may call them, their scope, and the calls an
// out-of-scope user makes.
//
//	org_area  staff whose organization's region contains the region asked
//	          for (stats.Areas: a verifier of a civil affairs office, staff
//	          and auditors of an organization; a charity federation's staff
//	          also for the counties under it), and a charity federation's
//	          staff for the counties under its region (stats.FederationAreas)
func init() {
	addRouteAccess(map[string][]string{
		"GET /api/v1/statistics": {"verifier", "federation_staff", "auditor"},
	})
	knownScopes["org_area"] = true
	routeScope["GET /api/v1/statistics"] = "org_area"
	// Another county's verifier, another county's federation and its
	// auditor ask for 郓城县 and are refused; what they read by default is
	// their own county, which says nothing of 郓城县.
	scopeProbes["GET /api/v1/statistics"] = func(fx *scopeFixture) []scopeCall {
		p := "/api/v1/statistics?period=2026-11&region=371725"
		return []scopeCall{{who: fx.verB, path: p, want: 403}, {who: fx.staffB, path: p, want: 403}, {who: fx.auditorB, path: p, want: 403},
			{who: fx.verB, path: p + "&format=csv", want: 403}, {who: fx.staffB, path: p + "&format=xlsx", want: 403},
			{who: fx.staffB, path: "/api/v1/statistics?period=2026-11", want: 200, absent: "371725"},
			{who: fx.verB, path: "/api/v1/statistics?period=2026", want: 200, absent: "371725"}}
	}
	pageScopeProbes["GET /stats"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/stats?period=2026-11&region=371725", want: 403, absent: "郓城县"},
			{who: fx.staffB, path: "/stats?period=2026-11&region=3717", want: 403},
			{who: fx.auditorB, path: "/stats", want: 200, absent: "郓城县"}}
	}
	pageScopeProbes["GET /stats/file"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/stats/file?period=2026-11&region=371725&format=csv", want: 403},
			{who: fx.staffB, path: "/stats/file?period=2026&region=371725&format=xlsx", want: 403}}
	}
	pageScopeProbes["GET /staff/counties"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/counties", want: 200, absent: "郓城县"},
			{who: fx.staffB, path: "/staff/counties?region=371725", want: 404, absent: "郓城县"}}
	}
	pageScopeProbes["GET /staff/counties/:id"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.staffB, path: "/staff/counties/371725", want: 404, absent: fx.fund}}
	}
	pageScopeProbes["GET /verify/notices"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/notices", want: 200, absent: fx.objectionNeed},
			{who: fx.verB, path: "/verify/notices?region=371725", want: 403, absent: fx.objectionNeed}}
	}
	pageScopeProbes["GET /verify/notices/print"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/notices/print?region=371725&layout=list", want: 403, absent: fx.objectionNeed},
			{who: fx.verB, path: "/verify/notices/print?region=371725001&layout=pages", want: 403, absent: fx.objectionNeed}}
	}
	pageScopeProbes["GET /verify/notices/:id"] = func(fx *scopeFixture) []scopeCall {
		return []scopeCall{{who: fx.verB, path: "/verify/notices/" + fx.objectionNeed, want: 404}, {who: fx.verB, path: "/verify/notices/" + fx.need, want: 404}}
	}
}
