package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// sealedSpool keeps an upload on disk encrypted (AES-256-GCM in chunks,
// under a key that lives only in this value), so that a payment file, with
// its ID numbers and names, never lies on disk in plain text, not even in a
// temporary file; its file is unlinked as soon as it is created. Written
// once from the start, then read from anywhere: the importer reads it twice
// (its SHA-256, then its rows) and a workbook needs random access.
type sealedSpool struct {
	f    *os.File
	aead cipher.AEAD
	size int64
	buf  []byte // the chunk being written
	pos  int64  // of Read and Seek

	// the chunk last opened, for reads within it
	cached int64
	plain  []byte
}

const spoolChunk = 64 << 10

func newSealedSpool() (*sealedSpool, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "jiujinan-upload-*")
	if err != nil {
		return nil, err
	}
	// Unlinked now: gone with the process, whatever happens to it.
	_ = os.Remove(f.Name())
	return &sealedSpool{f: f, aead: aead, buf: make([]byte, 0, spoolChunk), cached: -1}, nil
}

func (s *sealedSpool) nonce(chunk int64) []byte {
	n := make([]byte, s.aead.NonceSize())
	binary.BigEndian.PutUint64(n[len(n)-8:], uint64(chunk))
	return n
}

func (s *sealedSpool) sealedSize() int64 { return spoolChunk + int64(s.aead.Overhead()) }

// Write appends p; ReadFrom through io.Copy goes through it.
func (s *sealedSpool) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := copy(s.buf[len(s.buf):spoolChunk], p)
		s.buf = s.buf[:len(s.buf)+c]
		p, n = p[c:], n+c
		if len(s.buf) == spoolChunk {
			if err := s.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (s *sealedSpool) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	chunk := s.size / spoolChunk
	sealed := s.aead.Seal(nil, s.nonce(chunk), s.buf, nil)
	if _, err := s.f.WriteAt(sealed, chunk*s.sealedSize()); err != nil {
		return fmt.Errorf("upload spool: %w", err)
	}
	s.size += int64(len(s.buf))
	s.buf = s.buf[:0]
	return nil
}

// Finish ends the writing; the spool is then read from its start.
func (s *sealedSpool) Finish() error { return s.flush() }

// Size is how many bytes were written.
func (s *sealedSpool) Size() int64 { return s.size }

func (s *sealedSpool) chunk(i int64) ([]byte, error) {
	if i == s.cached {
		return s.plain, nil
	}
	n := min(spoolChunk, s.size-i*spoolChunk)
	sealed := make([]byte, n+int64(s.aead.Overhead()))
	if _, err := s.f.ReadAt(sealed, i*s.sealedSize()); err != nil {
		return nil, fmt.Errorf("upload spool: %w", err)
	}
	plain, err := s.aead.Open(s.plain[:0], s.nonce(i), sealed, nil)
	if err != nil {
		return nil, fmt.Errorf("upload spool: %w", err)
	}
	s.cached, s.plain = i, plain
	return plain, nil
}

func (s *sealedSpool) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("upload spool: negative offset")
	}
	n := 0
	for n < len(p) && off < s.size {
		plain, err := s.chunk(off / spoolChunk)
		if err != nil {
			return n, err
		}
		c := copy(p[n:], plain[off%spoolChunk:])
		n, off = n+c, off+int64(c)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (s *sealedSpool) Read(p []byte) (int, error) {
	if s.pos >= s.size {
		return 0, io.EOF
	}
	n, err := s.ReadAt(p, s.pos)
	s.pos += int64(n)
	if errors.Is(err, io.EOF) && n > 0 {
		err = nil
	}
	return n, err
}

func (s *sealedSpool) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += s.pos
	case io.SeekEnd:
		offset += s.size
	}
	if offset < 0 {
		return 0, errors.New("upload spool: negative position")
	}
	s.pos = offset
	return offset, nil
}

func (s *sealedSpool) Close() error { return s.f.Close() }
