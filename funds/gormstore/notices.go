package gormstore

import (
	"context"

	"github.com/jiujinan/jiujinan/notify"
	nstore "github.com/jiujinan/jiujinan/notify/gormstore"
)

// Publish implements funds.Tx: the notifications are written in the
// transaction of the money they tell of.
func (t *tx) Publish(_ context.Context, events ...notify.Event) error {
	return nstore.Insert(t.g, events...)
}

// Publish is not served inside a batch: a call that tells someone runs
// alone, through InTx.
func (u *unsupported) Publish(context.Context, ...notify.Event) error { return u.no() }
