package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// lockedLog is a logger whose text tests read.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The loops serve runs in goroutines of their own log a panic in a pass
// and go on (here: until their context ends) instead of ending the
// process. A Main without services makes every pass panic.
func TestServeLoopsSurviveAPanic(t *testing.T) {
	for name, loop := range map[string]func(m *Main, ctx context.Context){
		"fund jobs":     (*Main).runFundJobs,
		"payment jobs":  (*Main).runPaymentJobs,
		"re-projection": (*Main).runReprojection,
		"time limits":   (*Main).runStepJobs,
	} {
		t.Run(name, func(t *testing.T) {
			var logs lockedLog
			m := &Main{Log: slog.New(slog.NewTextHandler(&logs, nil))}
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // one pass, then the loop ends
			loop(m, ctx)
			if !strings.Contains(logs.String(), "panic") || !strings.Contains(logs.String(), name) {
				t.Fatalf("the panic is not logged: %s", logs.String())
			}
		})
	}
}

// The file of issue 12 that crashed import-payments: its stray quote is a
// rejected row, and running the command again works too.
func TestImportPaymentsRejectsAStrayQuote(t *testing.T) {
	sqldbtest.EachURL(t, func(t *testing.T, url string) {
		env := envFor(t, url)
		path := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(path, []byte("身份证号,救助类别,金额,发放日期,行政区划代码\n\"1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, try := range []string{"first", "again"} {
			code, out, errs := runCmd(t, env, "", "import-payments", path)
			if code != 0 || !strings.Contains(out, "rejected    1") || !strings.Contains(out, "line 2: malformed CSV: a quoted field is not closed") {
				t.Fatalf("%s: %d %q %q", try, code, out, errs)
			}
		}
	})
}
