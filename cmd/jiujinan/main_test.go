package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/notify/notifytest"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// runCmd runs the binary's entry point and returns exit code, stdout, stderr.
func runCmd(t *testing.T, environ map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, environ)
	return code, out.String(), errb.String()
}

func TestConfigErrorsEndWithOneLineAndNonZeroExit(t *testing.T) {
	dir := t.TempDir()
	readonly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readonly, 0o500); err != nil {
		t.Fatal(err)
	}
	fileNotDir := filepath.Join(dir, "file")
	os.WriteFile(fileNotDir, []byte("x"), 0o600)
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		wantMsg string
	}{
		{"bad DSN", map[string]string{"JIUJINAN_DATA_DIR": dir, "JIUJINAN_DATABASE_URL": "postgres://nope"}, []string{"serve"}, "JIUJINAN_DATABASE_URL"},
		{"MySQL DSN without a database", map[string]string{"JIUJINAN_DATA_DIR": dir, "JIUJINAN_DATABASE_URL": "root@tcp(127.0.0.1:3306)/"}, []string{"migrate", "status"}, "names no database"},
		{"unreachable MySQL", map[string]string{"JIUJINAN_DATA_DIR": dir, "JIUJINAN_DATABASE_URL": "root@tcp(127.0.0.1:1)/x?timeout=1s"}, []string{"serve"}, "JIUJINAN_DATABASE_URL"},
		{"data dir is a file", map[string]string{"JIUJINAN_DATA_DIR": fileNotDir}, []string{"serve"}, "JIUJINAN_DATA_DIR"},
		{"bad duration", map[string]string{"JIUJINAN_DATA_DIR": dir, "JIUJINAN_NOTICE_PERIOD": "five days"}, []string{"serve"}, "JIUJINAN_NOTICE_PERIOD"},
		{"k out of range", map[string]string{"JIUJINAN_DATA_DIR": dir, "JIUJINAN_K_ANONYMITY": "0"}, []string{"serve"}, "JIUJINAN_K_ANONYMITY"},
		{"bad Meilisearch URL", map[string]string{"JIUJINAN_DATA_DIR": dir, "MEILI_URL": "localhost:7700"}, []string{"serve"}, "MEILI_URL"},
		{"bad flag value", map[string]string{"JIUJINAN_DATA_DIR": dir}, []string{"serve", "--database-url", "sqlite:"}, "JIUJINAN_DATABASE_URL"},
		{"bad batching setting", map[string]string{"JIUJINAN_DATA_DIR": dir, "JIUJINAN_ALLOCATION_BATCHING": "no"}, []string{"serve"}, "JIUJINAN_ALLOCATION_BATCHING"},
	}
	if os.Geteuid() != 0 {
		// root writes anywhere, so the read-only case means something only for others.
		cases = append(cases, struct {
			name    string
			env     map[string]string
			args    []string
			wantMsg string
		}{"unwritable data dir", map[string]string{"JIUJINAN_DATA_DIR": readonly}, []string{"serve"}, "not writable"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, tc.env, "", tc.args...)
			if code == 0 {
				t.Fatalf("exit 0, want non-zero; stderr %q", stderr)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "jiujinan: ") || !strings.Contains(last, tc.wantMsg) {
				t.Fatalf("last line %q does not say %q", last, tc.wantMsg)
			}
		})
	}
	t.Run("data dir under a file cannot be created", func(t *testing.T) {
		code, _, stderr := runCmd(t, map[string]string{"JIUJINAN_DATA_DIR": filepath.Join(fileNotDir, "sub")}, "", "migrate")
		if code == 0 || !strings.Contains(stderr, "JIUJINAN_DATA_DIR: cannot create") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}

func TestServeHelpListsConfiguration(t *testing.T) {
	code, _, stderr := runCmd(t, map[string]string{}, "", "serve", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, v := range []string{"JIUJINAN_DATABASE_URL", "JIUJINAN_DATA_DIR", "JIUJINAN_ADDR", "MEILI_URL", "MEILI_API_KEY",
		"JIUJINAN_TOKEN_TTL", "JIUJINAN_NOTICE_PERIOD", "JIUJINAN_K_ANONYMITY", "-demo"} {
		if !strings.Contains(stderr, v) {
			t.Errorf("serve --help does not mention %s", v)
		}
	}
}

// envFor returns the environment of a fresh data folder on the given database.
// envFor is the environment of an installed service over url: its key
// file exists (as after "jiujinan keys init").
func envFor(t *testing.T, url string) map[string]string {
	env := envWithoutKeys(t, url)
	if _, err := createSecrets(filepath.Join(env["JIUJINAN_DATA_DIR"], "secrets.json"), time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	return env
}

// envWithoutKeys is the environment of a service over url whose key file
// does not exist.
func envWithoutKeys(t *testing.T, url string) map[string]string {
	return map[string]string{"JIUJINAN_DATA_DIR": t.TempDir(), "JIUJINAN_DATABASE_URL": url, "JIUJINAN_LOG_LEVEL": "warn"}
}

func TestMigrateAdminAndAuditVerify(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		env := envFor(t, url)
		if code, out, errs := runCmd(t, env, "", "migrate", "status"); code != 0 || !strings.Contains(out, "pending") {
			t.Fatalf("status before: %d %q %q", code, out, errs)
		}
		if code, out, errs := runCmd(t, env, "", "migrate", "up"); code != 0 || !strings.Contains(out, "applied") {
			t.Fatalf("up: %d %q %q", code, out, errs)
		}
		if code, out, _ := runCmd(t, env, "", "migrate", "up"); code != 0 || !strings.Contains(out, "applied 0 migration") {
			t.Fatalf("second up: %d %q", code, out)
		}
		if code, out, _ := runCmd(t, env, "", "migrate", "status"); code != 0 || strings.Contains(out, "pending\n") || !strings.Contains(out, ", 0 pending") {
			t.Fatalf("status after: %d %q", code, out)
		}
		// Password from standard input, then from the environment.
		if code, out, errs := runCmd(t, env, "a-strong-password\n", "admin", "create", "--email", "Root@Example.org"); code != 0 || !strings.Contains(out, "root@example.org") {
			t.Fatalf("admin create: %d %q %q", code, out, errs)
		}
		env2 := map[string]string{}
		for k, v := range env {
			env2[k] = v
		}
		env2["JIUJINAN_ADMIN_PASSWORD"] = "short"
		if code, _, errs := runCmd(t, env2, "", "admin", "create", "--email", "b@example.org"); code == 0 || !strings.Contains(errs, "password") {
			t.Fatalf("short password accepted: %d %q", code, errs)
		}
		if code, _, errs := runCmd(t, env, "another-password\n", "admin", "create", "--email", "root@example.org"); code == 0 || !strings.Contains(errs, "exists") {
			t.Fatalf("duplicate admin: %d %q", code, errs)
		}
		if code, out, errs := runCmd(t, env, "", "fund-jobs"); code != 0 || !strings.Contains(out, "fund jobs done") {
			t.Fatalf("fund-jobs: %d %q %q", code, out, errs)
		}
		if code, out, errs := runCmd(t, env, "", "audit-verify"); code != 0 || !strings.Contains(out, "intact") {
			t.Fatalf("audit-verify: %d %q %q", code, out, errs)
		}
	})
}

func TestAuditVerifyFindsTampering(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		env := demoEnvOn(t, url)
		m := mustOpenMain(t, env)
		for _, tc := range []struct {
			name, sql string
		}{
			{"edited detail", "UPDATE audit_log SET detail = '{\"kind\":\"charity\"}' WHERE stream = 'accounts' AND seq = 3"},
			{"deleted tail", "DELETE FROM audit_log WHERE stream = 'accounts' AND seq = (SELECT s FROM (SELECT MAX(seq) AS s FROM audit_log WHERE stream = 'accounts') x)"},
		} {
			if err := m.DB.Gorm.Exec(tc.sql).Error; err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			code, out, _ := runCmd(t, env, "", "audit-verify")
			if code == 0 || !strings.Contains(out, "BROKEN") {
				t.Fatalf("%s not found: exit %d, %q", tc.name, code, out)
			}
		}
	})
}

func mustOpenMain(t *testing.T, env map[string]string) *Main {
	t.Helper()
	cfg, err := loadConfig(newFlagSet("test", io.Discard, ""), nil, env)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Open(context.Background(), cfg, io.Discard, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestServeDemoEndToEnd starts the real command on a free port with the demo
// data, as an administrator would, and uses it over HTTP.
func TestServeDemoEndToEnd(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		env := envFor(t, url)
		env["JIUJINAN_ADDR"] = "127.0.0.1:0"
		env["JIUJINAN_METRICS_TOKEN"] = "scraper-token-0123456789"
		// Notification e-mails go to a local SMTP server.
		smtp := notifytest.StartSMTP(t, "", "")
		env["SMTP_HOST"], env["SMTP_PORT"], env["SMTP_TLS"], env["SMTP_FROM"] = "127.0.0.1", strconv.Itoa(smtp.Port()), "none", "救急难 <notice@demo.jiujinan.cn>"
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		done := make(chan int, 1)
		var errb bytes.Buffer
		go func() {
			done <- run(ctx, []string{"serve", "--demo"}, strings.NewReader(""), pw, &errb, env)
			pw.Close()
		}()
		addrRe := regexp.MustCompile(`serving on (http://\S+)`)
		var base string
		var printed strings.Builder
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			printed.WriteString(sc.Text() + "\n")
			if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
				base = m[1]
				break
			}
		}
		go io.Copy(io.Discard, pr)
		if base == "" {
			cancel()
			t.Fatalf("no address printed; stdout %q stderr %q", printed.String(), errb.String())
		}
		if !strings.Contains(printed.String(), "staff@demo.jiujinan.cn") || !strings.Contains(printed.String(), "demo-staff-pass") {
			t.Errorf("demo logins not printed: %q", printed.String())
		}
		get := func(path string) int {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if c := get("/healthz"); c != 200 {
			t.Errorf("/healthz %d", c)
		}
		if c := get("/readyz"); c != 200 {
			t.Errorf("/readyz %d", c)
		}
		if c := get("/metrics"); c != http.StatusUnauthorized {
			t.Errorf("/metrics without the operator's token: %d, want 401", c)
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer scraper-token-0123456789")
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Errorf("/metrics with the operator's token: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
		for _, u := range demoUsers {
			body, _ := json.Marshal(map[string]string{"email": u.email, "password": u.password})
			resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			var lr struct {
				Token string `json:"token"`
				User  struct {
					Roles []struct{ Role string } `json:"roles"`
				} `json:"user"`
			}
			json.NewDecoder(resp.Body).Decode(&lr)
			resp.Body.Close()
			if resp.StatusCode != 200 || lr.Token == "" || len(lr.User.Roles) == 0 || lr.User.Roles[0].Role != string(u.role) {
				t.Errorf("demo login %s: %d %+v", u.email, resp.StatusCode, lr.User)
			}
		}
		// The demo donor's confirmed gifts are told by e-mail, from the
		// dispatcher serve runs in the background.
		deadline := time.Now().Add(20 * time.Second)
		for !mailedTo(smtp, "donor@demo.jiujinan.cn") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if !mailedTo(smtp, "donor@demo.jiujinan.cn") {
			t.Errorf("no notification e-mail reached the demo donor: %d e-mails", len(smtp.Mails()))
		}
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d after SIGTERM-like cancel: %s", code, errb.String())
			}
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not shut down")
		}
		for _, secret := range []string{"demo-staff-pass", "demo-admin-pass"} {
			if strings.Contains(errb.String(), secret) {
				t.Errorf("a password reached the logs")
			}
		}
		// A second start reuses the data: no new keys, demo not loaded twice.
		code, out, errs := runCmd(t, env, "", "demo")
		if code != 0 || !strings.Contains(out, "already loaded") {
			t.Errorf("second demo: %d %q %q", code, out, errs)
		}
	})
}

// mailedTo reports whether the server received an e-mail to addr.
func mailedTo(s *notifytest.SMTP, addr string) bool {
	for _, m := range s.Mails() {
		if len(m.To) == 1 && m.To[0] == addr {
			return true
		}
	}
	return false
}
