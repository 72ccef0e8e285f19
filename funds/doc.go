// Package funds owns the money: named funds and projects' accounts, pledges,
// the double-entry ledger in integer fen, allocations to needs, disbursements
// and the public disclosure register.
//
// It imports marketplace, kernel and the standard library only. Where it
// needs an answer from another package (a screening result before an
// allocation) it declares a small interface, such as Screener, that cmd
// wires in.
package funds
