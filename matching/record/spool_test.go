package record

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// secretUpload is an upload with an ID number and a name, over some chunks.
var secretUpload = bytes.Repeat([]byte("371725198001011235,张三\n"), 10_000)

func checkSealed(t *testing.T, f *os.File) {
	t.Helper()
	onDisk, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<30))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(onDisk, []byte("371725198001011235")) || bytes.Contains(onDisk, []byte("张三")) {
		t.Fatal("the spool holds the upload in plain text")
	}
}

func checkReads(t *testing.T, sp *Spool) {
	t.Helper()
	all, err := io.ReadAll(sp)
	if err != nil || !bytes.Equal(all, secretUpload) {
		t.Fatalf("read back %d of %d bytes, %v", len(all), len(secretUpload), err)
	}
	part := make([]byte, 100)
	if _, err := sp.ReadAt(part, 65_500); err != nil || !bytes.Equal(part, secretUpload[65_500:65_600]) {
		t.Fatalf("ReadAt across chunks: %v", err)
	}
}

func TestATemporarySpoolIsSealedAndInvisible(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	sp, err := NewTempSpool()
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	if _, err := io.Copy(sp, bytes.NewReader(secretUpload)); err != nil {
		t.Fatal(err)
	}
	if err := sp.Finish(); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(tmp); len(es) != 0 {
		t.Fatalf("the spool is visible in the temporary folder: %v", es)
	}
	checkSealed(t, sp.f)
	checkReads(t, sp)
}

func TestAKeptSpoolReopensWithItsKeyOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "uploads")
	sp, err := CreateSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(sp, bytes.NewReader(secretUpload)); err != nil {
		t.Fatal(err)
	}
	if err := sp.Finish(); err != nil {
		t.Fatal(err)
	}
	checkSealed(t, sp.f)
	name, key := sp.Name(), bytes.Clone(sp.Key())
	sp.Close()
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("upload folder: %v %v", st.Mode(), err)
	}
	if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("spool file: %v %v", st.Mode(), err)
	}
	again, err := OpenSpool(dir, name, key)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.Size() != int64(len(secretUpload)) {
		t.Fatalf("reopened size %d, want %d", again.Size(), len(secretUpload))
	}
	checkReads(t, again)
	wrong := bytes.Repeat([]byte{7}, 32)
	bad, err := OpenSpool(dir, name, wrong)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if _, err := io.ReadAll(bad); err == nil {
		t.Fatal("a spool opened with another key reads")
	}
	if _, err := OpenSpool(dir, "../../etc/passwd", key); err == nil {
		t.Fatal("a spool name leads out of the folder")
	}
}
