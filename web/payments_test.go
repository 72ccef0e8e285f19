package web

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/marketplace"
	rstore "github.com/jiujinan/jiujinan/matching/record/gormstore"
	"github.com/jiujinan/jiujinan/matching/record/paymentgen"
	"github.com/jiujinan/jiujinan/matching/record/xlsxsheet"
)

func init() {
	addRouteAccess(map[string][]string{
		"POST /api/v1/statutory-payments/imports":            {"verifier"},
		"GET /api/v1/statutory-payments/imports":             {"verifier"},
		"GET /api/v1/statutory-payments/imports/:id":         {"verifier"},
		"POST /api/v1/statutory-payments/imports/:id/resume": {"verifier"},
	})
}

// withPayments gives env's server a payment importer over env's database.
func withPayments(t *testing.T, env *testEnv) {
	t.Helper()
	// The need service's pseudonymizer: a payment and a need of the same
	// ID number meet under the same pseudonym, as in the service.
	pz := env.srv.Needs.Pseudonymizer
	env.srv.Payments = &record.PaymentImporter{Store: rstore.New(env.db), Pseudonymizer: pz, Divisions: env.srv.Divisions,
		Now: func() time.Time { return *env.now.Load() }, NewID: testID, Log: env.srv.log, OpenWorkbook: xlsxsheet.Open,
		TempDir: t.TempDir()}
	keys, err := marketplace.NewCipher([]marketplace.DataKey{{ID: "k-test", Key: bytes.Repeat([]byte("u"), 32)}})
	if err != nil {
		t.Fatal(err)
	}
	env.srv.Imports = &record.ImportJobs{Importer: env.srv.Payments, Keys: keys, Dir: t.TempDir(), Log: env.srv.log}
	env.srv.Imports.Start(context.Background())
	t.Cleanup(env.srv.Imports.Stop)
}

// upload posts data as the multipart field "file".
func (env *testEnv) upload(path, token, field, name string, data []byte) response {
	env.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		env.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	env.srv.Echo.ServeHTTP(rec, req)
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

func genFile(t *testing.T, rows int64, bad float64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := paymentgen.Write(&b, paymentgen.Options{Rows: rows, Seed: 9, BadShare: bad, Encoding: "gbk"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestVerifierImportsAPaymentFileAndReadsTheBatch(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		tok, _ := env.user(kernel.RoleVerifier, nil)
		data := genFile(t, 3000, 0.02)
		r := env.upload("/api/v1/statutory-payments/imports", tok, "file", "2026-01.csv", data)
		if r.Status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		var got struct {
			BatchID       string            `json:"batch_id"`
			Status        string            `json:"status"`
			Accepted      int64             `json:"accepted"`
			Duplicates    int64             `json:"duplicates"`
			Rejected      []record.RowError `json:"rejected"`
			RejectedTotal int64             `json:"rejected_total"`
		}
		if err := json.Unmarshal(r.Body, &got); err != nil {
			t.Fatal(err)
		}
		if got.Status != "done" || got.Accepted+got.Duplicates+got.RejectedTotal != 3000 || got.RejectedTotal == 0 ||
			int64(len(got.Rejected)) != got.RejectedTotal || got.Rejected[0].Line < 2 || got.Rejected[0].Error == "" {
			t.Fatalf("answer: %s", r.Body)
		}
		// The same file again adds nothing.
		r2 := env.upload("/api/v1/statutory-payments/imports", tok, "file", "again.csv", data)
		m2 := r2.JSON(t)
		if r2.Status != http.StatusCreated || m2["accepted"].(float64) != 0 || int64(m2["duplicates"].(float64)) != got.Accepted+got.Duplicates {
			t.Fatalf("second upload: %d %s", r2.Status, r2.Body)
		}
		list := env.do(http.MethodGet, "/api/v1/statutory-payments/imports", tok, nil)
		if list.Status != http.StatusOK || len(list.JSON(t)["items"].([]any)) != 2 {
			t.Fatalf("list: %d %s", list.Status, list.Body)
		}
		one := env.do(http.MethodGet, "/api/v1/statutory-payments/imports/"+got.BatchID+"?limit=5", tok, nil)
		m := one.JSON(t)
		imp := m["import"].(map[string]any)
		if one.Status != http.StatusOK || imp["status"] != "done" || int64(imp["accepted"].(float64)) != got.Accepted ||
			len(m["errors"].([]any)) != min(5, int(got.RejectedTotal)) {
			t.Fatalf("get: %d %s", one.Status, one.Body)
		}
		if got.RejectedTotal > 5 && m["next_after_line"] == nil {
			t.Fatalf("no next page: %s", one.Body)
		}
		if r := env.do(http.MethodGet, "/api/v1/statutory-payments/imports/nope", tok, nil); r.Status != http.StatusNotFound {
			t.Fatalf("missing batch: %d", r.Status)
		}
		// No ID number of the file in the logs.
		logs := env.logs.String()
		for _, line := range bytes.Split(data, []byte("\n"))[1:] {
			if len(line) >= 18 && strings.Contains(logs, string(line[:18])) {
				t.Fatalf("the logs hold an ID number")
			}
		}
	})
}

func TestPaymentImportRefusesBadUploadsAndOtherRoles(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		tok, _ := env.user(kernel.RoleVerifier, nil)
		if r := env.upload("/api/v1/statutory-payments/imports", tok, "file", "x.csv", []byte("110101199003071233,张三,低保金,800,2026-01,110101\n")); r.Status != http.StatusBadRequest || r.ErrorCode() != "invalid" || strings.Contains(string(r.Body), "110101199003071233") {
			t.Fatalf("no header: %d %s", r.Status, r.Body)
		}
		if r := env.upload("/api/v1/statutory-payments/imports", tok, "upload", "x.csv", genFile(t, 10, 0)); r.Status != http.StatusBadRequest {
			t.Fatalf("wrong field: %d %s", r.Status, r.Body)
		}
		for _, role := range []kernel.Role{kernel.RoleSocialWorker, kernel.RoleFederationStaff, kernel.RoleDonor, kernel.RoleAdmin} {
			other, _ := env.user(role, nil)
			if r := env.upload("/api/v1/statutory-payments/imports", other, "file", "x.csv", genFile(t, 10, 0)); r.Status != http.StatusForbidden {
				t.Fatalf("%s upload: %d", role, r.Status)
			}
			if r := env.do(http.MethodGet, "/api/v1/statutory-payments/imports", other, nil); r.Status != http.StatusForbidden {
				t.Fatalf("%s list: %d", role, r.Status)
			}
		}
		if r := env.upload("/api/v1/statutory-payments/imports", "", "file", "x.csv", genFile(t, 10, 0)); r.Status != http.StatusUnauthorized {
			t.Fatalf("anonymous upload: %d", r.Status)
		}
		if bs, _ := env.srv.Payments.Store.ImportBatches(t.Context(), 10); len(bs) != 0 {
			t.Fatalf("refused uploads made batches: %+v", bs)
		}
	})
}

func TestPaymentImportRecordsAnUnknownProgrammeAndSaysSo(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		withPayments(t, env)
		tok, _ := env.user(kernel.RoleVerifier, nil)
		data := []byte("身份证号,姓名,救助类别,金额,发放日期,行政区划代码\n" +
			"371725198001011235,甲,困难残疾人生活补贴,90,2026-01-05,371725\n" +
			"371725198001011235,甲,慰问金,500,2026-01-06,371725\n" +
			"430524197512300024,乙,慰问金,300,2026-01-07,430524\n")
		r := env.upload("/api/v1/statutory-payments/imports", tok, "file", "u.csv", data)
		var got struct {
			Accepted          int64                   `json:"accepted"`
			Rejected          []record.RowError       `json:"rejected"`
			UnknownProgrammes []record.ProgrammeCount `json:"unknown_programmes"`
		}
		if err := json.Unmarshal(r.Body, &got); err != nil || r.Status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		if got.Accepted != 3 || len(got.Rejected) != 0 || len(got.UnknownProgrammes) != 1 ||
			got.UnknownProgrammes[0].Name != "慰问金" || got.UnknownProgrammes[0].Rows != 2 {
			t.Fatalf("answer: %s", r.Body)
		}
	})
}
