// Package funds owns the money: named funds and projects' accounts, pledges,
// the double-entry ledger in integer fen, allocations to needs, disbursements
// and the public disclosure register.
//
// It imports marketplace, kernel and the standard library only. Where it
// needs an answer from another package (a screening result before an
// allocation) it declares a small interface, such as Screener, that cmd
// wires in.
//
// A need's status is marketplace's: when money moves it (funded, disbursed,
// reopened) funds asks marketplace.MoveMoney for the move and hands its
// event and audit entry to the store with the need's new amounts.
package funds
