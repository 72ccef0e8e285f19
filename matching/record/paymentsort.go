package record

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// An import sorts the valid rows of a file in Go before the database sees
// them (an external sort): rows are read into runs of bounded size, each
// run is sorted by the record's key and spilled to a file of its own, and
// the runs are then merged (k-way) into one stream in key order, which the
// store inserts into the record part by part. Each row is thus written to
// the database once, in key order, instead of to a staging table, sorted
// again by the database, copied and deleted.
//
// A row is a fixed-width record whose bytes sort like the record's key
// (pseudonym, programme, period from, period to, amount, region) followed
// by the line, so that ties are broken the same way in every run of the
// same file: the merged stream is deterministic, and a resumed import
// skips exactly the parts it has merged.
const (
	recPseudonym = 0  // 32 bytes: the HMAC, raw (sorts like its hex)
	recProgramme = 32 // 12 bytes: the code, zero padded (sorts like the code)
	recFrom      = 44 // 4 bytes: days since 1970 + 2^31, big endian
	recTo        = 48 // 4 bytes
	recAmount    = 52 // 8 bytes: fen, big endian
	recRegion    = 60 // 12 bytes: the code, zero padded
	recLine      = 72 // 8 bytes: the line, big endian
	recSize      = 80
	recKeySize   = recLine // the bytes that identify a payment
)

type rec [recSize]byte

// recProgrammeSize is the room for a programme code in a record: every
// code fits (kernel.Programme).
const recProgrammeSize = 12

const dayOffset = 1 << 31

func dayNumber(t time.Time) uint32 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return uint32(d + dayOffset)
}

func dayTime(n uint32) time.Time {
	return time.Unix((int64(n)-dayOffset)*86400, 0).UTC()
}

// encodeRec packs a validated row; sum is its pseudonym's 32 bytes (the
// pseudonym is their hex).
func encodeRec(r *rec, row *PaymentRow, sum []byte) error {
	if len(sum) != 32 {
		return errors.New("matching: import: a pseudonym is not 32 bytes")
	}
	copy(r[recPseudonym:recPseudonym+32], sum)
	if row.Programme == "" || len(row.Programme) > recProgrammeSize || strings.IndexByte(string(row.Programme), 0) >= 0 ||
		len(row.RegionCode) > 12 || strings.IndexByte(row.RegionCode, 0) >= 0 || row.AmountFen < 0 || row.Line < 0 {
		return errors.New("matching: import: a row does not fit the sort record")
	}
	clear(r[recProgramme : recProgramme+recProgrammeSize])
	copy(r[recProgramme:], row.Programme)
	binary.BigEndian.PutUint32(r[recFrom:], dayNumber(row.From))
	binary.BigEndian.PutUint32(r[recTo:], dayNumber(row.To))
	binary.BigEndian.PutUint64(r[recAmount:], uint64(row.AmountFen))
	clear(r[recRegion : recRegion+12])
	copy(r[recRegion:], row.RegionCode)
	binary.BigEndian.PutUint64(r[recLine:], uint64(row.Line))
	return nil
}

// decodeRec unpacks a record; regions interns the region and programme
// codes.
func decodeRec(r *rec, regions map[string]string) PaymentRow {
	pc := r[recProgramme : recProgramme+recProgrammeSize]
	if i := bytes.IndexByte(pc, 0); i >= 0 {
		pc = pc[:i]
	}
	prog, ok := regions[string(pc)]
	if !ok {
		prog = string(pc)
		if len(regions) < 100_000 {
			regions[prog] = prog
		}
	}
	reg := r[recRegion : recRegion+12]
	if i := bytes.IndexByte(reg, 0); i >= 0 {
		reg = reg[:i]
	}
	region, ok := regions[string(reg)]
	if !ok {
		region = string(reg)
		if len(regions) < 100_000 {
			regions[region] = region
		}
	}
	return PaymentRow{
		Line:       int64(binary.BigEndian.Uint64(r[recLine:])),
		Pseudonym:  hex.EncodeToString(r[recPseudonym : recPseudonym+32]),
		Programme:  kernel.Programme(prog),
		AmountFen:  int64(binary.BigEndian.Uint64(r[recAmount:])),
		From:       dayTime(binary.BigEndian.Uint32(r[recFrom:])),
		To:         dayTime(binary.BigEndian.Uint32(r[recTo:])),
		RegionCode: region,
	}
}

func cmpRec(a, b *rec) int {
	// Pseudonyms are HMACs, so the first 8 bytes nearly always decide.
	x, y := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return bytes.Compare(a[8:], b[8:])
}

// partOfRec is PartOf for a record.
func partOfRec(r *rec, parts int) int { return partOfBytes(r[recPseudonym], r[recPseudonym+1], parts) }

// runName is the file name of a committed run: its sequence number, the
// last line of the file it covers and its row count.
func runName(seq int, lastLine int64, rows int) string {
	return fmt.Sprintf("run-%06d-%d-%d", seq, lastLine, rows)
}

type runFile struct {
	path     string
	seq      int
	lastLine int64
	rows     int64
}

// listRuns returns the intact runs in dir, by sequence, and removes
// anything else (a run being written when the import stopped).
func listRuns(dir string) ([]runFile, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var runs []runFile
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		f := strings.Split(e.Name(), "-")
		var rf runFile
		ok := len(f) == 4 && f[0] == "run"
		if ok {
			seq, e1 := strconv.Atoi(f[1])
			last, e2 := strconv.ParseInt(f[2], 10, 64)
			rows, e3 := strconv.ParseInt(f[3], 10, 64)
			rf = runFile{path: p, seq: seq, lastLine: last, rows: rows}
			ok = e1 == nil && e2 == nil && e3 == nil
		}
		if ok {
			if st, err := os.Stat(p); err != nil || st.Size() != rf.rows*recSize {
				ok = false
			}
		}
		if !ok {
			_ = os.Remove(p)
			continue
		}
		runs = append(runs, rf)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].seq < runs[j].seq })
	return runs, nil
}

// runKey is a record's place in the sort of a run: its first 8 bytes (the
// pseudonym's, which nearly always decide) and its index.
type runKey struct {
	prefix uint64
	i      uint32
}

// sortRun returns the order of rs by key (indexes into rs): sorting 16-byte
// keys instead of moving 80-byte records costs about half as much.
func sortRun(rs []rec) []runKey {
	keys := make([]runKey, len(rs))
	for i := range rs {
		keys[i] = runKey{binary.BigEndian.Uint64(rs[i][:8]), uint32(i)}
	}
	slices.SortFunc(keys, func(a, b runKey) int {
		switch {
		case a.prefix < b.prefix:
			return -1
		case a.prefix > b.prefix:
			return 1
		}
		return bytes.Compare(rs[a.i][8:], rs[b.i][8:])
	})
	return keys
}

// writeRun sorts rs and writes them durably as run seq of dir.
func writeRun(dir string, seq int, lastLine int64, rs []rec) (runFile, error) {
	order := sortRun(rs)
	// A temporary name of its own: an import that lost its lease may
	// still be writing into the same folder until its next commit fails.
	// Two runs with the same final name have the same bytes (the same
	// lines of the same file, sorted the same way).
	f, err := os.CreateTemp(dir, fmt.Sprintf("tmp-%06d-*", seq))
	if err != nil {
		return runFile{}, err
	}
	tmp := f.Name()
	bw := bufio.NewWriterSize(f, 256<<10)
	for _, k := range order {
		if _, err := bw.Write(rs[k.i][:]); err != nil {
			f.Close()
			return runFile{}, err
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return runFile{}, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return runFile{}, err
	}
	if err := f.Close(); err != nil {
		return runFile{}, err
	}
	p := filepath.Join(dir, runName(seq, lastLine, len(rs)))
	if err := os.Rename(tmp, p); err != nil {
		return runFile{}, err
	}
	return runFile{path: p, seq: seq, lastLine: lastLine, rows: int64(len(rs))}, nil
}

// runMerger merges sorted runs into one stream in key order.
type runMerger struct {
	h     runHeap
	files []*os.File
}

type runCursor struct {
	r   *bufio.Reader
	cur rec
}

type runHeap []*runCursor

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return cmpRec(&h[i].cur, &h[j].cur) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runCursor)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func openMerger(runs []runFile) (*runMerger, error) {
	m := &runMerger{}
	// Smaller read buffers when there are many runs keep memory bounded.
	size := 256 << 10
	if len(runs) > 64 {
		size = max(16<<10, (16<<20)/len(runs))
	}
	for _, rf := range runs {
		if rf.rows == 0 {
			continue
		}
		f, err := os.Open(rf.path)
		if err != nil {
			m.Close()
			return nil, err
		}
		m.files = append(m.files, f)
		c := &runCursor{r: bufio.NewReaderSize(f, size)}
		if _, err := io.ReadFull(c.r, c.cur[:]); err != nil {
			m.Close()
			return nil, fmt.Errorf("run %s: %w", rf.path, err)
		}
		m.h = append(m.h, c)
	}
	heap.Init(&m.h)
	return m, nil
}

// peek returns the next record without consuming it, nil at the end.
func (m *runMerger) peek() *rec {
	if len(m.h) == 0 {
		return nil
	}
	return &m.h[0].cur
}

// advance consumes the record peek returned.
func (m *runMerger) advance() error {
	c := m.h[0]
	if _, err := io.ReadFull(c.r, c.cur[:]); err != nil {
		if errors.Is(err, io.EOF) {
			heap.Pop(&m.h)
			return nil
		}
		return err
	}
	heap.Fix(&m.h, 0)
	return nil
}

func (m *runMerger) Close() {
	for _, f := range m.files {
		f.Close()
	}
	m.files = nil
}
