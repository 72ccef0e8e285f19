package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/matching/record/paymentgen"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// childServeEnv, set, makes this test binary run "serve" with the
// environment it holds (JSON) instead of the tests: a process the test can
// kill with SIGKILL.
const childServeEnv = "JIUJINAN_TEST_CHILD_SERVE"

func TestChildServe(t *testing.T) {
	raw := os.Getenv(childServeEnv)
	if raw == "" {
		return // only as a child of TestKillDuringAWebUpload
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(raw), &env); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, []string{"serve"}, strings.NewReader(""), os.Stdout, os.Stderr, env))
}

// startChild runs serve in a child process over env and returns its base
// URL and the process.
func startChild(t *testing.T, env map[string]string) (string, *exec.Cmd) {
	t.Helper()
	env["JIUJINAN_ADDR"] = "127.0.0.1:0"
	raw, _ := json.Marshal(env)
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildServe$")
	cmd.Env = append(os.Environ(), childServeEnv+"="+string(raw))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addrRe := regexp.MustCompile(`serving on (http://\S+)`)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, out)
			return m[1], cmd
		}
	}
	t.Fatal("serve printed no address")
	return "", nil
}

func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

func verifierToken(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"verifier@demo.jiujinan.cn","password":"demo-verifier-pass"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || b.Token == "" {
		t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	return b.Token
}

// plaintextIn returns the files under dir that hold any of secrets.
func plaintextIn(t *testing.T, dir string, secrets []string) []string {
	t.Helper()
	var found []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				found = append(found, path)
				break
			}
		}
		return nil
	})
	return found
}

// A verifier's upload survives kill -9: killed while the file streams in,
// it leaves only a sealed spool; killed in the middle of the import, the
// batch is resumed by the restarted service from the sealed spool, to the
// record the command line makes of the same file, and then no copy of the
// file is left. At no point does any file of the service hold an ID number
// of the upload.
func TestKillDuringAWebUpload(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		env := demoEnvOn(t, url)
		dataDir := env["JIUJINAN_DATA_DIR"]
		upDir := filepath.Join(dataDir, "uploads")
		var file bytes.Buffer
		if err := paymentgen.Write(&file, paymentgen.Options{Rows: 150_000, Seed: 21, BadShare: 0.01}); err != nil {
			t.Fatal(err)
		}
		data := file.Bytes()
		var secrets []string
		for _, l := range strings.SplitN(string(data), "\n", 50)[1:49] {
			secrets = append(secrets, strings.Split(l, ",")[0])
		}

		// 1. Killed while the upload streams into its spool.
		base, child := startChild(t, env)
		tok := verifierToken(t, base)
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/statutory-payments/imports", pr)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
		}()
		fw, _ := mw.CreateFormFile("file", "2026-11.csv")
		if _, err := fw.Write(data[:len(data)/2]); err != nil {
			t.Fatal(err)
		}
		// The first half is written through the pipe, so the server holds
		// it: wait until its spool has chunks on disk.
		for deadline := time.Now().Add(time.Minute); ; {
			if time.Now().After(deadline) {
				t.Fatal("the upload's spool never reached disk")
			}
			es, _ := os.ReadDir(upDir)
			if len(es) == 1 {
				if info, err := es[0].Info(); err == nil && info.Size() >= 64<<10 {
					break
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		kill9(t, child)
		pw.CloseWithError(io.ErrUnexpectedEOF)
		if got := plaintextIn(t, dataDir, secrets); len(got) != 0 {
			t.Fatalf("after a kill during the upload, files hold ID numbers in plain text: %v", got)
		}

		// 2. Killed in the middle of the import: the test holds the batch's
		// row (MariaDB) or the database (SQLite), which every step of the
		// import must write, so that the import cannot end before the kill.
		base, child = startChild(t, env)
		tok = verifierToken(t, base)
		var body bytes.Buffer
		mw = multipart.NewWriter(&body)
		fw, _ = mw.CreateFormFile("file", "2026-11.csv")
		fw.Write(data)
		mw.Close()
		req, _ = http.NewRequest(http.MethodPost, base+"/api/v1/statutory-payments/imports?wait=false", &body)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		db, err := sqldb.Open(context.Background(), env["JIUJINAN_DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var claimed struct {
			ID     string
			Source string
		}
		json.NewDecoder(resp.Body).Decode(&claimed)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || claimed.Source != "web" {
			t.Fatalf("upload: %d %+v", resp.StatusCode, claimed)
		}
		tx, err := db.SQL().BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if db.Dialect == sqldb.SQLite {
			_, err = tx.Exec(`UPDATE payment_import_batches SET attempts = attempts WHERE public_id = ?`, claimed.ID)
		} else {
			_, err = tx.Exec(`SELECT id FROM payment_import_batches WHERE public_id = ? FOR UPDATE`, claimed.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
		kill9(t, child)
		tx.Rollback()
		var status string
		if err := db.SQL().QueryRow(`SELECT status FROM payment_import_batches WHERE public_id = ?`, claimed.ID).Scan(&status); err != nil || status != "running" {
			t.Fatalf("after the kill the batch is %q (%v)", status, err)
		}
		if got := plaintextIn(t, dataDir, secrets); len(got) != 0 {
			t.Fatalf("after a kill during the import, files hold ID numbers in plain text: %v", got)
		}
		// Its lease lapses (30 s) while the service is down.
		if _, err := db.SQL().Exec(`UPDATE payment_import_batches SET updated_at = ? WHERE public_id = ?`,
			time.Now().UTC().Add(-time.Hour), claimed.ID); err != nil {
			t.Fatal(err)
		}

		// 3. The restarted service resumes it from the sealed spool.
		base, child = startChild(t, env)
		tok = verifierToken(t, base)
		var got struct {
			Import struct {
				Status     string
				Accepted   int64
				Attempts   int
				UploadKept bool `json:"upload_kept"`
			}
		}
		for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
			req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/statutory-payments/imports/"+claimed.ID, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			if got.Import.Status == "done" || time.Now().After(deadline) {
				break
			}
		}
		if got.Import.Status != "done" || got.Import.Attempts != 2 || got.Import.UploadKept {
			t.Fatalf("after the restart: %+v", got.Import)
		}
		// An orderly stop waits for the job, which removes its spool.
		if err := child.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		_ = child.Wait()
		if got := plaintextIn(t, dataDir, secrets); len(got) != 0 {
			t.Fatalf("after the resumed import, files hold ID numbers in plain text: %v", got)
		}
		es, _ := os.ReadDir(upDir)
		if len(es) != 1 { // the spool of the upload cut off in step 1, sealed, swept after an hour
			t.Fatalf("upload folder after the resumed import: %v", es)
		}

		// The command line makes the same record of the same file.
		cli := envFor(t, sqldbtest.SQLiteURL(t))
		path := filepath.Join(t.TempDir(), "2026-11.csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if code, out, errs := runCmd(t, cli, "", "import-payments", path); code != 0 || !strings.Contains(out, fmt.Sprintf("accepted    %d\n", got.Import.Accepted)) {
			t.Fatalf("CLI import: exit %d, want %d accepted: %s %s", code, got.Import.Accepted, out, errs)
		}
	})
}
