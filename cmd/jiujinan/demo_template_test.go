package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/sqldb"
)

// Loading the demo takes seconds; the tests that only read what it left
// share one load. The first of them runs "jiujinan demo" into a data folder
// of the test binary's (the SQLite database, secrets.json and whatever
// else the command writes there); each test then gets its own copy of that
// folder, so that what one test changes no other sees.
var demoTemplate struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demoTemplate.dir != "" {
		os.RemoveAll(demoTemplate.dir)
	}
	os.Exit(code)
}

// demoEnv is the environment of a private copy of a SQLite data folder in
// which "jiujinan demo" ran to its end (exit 0).
func demoEnv(t *testing.T) map[string]string {
	t.Helper()
	demoTemplate.once.Do(func() {
		dir, err := os.MkdirTemp("", "jiujinan-demo-")
		if err != nil {
			demoTemplate.err = err
			return
		}
		demoTemplate.dir = dir
		if _, err := createSecrets(filepath.Join(dir, "secrets.json"), time.Now().UTC()); err != nil {
			demoTemplate.err = err
			return
		}
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"demo"}, strings.NewReader(""), &out, &errb, demoDataEnv(dir)); code != 0 {
			demoTemplate.err = fmt.Errorf("demo: exit %d: %s", code, errb.String())
		}
	})
	if demoTemplate.err != nil {
		t.Fatalf("loading the demo: %v", demoTemplate.err)
	}
	dir := t.TempDir()
	if err := copyTree(demoTemplate.dir, dir); err != nil {
		t.Fatalf("copying the demo data: %v", err)
	}
	return demoDataEnv(dir)
}

// demoEnvOn is demoEnv on SQLite; on MySQL (url names an empty database)
// it runs "jiujinan demo" there, as a copy of a MySQL database is no file.
func demoEnvOn(t *testing.T, url string) map[string]string {
	t.Helper()
	if d, _, _ := sqldb.ParseURL(url); d == sqldb.SQLite {
		return demoEnv(t)
	}
	env := envFor(t, url)
	if code, _, errs := runCmd(t, env, "", "demo"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	return env
}

// demoDataEnv is the environment of a service whose data folder holds its
// SQLite database and key file.
func demoDataEnv(dir string) map[string]string {
	return map[string]string{"JIUJINAN_DATA_DIR": dir, "JIUJINAN_DATABASE_URL": "sqlite:" + filepath.Join(dir, "jiujinan.db"), "JIUJINAN_LOG_LEVEL": "warn"}
}

// copyTree copies the files and folders under src into dst, keeping modes.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(to, info.Mode().Perm())
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
