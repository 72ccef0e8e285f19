// Package marketplace owns the people and the needs of Jiujinan: accounts,
// organizations and roles; beneficiaries (private) and their needs with the
// need lifecycle; anonymization and the public projection; projects,
// volunteers and active-discovery reports; the hash-chained audit log.
//
// The need lifecycle is one table (lifecycle.go): every change of a need's
// status, the money states that funds reaches included, is a move of it,
// and NeedRules.May says who may do what to a need and when.
//
// It is the lowest domain package: it imports the standard library only (no
// gorm, echo, jwt or meilisearch types). Its gorm store lives in gormstore/,
// its search indexes in search/.
package marketplace
