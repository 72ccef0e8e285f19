package record_test

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/matching/record"
	"github.com/jiujinan/jiujinan/matching/record/paymentgen"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/sqldb/sqldbtest"
)

// panicReader panics in its second pass (the importer reads a file once
// for its SHA-256, then for its rows in a goroutine of its own) once the
// header is read.
type panicReader struct {
	*bytes.Reader
	seeks atomic.Int32
	read  atomic.Int64
}

func (p *panicReader) Seek(off int64, whence int) (int64, error) {
	p.seeks.Add(1)
	return p.Reader.Seek(off, whence)
}

func (p *panicReader) Read(b []byte) (int, error) {
	if p.seeks.Load() > 0 && p.read.Load() > 256<<10 {
		panic("reader broke")
	}
	n, err := p.Reader.Read(b)
	if p.seeks.Load() > 0 {
		p.read.Add(int64(n))
	}
	return n, err
}

// panicStore's writers panic when they commit a run.
type panicStore struct {
	record.PaymentImportStore
}

func (s panicStore) OpenPaymentWriter(ctx context.Context, key int64, lease string) (record.PaymentWriter, error) {
	w, err := s.PaymentImportStore.OpenPaymentWriter(ctx, key, lease)
	return panicWriter{w}, err
}

type panicWriter struct{ record.PaymentWriter }

func (panicWriter) CommitRead(context.Context, int64, []record.RowError, []record.ProgrammeCount, int64, int64, time.Time) error {
	panic("store broke")
}

// A panic in any goroutine of an import fails the import (the batch is
// failed, not left running) instead of the process; the same file sent
// again then imports.
func TestImportThatPanicsIsFailedAndTheSameFileResumes(t *testing.T) {
	var buf bytes.Buffer
	if err := paymentgen.Write(&buf, paymentgen.Options{Rows: 20000, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	for name, run := range map[string]func(f *fixture) error{
		"in the reader": func(f *fixture) error {
			_, err := f.im.Import(context.Background(), &panicReader{Reader: bytes.NewReader(data)}, record.ImportOptions{FileName: "t.csv"})
			return err
		},
		"in the run writer": func(f *fixture) error {
			st := f.im.Store
			f.im.Store = panicStore{st}
			defer func() { f.im.Store = st }()
			_, err := f.importBytes(t, data)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			sqldbtest.Each(t, func(t *testing.T, db *sqldb.DB) {
				f := newFixture(t, db)
				err := run(f)
				if err == nil || !strings.Contains(err.Error(), "broke") {
					t.Fatalf("err = %v, want the panic as an error", err)
				}
				bs, _ := f.store.ImportBatches(context.Background(), 10)
				if len(bs) != 1 || bs[0].Status != record.ImportFailed {
					t.Fatalf("batches after the panic: %+v", bs)
				}
				if !strings.Contains(f.logs.String(), "panic") {
					t.Fatalf("the panic is not logged")
				}
				res, err := f.importBytes(t, data)
				if err != nil || !res.Resumed || res.Batch.ID != bs[0].ID || res.Batch.Status != record.ImportDone || res.Batch.Accepted == 0 {
					t.Fatalf("resent: %+v resumed=%v %v", res.Batch, res.Resumed, err)
				}
			})
		})
	}
}
