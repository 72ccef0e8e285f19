package sqldb

import (
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/libc/sys/types"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNoRawSQLite is returned by WithSQLite when the connection is not
// one of this package's SQLite connections over the driver it knows; the
// caller then goes through database/sql.
var ErrNoRawSQLite = errors.New("sqlite: no direct statement access on this connection")

// SQLiteStmt is one statement prepared once on an SQLite connection and
// executed many times with new arguments (see WithSQLite).
type SQLiteStmt struct {
	tls   *libc.TLS
	db    uintptr
	p     uintptr
	arena uintptr // C memory holding the text bound since the last Exec
	cap   int
	off   int
	extra []uintptr // texts that did not fit in the arena, freed at the end
	err   error
}

// sqliteArena is the C memory each statement binds its text from: far more
// than the texts of one execution of the statements this is for.
const sqliteArena = 64 << 10

// SQLiteConn is direct access to one SQLite connection (see WithSQLite).
type SQLiteConn struct {
	tls   *libc.TLS
	db    uintptr
	stmts []*SQLiteStmt
}

// WithSQLite runs f with direct access to the SQLite connection under
// conn; the statements f prepares are finalized when it returns.
//
// The driver (glebarez/go-sqlite over modernc.org/sqlite) prepares a
// statement again at every execution, even a prepared one, and binds
// arguments in time quadratic in their number, so many small executions
// cost more in the driver than in SQLite: bulk writers (the payment import)
// prepare once here and execute many times. It reaches the driver's
// connection handle through sql.Conn.Raw and reflection on the driver's
// connection type, pinned by go.mod; ErrNoRawSQLite, with nothing executed,
// if that type is not the one expected (another driver, a version with
// other fields), so that a caller can fall back to database/sql. conn may
// be inside a transaction begun on it: the statements run in it.
func WithSQLite(conn *sql.Conn, f func(*SQLiteConn) error) error {
	return conn.Raw(func(dc any) error {
		ic, ok := dc.(*immediateConn)
		if !ok {
			return ErrNoRawSQLite
		}
		tls, db, ok := sqliteHandle(ic.Conn)
		if !ok {
			return ErrNoRawSQLite
		}
		c := &SQLiteConn{tls: tls, db: db}
		defer func() {
			for _, s := range c.stmts {
				s.finalize()
			}
		}()
		return f(c)
	})
}

// Prepare prepares query, a single statement, on c.
func (c *SQLiteConn) Prepare(query string) (*SQLiteStmt, error) {
	s := &SQLiteStmt{tls: c.tls, db: c.db}
	if err := s.prepare(query); err != nil {
		return nil, err
	}
	c.stmts = append(c.stmts, s)
	return s, nil
}

var tlsType = reflect.TypeOf((*libc.TLS)(nil))

// sqliteHandle returns the libc thread state and sqlite3* handle of the
// driver's connection c (unexported fields tls and db of
// github.com/glebarez/go-sqlite's conn).
func sqliteHandle(c any) (*libc.TLS, uintptr, bool) {
	v := reflect.ValueOf(c)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, 0, false
	}
	t := v.Elem().Type()
	if t.PkgPath() != "github.com/glebarez/go-sqlite" || t.Name() != "conn" {
		return nil, 0, false
	}
	fdb, ftls := v.Elem().FieldByName("db"), v.Elem().FieldByName("tls")
	if !fdb.IsValid() || fdb.Kind() != reflect.Uintptr || !ftls.IsValid() || ftls.Type() != tlsType || ftls.IsNil() || fdb.Uint() == 0 {
		return nil, 0, false
	}
	return (*libc.TLS)(ftls.UnsafePointer()), uintptr(fdb.Uint()), true
}

func (s *SQLiteStmt) errorf(rc int32, what string) error {
	return fmt.Errorf("sqlite: %s: %s (%d)", what, libc.GoString(sqlite3.Xsqlite3_errmsg(s.tls, s.db)), rc)
}

func (s *SQLiteStmt) prepare(query string) error {
	z, err := libc.CString(query)
	if err != nil {
		return err
	}
	defer libc.Xfree(s.tls, z)
	pp := libc.Xmalloc(s.tls, types.Size_t(unsafe.Sizeof(uintptr(0))))
	if pp == 0 {
		return errors.New("sqlite: out of memory")
	}
	defer libc.Xfree(s.tls, pp)
	if rc := sqlite3.Xsqlite3_prepare_v3(s.tls, s.db, z, -1, sqlite3.SQLITE_PREPARE_PERSISTENT, pp, 0); rc != sqlite3.SQLITE_OK {
		return s.errorf(rc, "prepare")
	}
	s.p = *(*uintptr)(cPointer(pp))
	if s.p == 0 {
		return errors.New("sqlite: prepare: the statement is empty")
	}
	if s.arena = libc.Xmalloc(s.tls, sqliteArena); s.arena == 0 {
		sqlite3.Xsqlite3_finalize(s.tls, s.p)
		return errors.New("sqlite: out of memory")
	}
	s.cap = sqliteArena
	return nil
}

func (s *SQLiteStmt) finalize() {
	s.freeExtra()
	sqlite3.Xsqlite3_finalize(s.tls, s.p)
	libc.Xfree(s.tls, s.arena)
}

func (s *SQLiteStmt) freeExtra() {
	for _, p := range s.extra {
		libc.Xfree(s.tls, p)
	}
	s.extra = s.extra[:0]
}

// BindInt64 binds v to parameter i (from 1) for the next Exec.
func (s *SQLiteStmt) BindInt64(i int, v int64) {
	if rc := sqlite3.Xsqlite3_bind_int64(s.tls, s.p, int32(i), v); rc != sqlite3.SQLITE_OK && s.err == nil {
		s.err = s.errorf(rc, "bind")
	}
}

// BindText binds a copy of v as text to parameter i (from 1) for the next
// Exec; v may be reused at once. Text parameters must be bound again
// before every Exec (the copy is overwritten by the next Exec's texts).
func (s *SQLiteStmt) BindText(i int, v []byte) {
	var p uintptr
	if len(v) <= s.cap-s.off {
		p = s.arena + uintptr(s.off)
		s.off += len(v)
	} else {
		if p = libc.Xmalloc(s.tls, types.Size_t(len(v)+1)); p == 0 {
			if s.err == nil {
				s.err = errors.New("sqlite: out of memory")
			}
			return
		}
		s.extra = append(s.extra, p)
	}
	if len(v) > 0 {
		copy(unsafe.Slice((*byte)(cPointer(p)), len(v)), v)
	}
	// The memory stays valid and unchanged until the next Exec has run
	// (SQLITE_STATIC: SQLite does not copy it).
	if rc := sqlite3.Xsqlite3_bind_text(s.tls, s.p, int32(i), p, int32(len(v)), 0); rc != sqlite3.SQLITE_OK && s.err == nil {
		s.err = s.errorf(rc, "bind")
	}
}

// BindString is BindText of a string.
func (s *SQLiteStmt) BindString(i int, v string) {
	s.BindText(i, unsafe.Slice(unsafe.StringData(v), len(v)))
}

// Exec runs the statement with the arguments bound since the last Exec
// (integer parameters not bound again keep their value) and returns how
// many rows it changed. A statement that returns rows is an error.
func (s *SQLiteStmt) Exec() (int64, error) {
	defer func() { s.off = 0 }()
	if s.err != nil {
		err := s.err
		s.err = nil
		sqlite3.Xsqlite3_reset(s.tls, s.p)
		return 0, err
	}
	rc := sqlite3.Xsqlite3_step(s.tls, s.p)
	if rc != sqlite3.SQLITE_DONE {
		err := s.errorf(rc, "step")
		if rc == sqlite3.SQLITE_ROW {
			err = errors.New("sqlite: a statement executed with Exec returned rows")
		}
		sqlite3.Xsqlite3_reset(s.tls, s.p)
		return 0, err
	}
	n := sqlite3.Xsqlite3_changes64(s.tls, s.db)
	if rc := sqlite3.Xsqlite3_reset(s.tls, s.p); rc != sqlite3.SQLITE_OK {
		return 0, s.errorf(rc, "reset")
	}
	return n, nil
}

// cPointer is the address p of SQLite's C heap (memory outside Go's heap
// that the garbage collector neither moves nor frees) as a pointer.
func cPointer(p uintptr) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(nil), p) }
