package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/stats"
)

// TestFederationsSeeTheirCounties: the city's federation (菏泽市) sees the
// needs and funds of every county under it, with the numbers of the rows,
// and each county read-only; a county's federation sees its own county
// only; a federation of another city sees none of them, by page and API.
func TestFederationsSeeTheirCounties(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		w := newStatsWorld(t, env, 1)
		a, b := w.counties[0], w.counties[1]

		city := newBrowser(env)
		city.login(w.cityFed)
		page := city.do(http.MethodGet, "/staff/counties", nil)
		if page.Code != http.StatusOK {
			t.Fatalf("/staff/counties: %d", page.Code)
		}
		body := page.Body.String()
		// Every county of 菏泽市 is listed, with the numbers of the rows.
		for _, county := range env.srv.Divisions.Children("371700") {
			name := env.srv.Divisions.Name(county)
			row := regexp.MustCompile(`(?s)<tr>\s*<th scope="row"><a href="/staff/counties/` + county + `">` + name + `</a></th>(.*?)</tr>`).FindStringSubmatch(body)
			if row == nil {
				t.Errorf("%s (%s) is not listed", name, county)
				continue
			}
			var needs, balance int64
			env.db.Gorm.Raw(`SELECT COUNT(*) FROM needs WHERE region_code LIKE ?`, county+"%").Scan(&needs)
			env.db.Gorm.Raw(`SELECT COALESCE(SUM(a.balance_fen), 0) FROM ledger_accounts a JOIN fund_sources s ON a.code = `+
				concatSQL(env, "'fund:'", "s.public_id")+` JOIN organizations o ON o.id = s.org_id WHERE o.region_code LIKE ?`, county+"%").Scan(&balance)
			cells := regexp.MustCompile(`<td class="num"[^>]*>([^<]*)</td>`).FindAllStringSubmatch(row[1], -1)
			if len(cells) < 11 || cells[0][1] != strconv.FormatInt(needs, 10) || cells[10][1] != FormatYuan(balance) {
				t.Errorf("%s: needs and balance %v, want %d and %s", name, cells, needs, FormatYuan(balance))
			}
		}
		if !strings.Contains(body, "菏泽市（本级及未细分）") { // the city's own fund, on its own line
			t.Errorf("the city federation's own level is not on the page")
		}
		// A county, read-only: its funds and needs, none of another's, no identity.
		county := city.do(http.MethodGet, "/staff/counties/"+b.code, nil)
		if county.Code != http.StatusOK {
			t.Fatalf("county page: %d", county.Code)
		}
		cb := county.Body.String()
		if !strings.Contains(cb, b.fund) || strings.Contains(cb, a.fund) || strings.Contains(cb, w.cityFund) {
			t.Errorf("the county page shows other places' funds, or not its own")
		}
		needsTable := regexp.MustCompile(`(?s)<table class="list-table" id="county-needs">.*?</table>`).FindString(cb)
		if n := strings.Count(needsTable, `<tr><th scope="row">`); n != len(b.posted) {
			t.Errorf("the county page lists %d needs, want %d", n, len(b.posted))
		}
		for _, leak := range []string{"张建华", "13812345678", "王秀英", a.posted[0]} {
			if strings.Contains(cb, leak) {
				t.Errorf("the county page shows %q", leak)
			}
		}
		if !strings.Contains(cb, "未公开的求助") || !strings.Contains(cb, `href="/needs/`+b.posted[0]+`"`) {
			t.Error("the county page does not tell public needs (linked) from others (unnamed)")
		}

		// 郓城县's federation: its county only.
		own := newBrowser(env)
		own.login(a.fed)
		if body := own.do(http.MethodGet, "/staff/counties", nil).Body.String(); !strings.Contains(body, "/staff/counties/"+a.code) ||
			strings.Contains(body, "/staff/counties/"+b.code) || strings.Contains(body, b.fund) {
			t.Error("a county federation sees another county")
		}
		if r := own.do(http.MethodGet, "/staff/counties/"+b.code, nil); r.Code != http.StatusNotFound {
			t.Errorf("a county federation reads another county: %d", r.Code)
		}
		if r := own.do(http.MethodGet, "/staff/counties/"+a.code, nil); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), a.fund) {
			t.Errorf("a county federation cannot read its own county: %d", r.Code)
		}
		// Another city's federation: nothing of 菏泽市.
		other := newBrowser(env)
		other.login(w.otherFed)
		if body := other.do(http.MethodGet, "/staff/counties", nil).Body.String(); strings.Contains(body, a.code) || strings.Contains(body, "郓城县") ||
			!strings.Contains(body, "历下区") {
			t.Error("another city's federation sees 菏泽市's counties, or not its own")
		}
		for _, c := range []string{a.code, b.code, "371700", "370102x"} {
			if r := other.do(http.MethodGet, "/staff/counties/"+c, nil); r.Code != http.StatusNotFound {
				t.Errorf("another city's federation reads %s: %d", c, r.Code)
			}
		}
		// The statistics, by API: the same rule.
		for _, tc := range []struct {
			who    *kernel.Principal
			region string
			want   int
		}{
			{w.cityFed, "", http.StatusOK}, {w.cityFed, b.code, http.StatusOK}, {w.cityFed, b.towns[0], http.StatusOK}, {w.cityFed, "37", http.StatusForbidden},
			{a.fed, "", http.StatusOK}, {a.fed, a.towns[1], http.StatusOK}, {a.fed, b.code, http.StatusForbidden}, {a.fed, "371700", http.StatusForbidden},
			{w.otherFed, "371700", http.StatusForbidden}, {w.otherFed, a.code, http.StatusForbidden}, {w.otherFed, "", http.StatusOK},
			{a.ver, b.code, http.StatusForbidden}, {w.otherVer, "371700", http.StatusForbidden}, {w.cityVer, a.code, http.StatusOK},
			{w.charityStaff, b.code, http.StatusForbidden}, {w.charityStaff, "", http.StatusOK},
		} {
			path := "/api/v1/statistics?period=2026-09"
			if tc.region != "" {
				path += "&region=" + tc.region
			}
			r := env.do(http.MethodGet, path, env.token(tc.who), nil)
			if r.Status != tc.want {
				t.Errorf("%s as %s: %d, want %d", path, tc.who.Memberships[0].Org.Name, r.Status, tc.want)
				continue
			}
			if r.Status == http.StatusOK && tc.who == w.otherFed && (strings.Contains(string(r.Body), "3717") || decodeInto[statsJSON](t, r).Total.Received != 0) {
				t.Errorf("another city's federation reads 菏泽市's figures: %s", r.Body)
			}
		}
		// The county federation's own county by default, with the money of
		// the county's organizations (its fund, its matching fund, the
		// charity's), not the city's.
		rep := decodeInto[statsJSON](t, env.do(http.MethodGet, "/api/v1/statistics?period=2026-09", env.token(a.fed), nil))
		if rep.Region != a.code || rep.MoneyOf != nil || rep.Total.RaisedFen < 2_000_000+600_000+500_000 {
			t.Errorf("郓城县's federation reads %s, money of %v, raised %d", rep.Region, rep.MoneyOf, rep.Total.RaisedFen)
		}
		// The charity: its own money only, named.
		rep = decodeInto[statsJSON](t, env.do(http.MethodGet, "/api/v1/statistics?period=2026-09", env.token(w.charityStaff), nil))
		if rep.MoneyOf == nil || rep.MoneyOf.ID != w.charity.PublicID || rep.Total.RaisedFen != 500_000 || rep.Total.Received == 0 {
			t.Errorf("the charity reads %+v of %v", rep.Total, rep.MoneyOf)
		}
	})
}

// concatSQL joins SQL strings in the database's dialect.
func concatSQL(env *testEnv, parts ...string) string {
	if env.db.Dialect == "mysql" {
		return "CONCAT(" + strings.Join(parts, ", ") + ")"
	}
	return strings.Join(parts, " || ")
}

// TestStatisticsExports: the CSV is UTF-8 with a BOM, its Chinese header
// is stats.CSVHeader, its lines carry the report's figures (a cell
// a spreadsheet would run is defused); the workbook opens in excelize with
// a sheet per breakdown and the same numbers; the page's download is the
// API's.
func TestStatisticsExports(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	w := newStatsWorld(t, env, 2)
	// An organization whose name a spreadsheet would take for a formula,
	// with money raised in 郓城县.
	evil, err := env.accounts.CreateOrg(context.Background(), env.admin, marketplace.NewOrg{Name: "=HYPERLINK(\"http://x\")慈善会", Kind: kernel.OrgCharity, RegionCode: "371725"})
	if err != nil {
		t.Fatal(err)
	}
	_, evilStaff := env.user(kernel.RoleFederationStaff, evil)
	w.fill(evilStaff, "某基金", kernel.Restrictions{}, funds.MatchOffer{}, 12_345)
	tok := env.token(w.cityVer)
	rep, err := env.srv.Stats.Report(context.Background(), w.cityVer, stats.Query{Period: stats.Period{Year: 2026}, Region: "371700"})
	if err != nil {
		t.Fatal(err)
	}

	r := env.do(http.MethodGet, "/api/v1/statistics?period=2026&region=371700&format=csv", tok, nil)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
		r.Header.Get("Content-Disposition") != `attachment; filename="statistics-371700-2026.csv"` {
		t.Fatalf("csv: %d %v", r.Status, r.Header)
	}
	if !bytes.HasPrefix(r.Body, []byte("\xEF\xBB\xBF")) {
		t.Fatal("the CSV has no BOM")
	}
	lines, err := csv.NewReader(bytes.NewReader(r.Body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(lines[0], ",") != strings.Join(stats.CSVHeader(), ",") || lines[0][0] != "统计期间" || lines[0][4] != "收到求助" {
		t.Fatalf("header %v", lines[0])
	}
	col := map[string]int{}
	for i, h := range lines[0] {
		col[h] = i
	}
	var total []string
	months := 0
	for _, l := range lines[1:] {
		switch l[1] {
		case "合计":
			total = l
		case "月份":
			months++
		case "救助项目":
			if l[col["收到求助"]] != "" || l[col["转介"]] == "" {
				t.Errorf("a programme's line has figures it lacks: %v", l)
			}
		case "类别":
			if l[col["募集善款（元）"]] != "" {
				t.Errorf("a category's line has money raised: %v", l)
			}
		}
	}
	if total == nil || total[0] != "2026" || total[2] != "371700" || total[col["收到求助"]] != strconv.FormatInt(rep.Total.Received, 10) ||
		total[col["募集善款（元）"]] != funds.Yuan(rep.Total.RaisedFen) || total[col["支出（元）"]] != funds.Yuan(rep.Total.PaidFen) ||
		total[col["按时核实率"]] != stats.FormatPermille(rep.Total.ClearanceOnTimePct()) {
		t.Errorf("total line %v, report %+v", total, rep.Total)
	}
	if months != 12 {
		t.Errorf("%d month lines, want 12", months)
	}
	// January 2027, when the organization with the formula for a name
	// raised its money: its line is defused.
	r = env.do(http.MethodGet, "/api/v1/statistics?period=2027-01&region=371725&format=csv", tok, nil)
	evilLine := false
	jan, err := csv.NewReader(bytes.NewReader(r.Body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range jan[1:] {
		for _, cell := range l {
			if strings.HasPrefix(cell, "=") {
				t.Errorf("a formula in the CSV: %q", cell)
			}
		}
		if l[1] == "机构" && l[3] == `'=HYPERLINK("http://x")慈善会` && l[col["募集善款（元）"]] == "123.45" {
			evilLine = true
		}
	}
	if !evilLine {
		t.Errorf("no defused line for the organization: %v", jan)
	}

	r = env.do(http.MethodGet, "/api/v1/statistics?period=2026&region=371700&format=xlsx", tok, nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != stats.XLSX.ContentType() {
		t.Fatalf("xlsx: %d %v", r.Status, r.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "合计,地区,月份,类别,机构,救助项目,办理环节" {
		t.Errorf("sheets %s", got)
	}
	rows, err := f.GetRows("合计")
	if err != nil || len(rows) != 2 {
		t.Fatalf("合计: %v %v", rows, err)
	}
	if rows[0][3] != "收到求助" || rows[1][1] != "371700" || rows[1][3] != strconv.FormatInt(rep.Total.Received, 10) {
		t.Errorf("合计 %v", rows)
	}
	// Numbers are numbers: the amount a number of yuan, the share a fraction.
	hdr := rows[0]
	for i, h := range hdr {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		switch h {
		case "募集善款（元）":
			v, _ := f.GetCellValue("合计", cell, excelize.Options{RawCellValue: true})
			if typ, _ := f.GetCellType("合计", cell); typ == excelize.CellTypeInlineString || v != strconv.FormatFloat(float64(rep.Total.RaisedFen)/100, 'f', -1, 64) {
				t.Errorf("raised %q (%v), want %d fen as yuan", v, typ, rep.Total.RaisedFen)
			}
		case "按时核实率":
			v, _ := f.GetCellValue("合计", cell, excelize.Options{RawCellValue: true})
			if want := strconv.FormatFloat(float64(rep.Total.ClearanceOnTimePct())/1000, 'f', -1, 64); v != want {
				t.Errorf("on time %q, want %s", v, want)
			}
		}
	}
	prog, _ := f.GetRows("救助项目")
	if len(prog) < 2 || len(prog[0]) != 3+4 || prog[0][3] != "转介" {
		t.Errorf("救助项目 %v", prog)
	}
	region, _ := f.GetRows("地区")
	if len(region) != 1+len(rep.Regions) {
		t.Errorf("地区 has %d rows, the report %d places", len(region)-1, len(rep.Regions))
	}

	// The page's download is the API's.
	b := newBrowser(env)
	b.login(w.cityVer)
	page := b.do(http.MethodGet, "/stats/file?period=2026&region=371700&format=csv", nil)
	api := env.do(http.MethodGet, "/api/v1/statistics?period=2026&region=371700&format=csv", env.token(w.cityVer), nil)
	if page.Code != http.StatusOK || !bytes.Equal(page.Body.Bytes(), api.Body) {
		t.Errorf("page download %d differs from the API's", page.Code)
	}
	if r := b.do(http.MethodGet, "/stats/file?period=2026&region=371700&format=pdf", nil); r.Code != http.StatusBadRequest {
		t.Errorf("an unknown format: %d", r.Code)
	}
	if r := env.do(http.MethodGet, "/api/v1/statistics?period=2026-13", tok, nil); r.Status != http.StatusBadRequest || r.ErrorCode() != "invalid" {
		t.Errorf("a bad period: %d %s", r.Status, r.Body)
	}
}

// TestStatisticsPage: the page shows the figures of the report, a chart
// drawn as SVG (an image with a title and a description, its numbers in
// the table beside), the places under the region linked to their own
// statistics, a breakdown per tab; a bad period or a region outside the
// caller's is said on the page with the API's status.
func TestStatisticsPage(t *testing.T) {
	env := newTestEnv(t, mustSQLite(t))
	w := newStatsWorld(t, env, 2)
	rep, err := env.srv.Stats.Report(context.Background(), w.cityVer, stats.Query{Period: stats.Period{Year: 2026}, Region: "371700"})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(env)
	b.login(w.cityVer)
	r := b.do(http.MethodGet, "/stats?period=2026&region=371700", nil)
	if r.Code != http.StatusOK {
		t.Fatalf("page: %d", r.Code)
	}
	body := r.Body.String()
	text := func(id string) string {
		m := regexp.MustCompile(`<dd id="` + id + `">([^<]*)</dd>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s on the page", id)
		}
		return html.UnescapeString(m[1])
	}
	if text("st-received") != strconv.FormatInt(rep.Total.Received, 10) || text("st-raised") != FormatYuan(rep.Total.RaisedFen) ||
		text("st-paid") != FormatYuan(rep.Total.PaidFen) || text("st-overdue") != strconv.FormatInt(rep.Total.ClearanceOverdue, 10) ||
		!strings.Contains(text("st-ontime"), stats.FormatPermille(rep.Total.ClearanceOnTimePct())) {
		t.Errorf("the page's figures differ from the report %+v", rep.Total)
	}
	// Two charts, accessible, drawn without script or inline style.
	charts := regexp.MustCompile(`(?s)<svg class="chart"[^>]*role="img" aria-labelledby="(chart-\w+)-t chart-\w+-d"[^>]*><title id="chart-\w+-t">[^<]+</title><desc id="chart-\w+-d">[^<]+</desc>.*?</svg>`).FindAllString(body, -1)
	if len(charts) != 2 {
		t.Fatalf("%d accessible charts, want 2", len(charts))
	}
	if strings.Contains(body, "style=") || strings.Contains(body, "<script>") {
		t.Error("inline style or script on the page")
	}
	// One group of bars per county, each bar titled with its value.
	for _, row := range rep.Regions {
		label := row.Name
		if row.Self {
			label += "（本级及未细分）"
		}
		if inChart := strings.Contains(charts[0], ">"+label+" · 收到求助: "+strconv.FormatInt(row.Received, 10)+"<"); inChart != (row.Received+row.Cleared+row.Closed > 0) {
			t.Errorf("the needs chart shows %s's %d: %v", row.Name, row.Received, inChart)
		}
		if !row.Self && !strings.Contains(body, `href="/stats?by=region&amp;period=2026&amp;region=`+row.Key+`"`) {
			t.Errorf("%s is not linked to its own statistics", row.Name)
		}
	}
	// Drill down to a county: its towns.
	a := w.counties[0]
	r = b.do(http.MethodGet, "/stats?by=region&period=2026&region="+a.code, nil)
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), env.srv.Divisions.Name(a.towns[0])) || !strings.Contains(r.Body.String(), `aria-current="page">郓城县`) {
		t.Errorf("a county's statistics: %d", r.Code)
	}
	for _, by := range []string{"month", "category", "org", "programme", "step"} {
		r := b.do(http.MethodGet, "/stats?period=2026&region=371700&by="+by, nil)
		if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `aria-current="page">`+env.srv.zhT("stats_by_"+by)) {
			t.Errorf("by %s: %d", by, r.Code)
		}
	}
	// A bad period, a region outside the office's: said on the page.
	if r := b.do(http.MethodGet, "/stats?period=2026-13", nil); r.Code != http.StatusBadRequest || !strings.Contains(r.Body.String(), `aria-invalid="true"`) {
		t.Errorf("a bad period: %d", r.Code)
	}
	if r := b.do(http.MethodGet, "/stats?period=2026&region=370102", nil); r.Code != http.StatusForbidden || !strings.Contains(r.Body.String(), "不在您所在机构的辖区内") {
		t.Errorf("a region outside: %d", r.Code)
	}
	// The form's fields make the period: a year.
	if r := b.do(http.MethodGet, "/stats?kind=year&year=2026&month=2026-03&region=371700", nil); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "<strong>2026年</strong>") {
		t.Errorf("the form's year: %d", r.Code)
	}
	// In English.
	b.cookies[langCookie] = &http.Cookie{Name: langCookie, Value: "en"}
	if r := b.do(http.MethodGet, "/stats?period=2026-10&region=371700", nil); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "<h1>Statistics") ||
		!strings.Contains(r.Body.String(), "Oct 2026") {
		t.Errorf("English: %d", r.Code)
	}
}
