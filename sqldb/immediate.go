package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// The SQLite driver (glebarez/go-sqlite v1.23) stops reading its DSN options
// after _time_format, so the _txlock=immediate that follows it is silently
// ignored and every transaction begins DEFERRED: two read-then-write
// transactions then fail with SQLITE_BUSY / SQLITE_BUSY_SNAPSHOT instead of
// waiting for each other. immediateConnector wraps the driver's connections
// so that every read-write transaction begins with BEGIN IMMEDIATE, which
// takes the write lock at once and honours busy_timeout.

type immediateConnector struct {
	dsn string
	drv driver.Driver
}

func (c immediateConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &immediateConn{Conn: conn}, nil
}

func (c immediateConnector) Driver() driver.Driver { return c.drv }

// openSQLiteImmediate returns a pool over the registered "sqlite" driver
// whose transactions begin IMMEDIATE.
func openSQLiteImmediate(dsn string) (*sql.DB, error) {
	probe, err := sql.Open("sqlite", "")
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	_ = probe.Close()
	return sql.OpenDB(immediateConnector{dsn: dsn, drv: drv}), nil
}

type immediateConn struct {
	driver.Conn
}

var (
	_ driver.ConnBeginTx        = (*immediateConn)(nil)
	_ driver.ExecerContext      = (*immediateConn)(nil)
	_ driver.QueryerContext     = (*immediateConn)(nil)
	_ driver.ConnPrepareContext = (*immediateConn)(nil)
	_ driver.Pinger             = (*immediateConn)(nil)
)

func (c *immediateConn) exec(ctx context.Context, q string) error {
	ex, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return errors.New("sqlite: driver connection cannot execute")
	}
	_, err := ex.ExecContext(ctx, q, nil)
	return err
}

// BeginTx begins read-write transactions IMMEDIATE; read-only ones as the
// driver does.
func (c *immediateConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts.ReadOnly {
		if b, ok := c.Conn.(driver.ConnBeginTx); ok {
			return b.BeginTx(ctx, opts)
		}
	}
	if err := c.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, err
	}
	return immediateTx{c}, nil
}

func (c *immediateConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	ex, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return ex.ExecContext(ctx, q, args)
}

func (c *immediateConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	qu, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return qu.QueryContext(ctx, q, args)
}

func (c *immediateConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, q)
	}
	return c.Conn.Prepare(q)
}

func (c *immediateConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

type immediateTx struct{ c *immediateConn }

func (t immediateTx) Commit() error   { return t.c.exec(context.Background(), "COMMIT") }
func (t immediateTx) Rollback() error { return t.c.exec(context.Background(), "ROLLBACK") }
