package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/search"
)

// TestCoarsenedNeedTextDoesNotNameHiddenPlaces: a need whose region is
// shown coarser than its own does not name the hidden divisions (town,
// county, city, province, a hospital named after the county) in any public
// answer, page, search document, preview or update; a need shown at its
// county keeps the county's name.
func TestCoarsenedNeedTextDoesNotNameHiddenPlaces(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		hunan, err := env.accounts.CreateOrg(t.Context(), env.admin, marketplace.NewOrg{Name: "隆回县民政局", Kind: kernel.OrgCivilAffairs, RegionCode: "430524"})
		if err != nil {
			t.Fatal(err)
		}
		hunanVerifier, _ := env.user(kernel.RoleVerifier, hunan)

		// Alone in its cell: shown nationwide.
		b := needBody()
		ben(b)["region_code"] = "430524101" // 湖南省邵阳市隆回县小沙江镇
		ben(b)["address"] = "湖南省邵阳市隆回县小沙江镇"
		b["title"] = "隆回县患儿白血病化疗求助"
		b["story"] = "张建华是湖南隆回人，家在小沙江镇，现于隆回县人民医院血液科化疗，曾转诊邵阳市中心医院。"
		hidden := env.createNeed(worker, b)
		secrets := []string{"湖南", "邵阳", "隆回", "小沙江"}
		var answers []response
		answers = append(answers, env.do("GET", "/api/v1/needs/"+hidden+"/preview", worker, nil))
		pub := env.do("POST", "/api/v1/needs/"+hidden+"/clearance", hunanVerifier, map[string]any{"decision": "cleared", "note": "已核实"})
		if pub.Status != 200 {
			t.Fatalf("clear: %d %s", pub.Status, pub.Body)
		}
		pub = env.do("POST", "/api/v1/needs/"+hidden+"/publish", worker, nil)
		if pub.Status != 200 {
			t.Fatalf("publish: %d %s", pub.Status, pub.Body)
		}
		// The worker's publish answer shows the real region; its projection does not.
		projection, _ := json.Marshal(pub.JSON(t)["projection"])
		answers = append(answers,
			env.do("POST", "/api/v1/needs/"+hidden+"/updates", worker, map[string]any{"text": "已从隆回县人民医院转回邵阳复查"}))

		// Five needs of one county: the last is shown at its county.
		var county []string
		for range 5 {
			b := needBody()
			b["story"] = "张建华在郓城县人民医院透析，家在郓城。"
			id := env.createNeed(worker, b)
			env.clearAndPublish(id, worker, verifier)
			county = append(county, id)
		}
		if _, err := env.indexer.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}

		got := env.do("GET", "/api/v1/needs/"+hidden, "", nil)
		if got.Status != 200 || got.JSON(t)["region_code"] != kernel.NationalRegion || !strings.Contains(string(got.Body), "血液科化疗") {
			t.Fatalf("public need: %d %s", got.Status, got.Body)
		}
		answers = append(answers, got,
			env.do("GET", "/api/v1/needs/"+hidden+"/updates", worker, nil),
			env.do("GET", "/api/v1/needs?q="+url.QueryEscape("化疗"), "", nil))
		if r := env.do("GET", "/api/v1/needs?q="+url.QueryEscape("隆回"), "", nil); strings.Contains(string(r.Body), hidden) {
			t.Errorf("search for the hidden county finds the need: %s", r.Body)
		}
		page := newBrowser(env).do(http.MethodGet, "/needs/"+hidden, nil)
		if page.Code != 200 || !strings.Contains(page.Body.String(), "血液科化疗") {
			t.Fatalf("need page: %d", page.Code)
		}
		res, err := env.index.Search(context.Background(), search.Query{Now: *env.now.Load(), PerPage: 100})
		if err != nil {
			t.Fatal(err)
		}
		docs, _ := json.Marshal(res.Needs)
		texts := map[string]string{"page": page.Body.String(), "search documents": string(docs), "published projection": string(projection)}
		for i, r := range answers {
			if r.Status >= 300 {
				t.Errorf("answer %d: %d %s", i, r.Status, r.Body)
			}
			texts["answer "+string(rune('0'+i))] = string(r.Body)
		}
		for where, text := range texts {
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("%s names %q: %s", where, s, text)
				}
			}
		}

		last := env.do("GET", "/api/v1/needs/"+county[4], "", nil).JSON(t)
		if last["region_code"] != "371725" || !strings.Contains(last["story"].(string), "郓城县人民医院") {
			t.Errorf("need shown at its county lost its county's name: %v %v", last["region_code"], last["story"])
		}
		// Shown at the county since the fifth was published, the first now
		// names its county's hospital too (docs/privacy.md), not the household.
		first := env.do("GET", "/api/v1/needs/"+county[0], "", nil).JSON(t)
		if first["region_code"] != "371725" || !strings.Contains(first["story"].(string), "郓城县人民医院") || strings.Contains(first["story"].(string), "张建华") {
			t.Errorf("re-projected need: %v %v", first["region_code"], first["story"])
		}
	})
}

// TestRefinedNeedTextNamesWhatItsRegionAllows: a need first shown
// nationwide, shown finer once its cell reaches k, gets its public title and
// story derived again from what the worker entered, naming what the finer
// region allows (its county's hospital at the county; the province, not the
// county or city, at the province) in the API, the page and search, while
// the household's names, ID numbers, phone and address stay scrubbed.
func TestRefinedNeedTextNamesWhatItsRegionAllows(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, _ := env.user(kernel.RoleSocialWorker, nil)
		shandong, err := env.accounts.CreateOrg(t.Context(), env.admin, marketplace.NewOrg{Name: "山东省民政厅", Kind: kernel.OrgCivilAffairs, RegionCode: "370000"})
		if err != nil {
			t.Fatal(err)
		}
		verifier, _ := env.user(kernel.RoleVerifier, shandong)
		personal := []string{"张建华", "王秀英", "张小明", "13812345678", idNumber("371725", "19800315", "123"), "唐庙镇", "李庄村"}
		body := func(category, region, story string) map[string]any {
			b := needBody()
			b["category"], b["story"] = category, story
			b["title"] = "张建华在郓城县人民医院的费用"
			ben(b)["region_code"] = region
			return b
		}
		story := "张建华（身份证" + idNumber("371725", "19800315", "123") + "，电话13812345678，住唐庙镇李庄村）在郓城县人民医院透析，曾转诊菏泽市立医院，山东求医多年，妻子王秀英照顾。"
		show := func(id string) (region, title, text string) {
			t.Helper()
			r := env.do("GET", "/api/v1/needs/"+id, "", nil)
			if r.Status != 200 {
				t.Fatalf("public need: %d %s", r.Status, r.Body)
			}
			j := r.JSON(t)
			return j["region_code"].(string), j["title"].(string), j["story"].(string)
		}
		noPersonal := func(where, text string) {
			t.Helper()
			for _, p := range personal {
				if strings.Contains(text, p) {
					t.Errorf("%s names %q: %s", where, p, text)
				}
			}
		}

		// County: the first is alone in its cell, shown nationwide without 郓城.
		first := env.createNeed(worker, body("medical", "371725", story))
		env.clearAndPublish(first, worker, verifier)
		if region, title, text := show(first); region != kernel.NationalRegion || strings.Contains(title+text, "郓城") || strings.Contains(text, "山东") {
			t.Fatalf("first publication: %s %s %s", region, title, text)
		}
		for range 4 {
			env.clearAndPublish(env.createNeed(worker, body("medical", "371725", "在郓城县人民医院透析。")), worker, verifier)
		}
		region, title, text := show(first)
		if region != "371725" || !strings.Contains(text, "郓城县人民医院") || !strings.Contains(title, "郓城县人民医院") || !strings.Contains(text, "菏泽市立医院") {
			t.Errorf("refined to the county: %s %s %s", region, title, text)
		}
		noPersonal("refined need", title+text)
		if _, err := env.indexer.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		found := env.do("GET", "/api/v1/needs?q="+url.QueryEscape("郓城县人民医院"), "", nil)
		if found.Status != 200 || !strings.Contains(string(found.Body), first) {
			t.Errorf("search for the county hospital misses the refined need: %d %s", found.Status, found.Body)
		}
		noPersonal("search", string(found.Body))
		page := newBrowser(env).do(http.MethodGet, "/needs/"+first, nil)
		if page.Code != 200 || !strings.Contains(page.Body.String(), "郓城县人民医院") {
			t.Errorf("need page: %d", page.Code)
		}
		noPersonal("page", page.Body.String())

		// Province: one need in each of five cities of Shandong; the first
		// is shown at the province, still without its county or city.
		prov := env.createNeed(worker, body("education", "371725", story))
		env.clearAndPublish(prov, worker, verifier)
		for _, r := range []string{"370102", "370202", "370302", "370402"} {
			env.clearAndPublish(env.createNeed(worker, body("education", r, "在本地求学。")), worker, verifier)
		}
		region, title, text = show(prov)
		if region != "370000" || !strings.Contains(text, "山东") || strings.Contains(title+text, "郓城") || strings.Contains(text, "菏泽") {
			t.Errorf("refined to the province: %s %s %s", region, title, text)
		}
		noPersonal("need at the province", title+text)
	})
}
