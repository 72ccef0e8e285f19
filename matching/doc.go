// Package matching decides who fits what: eligibility of a need for a
// project or fund, ranked matches with reasons, volunteer matching, batch
// allocation plans, and screening of needs and payments against the
// statutory payment record (duplicate and missed relief).
//
// It imports funds, marketplace and the standard library only.
package matching
