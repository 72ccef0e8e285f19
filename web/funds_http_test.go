package web

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
)

// TestFundsAPIScenarios drives the funds API as its users do: staff create
// a fund, a donor pledges, the payment is confirmed, money is allocated and
// disbursed; bad and abusive requests are refused with the right status
// and nothing is written.
func TestFundsAPIScenarios(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		staff, _ := env.user(kernel.RoleFederationStaff, nil)
		otherFed, err := env.accounts.CreateOrg(t.Context(), env.admin, marketplace.NewOrg{Name: "隆回县慈善总会", Kind: kernel.OrgCharityFederation, RegionCode: "430524"})
		if err != nil {
			t.Fatal(err)
		}
		otherStaff, _ := env.user(kernel.RoleFederationStaff, otherFed)
		donor, _ := env.user(kernel.RoleDonor, nil)
		stranger, _ := env.user(kernel.RoleDonor, nil)
		r := env.do("POST", "/api/v1/funds", staff, map[string]any{"name": "=HYPERLINK(\"http://x\")助医基金", "namer": "王先生", "purpose": "大病医疗",
			"restrictions": map[string]any{"categories": []string{"medical"}, "region_prefixes": []string{"3717"}}})
		if r.Status != 201 {
			t.Fatalf("create fund: %d %s", r.Status, r.Body)
		}
		fund := r.JSON(t)["id"].(string)
		past := env.now.Load().Add(-time.Hour)
		future := env.now.Load().Add(72 * time.Hour)
		base := needfixture.Setup(t, env.db, "社工站")
		_, ids := base.Insert(t, env.db,
			needfixture.Need{Status: "notice", NoticeEndsAt: &past, VerifiedCostFen: 80_000, RegionCode: "371725001"},
			needfixture.Need{Status: "notice", NoticeEndsAt: &future, VerifiedCostFen: 80_000, RegionCode: "371725001"},
			needfixture.Need{Status: "cleared", VerifiedCostFen: 80_000, RegionCode: "371725001"},
			needfixture.Need{Status: "notice", NoticeEndsAt: &past, Category: "education", VerifiedCostFen: 80_000, RegionCode: "371725001"})
		open, inNotice, cleared, education := ids[0], ids[1], ids[2], ids[3]

		steps := []struct {
			name, method, path, token string
			body                      any
			status                    int
			contains                  string
		}{
			{"pledge: negative amount", "POST", "/api/v1/pledges", donor, `{"target_type":"fund","target_id":"` + fund + `","amount_fen":-100}`, 400, "amount_fen"},
			{"pledge: zero amount", "POST", "/api/v1/pledges", donor, `{"target_type":"fund","target_id":"` + fund + `","amount_fen":0}`, 400, "amount_fen"},
			{"pledge: non-integer amount", "POST", "/api/v1/pledges", donor, `{"target_type":"fund","target_id":"` + fund + `","amount_fen":100.5}`, 400, "amount_fen"},
			{"pledge: amount as a string", "POST", "/api/v1/pledges", donor, `{"target_type":"fund","target_id":"` + fund + `","amount_fen":"100"}`, 400, "amount_fen"},
			{"pledge: overflowing amount", "POST", "/api/v1/pledges", donor, `{"target_type":"fund","target_id":"` + fund + `","amount_fen":99999999999999999999999}`, 400, "amount_fen"},
			{"pledge: above the maximum", "POST", "/api/v1/pledges", donor, `{"target_type":"fund","target_id":"` + fund + `","amount_fen":10000000001}`, 400, "amount_fen"},
			{"pledge: unknown field", "POST", "/api/v1/pledges", donor, `{"target_type":"fund","target_id":"` + fund + `","amount_fen":100,"donor_id":"x"}`, 400, "donor_id"},
			{"pledge: unknown target type", "POST", "/api/v1/pledges", donor, `{"target_type":"person","target_id":"` + fund + `","amount_fen":100}`, 400, "target_type"},
			{"pledge: unknown fund", "POST", "/api/v1/pledges", donor, `{"target_type":"fund","target_id":"01nosuchfund0000000000000","amount_fen":100}`, 404, ""},
			{"pledge: need still in notice", "POST", "/api/v1/pledges", donor, `{"target_type":"need","target_id":"` + inNotice + `","amount_fen":100}`, 409, "status"},
			{"pledge: staff may not pledge", "POST", "/api/v1/pledges", staff, `{"target_type":"fund","target_id":"` + fund + `","amount_fen":100}`, 403, ""},
			{"fund: bad restrictions", "POST", "/api/v1/funds", staff, map[string]any{"name": "x", "namer": "y", "purpose": "z",
				"restrictions": map[string]any{"categories": []string{"lottery"}, "region_prefixes": []string{"99"}, "per_need_cap_fen": -1}}, 400, "restrictions.categories"},
			{"allocation: empty fund", "POST", "/api/v1/funds/" + fund + "/allocations", staff, map[string]any{"need_id": open, "amount_fen": 1000}, 409, "Insufficient funds"},
		}
		run := func(s []struct {
			name, method, path, token string
			body                      any
			status                    int
			contains                  string
		}) {
			for _, st := range s {
				r := env.do(st.method, st.path, st.token, st.body, "Accept-Language", "en")
				if r.Status != st.status || !strings.Contains(string(r.Body), st.contains) {
					t.Errorf("%s: %d %s; want %d containing %q", st.name, r.Status, r.Body, st.status, st.contains)
				}
			}
		}
		run(steps)

		// A pledge with an Idempotency-Key: the retry is the first answer.
		body := map[string]any{"target_type": "fund", "target_id": fund, "amount_fen": 60_000}
		first := env.do("POST", "/api/v1/pledges", donor, body, "Idempotency-Key", "k-1")
		again := env.do("POST", "/api/v1/pledges", donor, body, "Idempotency-Key", "k-1")
		if first.Status != 201 || again.Status != 201 || string(first.Body) != string(again.Body) || again.Header.Get("Idempotency-Hit") != "true" {
			t.Fatalf("idempotent retry: %d %s / %d %s %v", first.Status, first.Body, again.Status, again.Body, again.Header)
		}
		if r := env.do("POST", "/api/v1/pledges", donor, map[string]any{"target_type": "fund", "target_id": fund, "amount_fen": 60_001}, "Idempotency-Key", "k-1"); r.Status != 422 {
			t.Errorf("same key, other content: %d %s", r.Status, r.Body)
		}
		// Another donor's key of the same name is their own.
		if r := env.do("POST", "/api/v1/pledges", stranger, body, "Idempotency-Key", "k-1"); r.Status != 201 || r.Header.Get("Idempotency-Hit") != "" {
			t.Errorf("another donor's key: %d %v", r.Status, r.Header)
		}
		pl := first.JSON(t)
		pid, ref := pl["id"].(string), pl["reference"].(string)
		if r := env.do("GET", "/api/v1/pledges/"+pid, stranger, nil); r.Status != 404 {
			t.Errorf("another donor reading the pledge: %d", r.Status)
		}
		// Another organization may not see the pledge: 404, as for reading it.
		if r := env.do("POST", "/api/v1/pledges/"+pid+"/confirm", otherStaff, nil); r.Status != 404 {
			t.Errorf("another organization confirming: %d", r.Status)
		}
		// The bank statement confirms it (reference matched, amount in yuan).
		stmt := "reference,amount,date\n" + strings.ToLower(ref) + ",600.00,2026-11-23\nJJNOSUCHREF0,5.00,2026-11-23\n"
		r = env.do("POST", "/api/v1/pledges/reconciliations", staff, stmt, "Content-Type", "text/csv")
		rep := r.JSON(t)
		if r.Status != 200 || len(rep["matched"].([]any)) != 1 || len(rep["unmatched"].([]any)) != 1 {
			t.Fatalf("reconciliation: %d %s", r.Status, r.Body)
		}
		r = env.do("POST", "/api/v1/pledges/reconciliations", staff, stmt, "Content-Type", "text/csv")
		if rep := r.JSON(t); len(rep["already_confirmed"].([]any)) != 1 || len(rep["matched"].([]any)) != 0 {
			t.Errorf("second import: %s", r.Body)
		}
		if r := env.do("POST", "/api/v1/pledges/reconciliations", staff, "reference,amount,date\nJJ1,-5,2026-11-23\n", "Content-Type", "text/csv"); r.Status != 400 {
			t.Errorf("negative amount in a statement: %d", r.Status)
		}

		alloc := func(need string, amount int64, tok string) response {
			return env.do("POST", "/api/v1/funds/"+fund+"/allocations", tok, map[string]any{"need_id": need, "amount_fen": amount})
		}
		for _, st := range []struct {
			name, need, token string
			amount            int64
			status            int
			contains          string
		}{
			{"restriction violated", education, staff, 1000, 409, "category"},
			{"before clearance", cleared, staff, 1000, 409, "status"},
			{"during the notice", inNotice, staff, 1000, 409, "status"},
			{"another organization's fund", open, otherStaff, 1000, 403, ""},
			{"more than the need lacks", open, staff, 80_001, 409, "over_max"},
			{"non-positive", open, staff, 0, 400, "amount_fen"},
		} {
			if r := alloc(st.need, st.amount, st.token); r.Status != st.status || !strings.Contains(string(r.Body), st.contains) {
				t.Errorf("allocation %s: %d %s", st.name, r.Status, r.Body)
			}
		}
		r = alloc(open, 50_000, staff)
		if r.Status != 201 {
			t.Fatalf("allocation: %d %s", r.Status, r.Body)
		}
		aid := r.JSON(t)["id"].(string)
		r = env.do("POST", "/api/v1/allocations/"+aid+"/disburse", staff, map[string]any{"payee_type": "household", "payee_name": "李小明",
			"reference": "ZY-2026-99871", "account": "6217000012345678"})
		if r.Status != 200 || strings.Contains(string(r.Body), "李小明") || strings.Contains(string(r.Body), "12345678") {
			t.Fatalf("disbursement: %d %s", r.Status, r.Body)
		}

		// The register: public, no personal data, CSV escaped.
		r = env.do("GET", "/api/v1/disclosures?fund="+fund, "", nil)
		if r.Status != 200 || len(r.JSON(t)["items"].([]any)) != 2 {
			t.Fatalf("disclosures: %d %s", r.Status, r.Body)
		}
		r = env.do("GET", "/api/v1/disclosures?format=csv&region=3717", "", nil)
		rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("csv: %v %d rows\n%s", err, len(rows), r.Body)
		}
		for _, row := range rows[1:] {
			if !strings.HasPrefix(row[9], "'=") {
				t.Errorf("source name not escaped: %q", row[9])
			}
			if row[4] != "371725" {
				t.Errorf("region %q", row[4])
			}
		}
		for _, secret := range []string{"李小明", "6217000012345678", "ZY-2026-99871", "371725001"} {
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("the register shows %q", secret)
			}
		}
		if r := env.do("GET", "/api/v1/disclosures?region=37%25", "", nil); r.Status != 400 {
			t.Errorf("region filter with a wildcard: %d", r.Status)
		}
		r = env.do("GET", "/api/v1/funds/"+fund+"/ledger", "", nil)
		if l := r.JSON(t); r.Status != 200 || len(l["items"].([]any)) != 2 || l["balance_fen"].(float64) != 10_000 {
			t.Errorf("ledger: %d %s", r.Status, r.Body)
		}

		// The donor's own view and receipt.
		r = env.do("GET", "/api/v1/me/giving", donor, nil)
		g := r.JSON(t)
		line := g["pledges"].([]any)[0].(map[string]any)
		if tr := line["traces"].([]any); len(tr) != 1 || tr[0].(map[string]any)["amount_fen"].(float64) != 50_000 || tr[0].(map[string]any)["disbursed"] != true {
			t.Errorf("giving traces: %s", r.Body)
		}
		if line["unspent_fen"].(float64) != 10_000 {
			t.Errorf("unspent %v", line["unspent_fen"])
		}
		rid := line["receipt_id"].(string)
		for format, ct := range map[string]string{"": "application/json", "text": "text/plain", "csv": "text/csv", "html": "text/html"} {
			r := env.do("GET", "/api/v1/receipts/"+rid+"?format="+format, donor, nil)
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), ct) || !strings.Contains(string(r.Body), "600") {
				t.Errorf("receipt %q: %d %s %s", format, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		}
		for _, format := range []string{"x", "PDF", "JSON"} {
			wantInvalid(t, env.do("GET", "/api/v1/receipts/"+rid+"?format="+format, donor, nil), "format")
		}
		if r := env.do("GET", "/api/v1/receipts/"+rid, stranger, nil); r.Status != 404 {
			t.Errorf("another donor's receipt: %d", r.Status)
		}
		if y := g["years"].([]any); len(y) != 1 || y[0].(map[string]any)["total_fen"].(float64) != 60_000 {
			t.Errorf("yearly totals: %v", y)
		}

		// A signed payment notification confirms the stranger's pledge once.
		sp := env.do("POST", "/api/v1/pledges", stranger, map[string]any{"target_type": "need", "target_id": open, "amount_fen": 30_000}).JSON(t)
		nb := []byte(`{"id":"pay-77","pledge_id":"` + sp["id"].(string) + `","amount_fen":30000}`)
		sig := funds.SignNotification(testWebhookSecret, nb, *env.now.Load())
		if r := env.do("POST", "/api/v1/payment-notifications", "", nb, "X-Jiujinan-Signature", "t=1,v1=00"); r.Status != 401 {
			t.Errorf("forged notification: %d", r.Status)
		}
		if r := env.do("POST", "/api/v1/payment-notifications", "", nb, "X-Jiujinan-Signature", sig); r.Status != 200 {
			t.Errorf("notification: %d %s", r.Status, r.Body)
		}
		if r := env.do("POST", "/api/v1/payment-notifications", "", nb, "X-Jiujinan-Signature", sig); r.Status != 409 {
			t.Errorf("replayed notification: %d", r.Status)
		}
		var n struct{ FundedFen, RequestedFen int64 }
		env.db.Gorm.Raw("SELECT funded_fen, requested_fen FROM needs WHERE public_id = ?", open).Scan(&n)
		if n.FundedFen != 80_000 {
			t.Errorf("need funded %d, want 80000", n.FundedFen)
		}
		if problems, _, err := env.funds.VerifyLedger(t.Context()); err != nil || len(problems) > 0 {
			t.Errorf("ledger: %v %v", problems, err)
		}
		_ = http.StatusOK
	})
}
