// Package marketplace owns the people and the needs of Jiujinan: accounts
// and organizations (passwords, login throttling), beneficiaries (private,
// sealed with the data keys; ID numbers kept as keyed pseudonyms) and their
// needs with the need lifecycle, the public projection of a need, volunteers
// with their claims and service pledges, active-discovery reports, and the
// hash-chained audit log.
//
// The need lifecycle is one table (lifecycle.go): every change of a need's
// status, the money states that funds reaches included, is a move of it,
// and NeedRules.May says who may do what to a need and when.
//
// It imports kernel (the shared vocabulary), marketplace/anonymize (which
// builds what the public reads of a need) and the standard library only: no
// gorm, echo, jwt or meilisearch types. Its gorm store lives in gormstore/,
// its search indexes in search/.
package marketplace
