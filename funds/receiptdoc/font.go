package receiptdoc

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

//go:embed font/wqy-microhei.ttc.gz
var fontTTCgz []byte

var font struct {
	once sync.Once
	ttf  []byte
	err  error
}

// fontTTF is the regular face of WenQuanYi Micro Hei as a TrueType file,
// read once: the package keeps the upstream collection (.ttc), which the
// PDF library does not read.
func fontTTF() ([]byte, error) {
	font.once.Do(func() {
		ttc, err := gzipReader(fontTTCgz)
		if err != nil {
			font.err = err
			return
		}
		font.ttf, font.err = collectionFace(ttc, 0)
	})
	if font.err != nil {
		return nil, fmt.Errorf("receiptdoc: font: %w", font.err)
	}
	return font.ttf, nil
}

var errFont = errors.New("not a TrueType collection with that face")

// collectionFace copies face i of a TrueType collection (TTC) into a
// standalone TrueType file: the face's table directory with the tables it
// names (shared ones copied), each at a new 4-byte aligned offset. The
// tables themselves are unchanged, and so are their checksums.
func collectionFace(ttc []byte, i int) ([]byte, error) {
	be := binary.BigEndian
	if len(ttc) < 12 || string(ttc[:4]) != "ttcf" {
		return nil, errFont
	}
	n := int(be.Uint32(ttc[8:]))
	if i < 0 || i >= n || len(ttc) < 12+4*n {
		return nil, errFont
	}
	dir := int(be.Uint32(ttc[12+4*i:]))
	if dir+12 > len(ttc) {
		return nil, errFont
	}
	tables := int(be.Uint16(ttc[dir+4:]))
	head := 12 + 16*tables
	if dir+head > len(ttc) {
		return nil, errFont
	}
	out := make([]byte, head, len(ttc))
	copy(out, ttc[dir:dir+head])
	for t := range tables {
		rec := out[12+16*t:]
		off, size := int(be.Uint32(rec[8:])), int(be.Uint32(rec[12:]))
		if off < 0 || size < 0 || off+size > len(ttc) {
			return nil, errFont
		}
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		be.PutUint32(rec[8:], uint32(len(out)))
		out = append(out, ttc[off:off+size]...)
	}
	return out, nil
}

// gzipReader reads gzipped data whole.
func gzipReader(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
