package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/marketplace/gormstore/needfixture"
	"github.com/jiujinan/jiujinan/marketplace/search"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// startServe runs "serve" on a free port and returns its base URL and a
// function that stops it and returns its exit code.
func startServe(t *testing.T, env map[string]string) (string, func() int) {
	t.Helper()
	env["JIUJINAN_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, strings.NewReader(""), pw, io.Discard, env)
		pw.Close()
	}()
	addrRe := regexp.MustCompile(`serving on (http://\S+)`)
	sc := bufio.NewScanner(pr)
	var base string
	for sc.Scan() {
		if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		cancel()
		t.Fatalf("serve printed no address (exit %d)", <-done)
	}
	return base, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
			return -1
		}
	}
}

// waitTotal polls GET /needs until it lists want needs (the indexer works
// in the background) or gives up after a generous while.
func waitTotal(t *testing.T, base string, want int) {
	t.Helper()
	var got int
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(base + "/api/v1/needs?status=open,notice,funded")
		if err != nil {
			t.Fatal(err)
		}
		var b struct{ Total int }
		json.NewDecoder(resp.Body).Decode(&b)
		resp.Body.Close()
		if got = b.Total; got == want {
			return
		}
	}
	t.Fatalf("GET /needs lists %d needs, want %d", got, want)
}

// serve fills an empty index from the database at start, indexes later
// changes through the outbox, and keeps reindex off its index; reindex
// rebuilds the whole index from the database.
func TestServeIndexesAndReindexRebuilds(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		env := envFor(t, url)
		if code, _, errs := runCmd(t, env, "", "migrate", "up"); code != 0 {
			t.Fatalf("migrate: %s", errs)
		}
		db, err := sqldb.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		base := needfixture.Setup(t, db, "阳光社工站")
		// Written before any index exists and without outbox rows: only a
		// rebuild can find them.
		base.Insert(t, db, needfixture.Need{NoOutbox: true}, needfixture.Need{NoOutbox: true, Status: "funded"},
			needfixture.Need{NoOutbox: true, Status: "rejected"})

		srvURL, stop := startServe(t, env)
		waitTotal(t, srvURL, 2)
		rows, _ := base.Insert(t, db, needfixture.Need{PublicTitle: "助学"})
		waitTotal(t, srvURL, 3)
		needfixture.Update(t, db, rows[0], map[string]any{"status": "withdrawn"})
		waitTotal(t, srvURL, 2)
		if code, _, errs := runCmd(t, env, "", "reindex"); code == 0 || !strings.Contains(errs, "stop it first") {
			t.Errorf("reindex while serving: %d %q, want a refusal", code, errs)
		}
		if code := stop(); code != 0 {
			t.Errorf("serve exited %d", code)
		}

		for i := 0; i < 2; i++ {
			code, out, errs := runCmd(t, env, "", "reindex")
			if code != 0 || !strings.Contains(out, "reindexing 2 public needs") || !strings.Contains(out, "2/2 needs") ||
				!strings.Contains(out, "reindexed 2 needs") {
				t.Fatalf("reindex %d: %d %q %q", i, code, out, errs)
			}
		}
		// A damaged index stops serve with the way out; reindex repairs it.
		meta := env["JIUJINAN_DATA_DIR"] + "/search/index_meta.json"
		if err := os.WriteFile(meta, []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, errs := runCmd(t, env, "", "serve"); code == 0 || !strings.Contains(errs, "jiujinan reindex") {
			t.Errorf("serve on a damaged index: %d %q", code, errs)
		}
		if code, out, errs := runCmd(t, env, "", "reindex"); code != 0 || !strings.Contains(out, "reindexed 2 needs") {
			t.Fatalf("reindex of a damaged index: %d %q %q", code, out, errs)
		}
		idx, err := search.OpenBleve(env["JIUJINAN_DATA_DIR"] + "/search")
		if err != nil {
			t.Fatal(err)
		}
		defer idx.Close()
		if n, err := idx.Count(context.Background()); n != 2 || err != nil {
			t.Errorf("rebuilt index holds %d needs (%v), want 2", n, err)
		}
	})
}

type fakeNeedStore struct {
	marketplace.NeedStore
	err error
}

func (f fakeNeedStore) SaveNeed(ctx context.Context, w marketplace.NeedWrite) error { return f.err }

// The indexer is woken after a committed change that wrote an outbox row,
// and only then.
func TestNeedChangesWakeTheIndexer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		outbox bool
		wake   bool
	}{
		{"change of the public projection", nil, true, true},
		{"private change", nil, false, false},
		{"failed write", errors.New("conflict"), true, false},
	} {
		woken := 0
		s := wakingNeedStore{fakeNeedStore{err: tc.err}, func() { woken++ }}
		_ = s.SaveNeed(context.Background(), marketplace.NeedWrite{Outbox: tc.outbox})
		if (woken == 1) != tc.wake || woken > 1 {
			t.Errorf("%s: woken %d times, want wake=%v", tc.name, woken, tc.wake)
		}
	}
}
