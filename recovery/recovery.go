// Package recovery runs the service's background work so that a panic in it
// never ends the process: the panic is logged with its stack and becomes an
// error that the caller records on its job (an import batch, a retry).
//
// It imports the standard library only, so that every layer (cmd, web,
// matching, funds, marketplace, sqldb) may use it.
package recovery

import (
	"fmt"
	"log/slog"
	"runtime/debug"
)

// PanicError is a panic turned into an error by Run. Its message names the
// work and the panic's value; the stack goes to the log only.
type PanicError struct {
	What  string
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("%s: internal error (panic: %v)", e.What, e.Value)
}

// Run calls fn and returns its error; a panic in fn is logged with its
// stack on log (slog.Default() if nil) and returned as a *PanicError.
func Run(log *slog.Logger, what string, fn func() error) (err error) {
	defer Catch(log, what, &err)
	return fn()
}

// Go runs fn in a goroutine of its own through Run; a panic is logged and
// the goroutine ends, the process goes on.
func Go(log *slog.Logger, what string, fn func()) {
	go func() {
		_ = Run(log, what, func() error { fn(); return nil })
	}()
}

// Catch, deferred directly (defer recovery.Catch(log, what, &err)), turns
// a panic of the function that defers it into a logged *PanicError in
// *errp, as Run does.
func Catch(log *slog.Logger, what string, errp *error) {
	if r := recover(); r != nil {
		*errp = caught(log, what, r)
	}
}

func caught(log *slog.Logger, what string, r any) error {
	pe := &PanicError{What: what, Value: r, Stack: debug.Stack()}
	if log == nil {
		log = slog.Default()
	}
	log.Error("panic in background work", slog.String("work", what),
		slog.String("panic", fmt.Sprint(r)), slog.String("stack", string(pe.Stack)))
	return pe
}
