package receiptdoc

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"unicode/utf16"
)

// A minimal PDF reader for the tests: it follows the cross-reference table
// to every object, reads dictionaries and (Flate) streams, and extracts the
// text that Tj operators show with a UTF-16 Identity-H font, as fpdf
// writes it. It reads what this package writes, not any PDF.

type pdfObj struct {
	dict   []byte
	stream []byte // decoded
}

type pdfDoc struct {
	objs    map[int]pdfObj
	trailer []byte
}

var (
	startxrefRe = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	xrefHeadRe  = regexp.MustCompile(`^xref\s+0 (\d+)\s+`)
	objHeadRe   = regexp.MustCompile(`^(\d+) 0 obj\s*`)
	lengthRe    = regexp.MustCompile(`/Length (\d+)`)
	refRe       = regexp.MustCompile(`^(\d+) 0 R`)
)

// readPDF checks the file's structure: header, cross-reference table,
// every object where the table says, the trailer; and reads the objects.
func readPDF(t *testing.T, b []byte) *pdfDoc {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) {
		t.Fatalf("no PDF header: %q", b[:min(len(b), 10)])
	}
	m := startxrefRe.FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref at the end")
	}
	off, _ := strconv.Atoi(string(m[1]))
	if off >= len(b) {
		t.Fatalf("startxref %d past the end", off)
	}
	xref := b[off:]
	h := xrefHeadRe.FindSubmatch(xref)
	if h == nil {
		t.Fatalf("no xref table at %d: %q", off, xref[:min(len(xref), 20)])
	}
	n, _ := strconv.Atoi(string(h[1]))
	entries := xref[len(h[0]):]
	d := &pdfDoc{objs: map[int]pdfObj{}}
	for i := 0; i < n; i++ {
		if len(entries) < 20*(i+1) {
			t.Fatalf("xref table cut at entry %d", i)
		}
		e := entries[20*i : 20*i+20]
		if e[17] == 'f' {
			continue
		}
		if e[17] != 'n' {
			t.Fatalf("xref entry %d: %q", i, e)
		}
		at, err := strconv.Atoi(string(e[:10]))
		if err != nil || at >= len(b) {
			t.Fatalf("xref entry %d: %q", i, e)
		}
		oh := objHeadRe.FindSubmatch(b[at:])
		if oh == nil || string(oh[1]) != strconv.Itoa(i) {
			t.Fatalf("xref says object %d is at %d, which holds %q", i, at, b[at:min(len(b), at+20)])
		}
		d.objs[i] = readObj(t, i, b[at+len(oh[0]):])
	}
	tr := entries[20*n:]
	if !bytes.HasPrefix(bytes.TrimSpace(tr), []byte("trailer")) {
		t.Fatalf("no trailer after the xref table: %q", tr[:min(len(tr), 20)])
	}
	d.trailer = tr
	if size := regexp.MustCompile(`/Size (\d+)`).FindSubmatch(tr); size == nil || string(size[1]) != strconv.Itoa(n) {
		t.Errorf("trailer size %q, xref has %d entries", size, n)
	}
	return d
}

// readObj reads an object's dictionary and its stream, decoded.
func readObj(t *testing.T, id int, b []byte) pdfObj {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("<<")) {
		end := bytes.Index(b, []byte("endobj"))
		return pdfObj{dict: b[:max(end, 0)]}
	}
	depth, i := 0, 0
	for ; i < len(b)-1; i++ {
		switch {
		case b[i] == '<' && b[i+1] == '<':
			depth++
			i++
		case b[i] == '>' && b[i+1] == '>':
			depth--
			i++
		}
		if depth == 0 {
			break
		}
	}
	o := pdfObj{dict: b[:i+1]}
	rest := bytes.TrimLeft(b[i+1:], " \r\n")
	if !bytes.HasPrefix(rest, []byte("stream")) {
		return o
	}
	rest = bytes.TrimPrefix(bytes.TrimPrefix(rest[len("stream"):], []byte("\r")), []byte("\n"))
	lm := lengthRe.FindSubmatch(o.dict)
	if lm == nil {
		t.Fatalf("object %d: a stream without a direct /Length", id)
	}
	l, _ := strconv.Atoi(string(lm[1]))
	if l > len(rest) || !bytes.HasPrefix(bytes.TrimLeft(rest[l:], "\r\n"), []byte("endstream")) {
		t.Fatalf("object %d: /Length %d does not end at endstream", id, l)
	}
	o.stream = rest[:l]
	if bytes.Contains(o.dict, []byte("/FlateDecode")) {
		zr, err := zlib.NewReader(bytes.NewReader(o.stream))
		if err != nil {
			t.Fatalf("object %d: %v", id, err)
		}
		if o.stream, err = io.ReadAll(zr); err != nil {
			t.Fatalf("object %d: %v", id, err)
		}
	}
	return o
}

// ref is the object a dictionary entry refers to ("/Key 7 0 R").
func (d *pdfDoc) ref(t *testing.T, dict []byte, key string) pdfObj {
	t.Helper()
	i := bytes.Index(dict, []byte(key+" "))
	if i < 0 {
		t.Fatalf("no %s in %q", key, dict)
	}
	rest := bytes.TrimLeft(dict[i+len(key):], " [")
	m := refRe.FindSubmatch(rest)
	if m == nil {
		t.Fatalf("%s is not a reference in %q", key, dict)
	}
	id, _ := strconv.Atoi(string(m[1]))
	o, ok := d.objs[id]
	if !ok {
		t.Fatalf("%s refers to object %d, which the xref lacks", key, id)
	}
	return o
}

// find returns the objects whose dictionary holds all of parts.
func (d *pdfDoc) find(parts ...string) []pdfObj {
	var out []pdfObj
	for _, id := range slices.Sorted(maps.Keys(d.objs)) {
		o := d.objs[id]
		all := true
		for _, p := range parts {
			all = all && bytes.Contains(o.dict, []byte(p))
		}
		if all {
			out = append(out, o)
		}
	}
	return out
}

// shownText is every string a content stream shows with Tj, decoded from
// UTF-16BE, one per operator.
func shownText(t *testing.T, content []byte) []string {
	t.Helper()
	var out []string
	for i := 0; i < len(content); i++ {
		if content[i] != '(' {
			continue
		}
		var raw []byte
		depth := 1
		j := i + 1
		for ; j < len(content) && depth > 0; j++ {
			c := content[j]
			switch c {
			case '\\':
				j++
				switch e := content[j]; e {
				case 'n':
					raw = append(raw, '\n')
				case 'r':
					raw = append(raw, '\r')
				case 't':
					raw = append(raw, '\t')
				case 'b':
					raw = append(raw, '\b')
				case 'f':
					raw = append(raw, '\f')
				case '0', '1', '2', '3', '4', '5', '6', '7':
					k := j
					for k < j+3 && k < len(content) && content[k] >= '0' && content[k] <= '7' {
						k++
					}
					v, _ := strconv.ParseUint(string(content[j:k]), 8, 8)
					raw = append(raw, byte(v))
					j = k - 1
				default:
					raw = append(raw, e)
				}
				continue
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					continue
				}
			}
			raw = append(raw, c)
		}
		if !bytes.HasPrefix(bytes.TrimLeft(content[j:], " "), []byte("Tj")) {
			i = j
			continue
		}
		if len(raw)%2 != 0 {
			t.Fatalf("a shown string of odd length: %x", raw)
		}
		u := make([]uint16, len(raw)/2)
		for k := range u {
			u[k] = binary.BigEndian.Uint16(raw[2*k:])
		}
		out = append(out, string(utf16.Decode(u)))
		i = j
	}
	return out
}

// trueTypeTables reads the table directory of a TrueType file.
func trueTypeTables(b []byte) (map[string][2]uint32, error) {
	if len(b) < 12 || binary.BigEndian.Uint32(b) != 0x00010000 {
		return nil, fmt.Errorf("not a TrueType file: %x", b[:min(len(b), 4)])
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	if len(b) < 12+16*n {
		return nil, fmt.Errorf("table directory cut")
	}
	out := map[string][2]uint32{}
	for i := range n {
		r := b[12+16*i:]
		off, l := binary.BigEndian.Uint32(r[8:]), binary.BigEndian.Uint32(r[12:])
		if int(off)+int(l) > len(b) {
			return nil, fmt.Errorf("table %s past the end", r[:4])
		}
		out[string(r[:4])] = [2]uint32{off, l}
	}
	return out, nil
}
