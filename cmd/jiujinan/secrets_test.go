package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// TestOnlyServeOnAnEmptyDatabaseOrKeysInitCreateKeys: a missing key file
// stops every command with a message naming it and creates nothing; serve
// creates it for an empty database only, keys init likewise and never over
// an existing file.
func TestOnlyServeOnAnEmptyDatabaseOrKeysInitCreateKeys(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		env := envWithoutKeys(t, url)
		path := filepath.Join(env["JIUJINAN_DATA_DIR"], "secrets.json")
		csv := filepath.Join(t.TempDir(), "payments.csv")
		if err := os.WriteFile(csv, []byte("身份证号,救助项目,金额,发放日期,发放地区\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		noKeys := func(when string) {
			t.Helper()
			for _, args := range [][]string{{"audit-verify"}, {"import-payments", csv}, {"demo"}, {"fund-jobs"}, {"reproject"},
				{"admin", "create", "--email", "root@example.org"}, {"keys", "list"}, {"keys", "rotate-data"}} {
				code, _, errs := runCmd(t, env, "a-strong-password\n", args...)
				if code == 0 || !strings.Contains(errs, path+" does not exist") || !strings.Contains(errs, "keys init") {
					t.Errorf("%s: %v: exit %d, %q; want a refusal naming %s", when, args, code, errs, path)
				}
				if _, err := os.Stat(path); !os.IsNotExist(err) {
					t.Fatalf("%s: %v created %s", when, args, path)
				}
			}
		}
		noKeys("before the first start")

		// serve on the empty database creates the keys.
		_, stop := startServe(t, env)
		if code := stop(); code != 0 {
			t.Fatalf("serve on an empty database: exit %d", code)
		}
		first, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("serve on an empty database made no key file: %v", err)
		}
		if code, _, errs := runCmd(t, env, "", "keys", "init"); code == 0 || !strings.Contains(errs, "exists already") {
			t.Errorf("keys init over an existing file: %d %q", code, errs)
		}
		if now, _ := os.ReadFile(path); string(now) != string(first) {
			t.Errorf("keys init replaced the key file")
		}
		if code, out, errs := runCmd(t, env, "a-strong-password\n", "admin", "create", "--email", "root@example.org"); code != 0 {
			t.Fatalf("admin create: %d %q %q", code, out, errs)
		}

		// With data in the database, neither serve nor keys init makes new keys.
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		noKeys("with data")
		for _, args := range [][]string{{"serve"}, {"keys", "init"}} {
			code, _, errs := runCmd(t, env, "", args...)
			if code == 0 || !strings.Contains(errs, path) || !strings.Contains(errs, "restore") {
				t.Errorf("%v over a database with data: %d %q", args, code, errs)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Fatalf("%v created %s over a database with data", args, path)
			}
		}
	})
}

func TestKeysInitCreatesTheKeysOfANewInstallation(t *testing.T) {
	env := envWithoutKeys(t, sqldbtest.SQLiteURL(t))
	path := filepath.Join(env["JIUJINAN_DATA_DIR"], "secrets.json")
	if code, out, errs := runCmd(t, env, "", "keys", "init"); code != 0 || !strings.Contains(out, path) {
		t.Fatalf("keys init: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCmd(t, env, "a-strong-password\n", "admin", "create", "--email", "root@example.org"); code != 0 {
		t.Fatalf("admin create after keys init: %d %q %q", code, out, errs)
	}
}

// TestReadyFailsWhenTheKeysCannotOpenTheData: /readyz answers 503 when the
// key file is not the one the data was made with (other data keys, or the
// same data keys with another pseudonym key).
func TestReadyFailsWhenTheKeysCannotOpenTheData(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		env := envFor(t, url)
		path := filepath.Join(env["JIUJINAN_DATA_DIR"], "secrets.json")
		if code, _, errs := runCmd(t, env, "", "migrate", "up"); code != 0 {
			t.Fatalf("migrate: %s", errs)
		}
		ready := func() int {
			t.Helper()
			m := mustOpenMain(t, env)
			srv, err := m.Server()
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			srv.Echo.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			return rec.Code
		}
		if code := ready(); code != http.StatusOK {
			t.Fatalf("empty database: /readyz %d", code)
		}
		// A beneficiary sealed with the keys of the file.
		m := mustOpenMain(t, env)
		base := needfixture.Setup(t, m.DB, "阳光社工站")
		var bid string
		if err := m.DB.Gorm.Raw("SELECT public_id FROM beneficiaries WHERE id = ?", base.BeneficiaryID).Scan(&bid).Error; err != nil {
			t.Fatal(err)
		}
		const idNumber = "371725199001011234"
		ident, _ := json.Marshal(marketplace.Identity{IDNumber: idNumber, Name: "张某"})
		ct, kid, err := m.Needs.Cipher.Seal(ident, []byte(bid))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.DB.Gorm.Exec("UPDATE beneficiaries SET identity_ct = ?, identity_kid = ?, pseudonym = ? WHERE id = ?",
			ct, kid, m.Needs.Pseudonymizer.Of(idNumber), base.BeneficiaryID).Error; err != nil {
			t.Fatal(err)
		}
		if err := mustOpenMain(t, env).keysOpenData(context.Background()); err != nil {
			t.Fatal(err)
		}
		if code := ready(); code != http.StatusOK {
			t.Fatalf("the right keys: /readyz %d", code)
		}
		right, err := loadSecrets(path)
		if err != nil {
			t.Fatal(err)
		}
		other := newSecrets(time.Now().UTC())
		sameDataKeys := newSecrets(time.Now().UTC())
		sameDataKeys.DataKeys = right.DataKeys
		for name, s := range map[string]*Secrets{"other keys": other, "another pseudonym key": sameDataKeys} {
			if err := saveSecrets(path, s); err != nil {
				t.Fatal(err)
			}
			if code := ready(); code != http.StatusServiceUnavailable {
				t.Errorf("%s: /readyz %d, want 503", name, code)
			}
		}
	})
}
