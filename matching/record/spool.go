package record

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Spool keeps an uploaded payment file on disk encrypted (AES-256-GCM in
// chunks of 64 KiB, under a random key of its own), so that the file, with
// its ID numbers and names, never lies on disk in plain text, not even in
// a temporary file. Written once from the start, then read from anywhere:
// the importer reads it twice (its SHA-256, then its rows) and a workbook
// needs random access.
//
// A spool is either temporary (NewTempSpool: unlinked as soon as it is
// created, gone with the process whatever happens to it) or kept
// (CreateSpool: named in a folder, so that an import interrupted by a
// crash or a restart can be resumed from it with its key, which the import
// job keeps sealed with the service's data key).
type Spool struct {
	f    *os.File
	name string // base name in its folder; "" for a temporary spool
	key  []byte
	aead cipher.AEAD
	size int64
	buf  []byte // the chunk being written
	pos  int64  // of Read and Seek

	// the chunk last opened, for reads within it
	cached int64
	plain  []byte
}

const spoolChunk = 64 << 10

// spoolSuffix ends the name of every kept spool.
const spoolSuffix = ".sealed"

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func newSpool(f *os.File, name string) (*Spool, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &Spool{f: f, name: name, key: key, aead: aead, buf: make([]byte, 0, spoolChunk), cached: -1}, nil
}

// NewTempSpool returns a spool in the temporary folder that no other
// process can open: its file is unlinked at once.
func NewTempSpool() (*Spool, error) {
	f, err := os.CreateTemp("", "jiujinan-upload-*")
	if err != nil {
		return nil, err
	}
	_ = os.Remove(f.Name())
	sp, err := newSpool(f, "")
	if err != nil {
		f.Close()
		return nil, err
	}
	return sp, nil
}

// CreateSpool returns a new kept spool in dir (made, mode 0700, if
// missing), named at random; its file is mode 0600.
func CreateSpool(dir string) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload spool: %w", err)
	}
	var rnd [16]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	name := hex.EncodeToString(rnd[:]) + spoolSuffix
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("upload spool: %w", err)
	}
	sp, err := newSpool(f, name)
	if err != nil {
		f.Close()
		_ = os.Remove(f.Name())
		return nil, err
	}
	return sp, nil
}

// OpenSpool opens the kept spool name of dir, written with key; its size
// follows from the file's.
func OpenSpool(dir, name string, key []byte) (*Spool, error) {
	if !validSpoolName(name) {
		return nil, fmt.Errorf("upload spool: bad name %q", name)
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("upload spool: %w", err)
	}
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("upload spool: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("upload spool: %w", err)
	}
	sp := &Spool{f: f, name: name, key: key, aead: aead, cached: -1}
	sealed := sp.sealedSize()
	full, rest := st.Size()/sealed, st.Size()%sealed
	sp.size = full * spoolChunk
	if rest > 0 {
		if rest <= int64(aead.Overhead()) {
			f.Close()
			return nil, errors.New("upload spool: the file is cut short")
		}
		sp.size += rest - int64(aead.Overhead())
	}
	return sp, nil
}

// validSpoolName reports whether name can be a kept spool's: the names
// come from the database and must not lead out of the folder.
func validSpoolName(name string) bool {
	if len(name) != 32+len(spoolSuffix) || filepath.Ext(name) != spoolSuffix {
		return false
	}
	_, err := hex.DecodeString(name[:32])
	return err == nil
}

// Name is a kept spool's file name in its folder ("" for a temporary one).
func (s *Spool) Name() string { return s.name }

// Key is the spool's key: whoever keeps it must keep it sealed.
func (s *Spool) Key() []byte { return s.key }

func (s *Spool) nonce(chunk int64) []byte {
	n := make([]byte, s.aead.NonceSize())
	binary.BigEndian.PutUint64(n[len(n)-8:], uint64(chunk))
	return n
}

func (s *Spool) sealedSize() int64 { return spoolChunk + int64(s.aead.Overhead()) }

// Write appends p; ReadFrom through io.Copy goes through it.
func (s *Spool) Write(p []byte) (int, error) {
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

func (s *Spool) flush() error {
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

// Finish ends the writing (a kept spool is synced to disk, so that a crash
// after it leaves the whole upload); the spool is then read from its start.
func (s *Spool) Finish() error {
	if err := s.flush(); err != nil {
		return err
	}
	if s.name != "" {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("upload spool: %w", err)
		}
	}
	s.pos = 0
	return nil
}

// Size is how many bytes were written.
func (s *Spool) Size() int64 { return s.size }

func (s *Spool) chunk(i int64) ([]byte, error) {
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

// ReadAt implements io.ReaderAt.
func (s *Spool) ReadAt(p []byte, off int64) (int, error) {
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

func (s *Spool) Read(p []byte) (int, error) {
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

// Seek implements io.Seeker.
func (s *Spool) Seek(offset int64, whence int) (int64, error) {
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

// Close closes the spool's file (a kept spool stays in its folder).
func (s *Spool) Close() error { return s.f.Close() }
