// Package marketplace owns the people and the needs of Jiujinan: accounts,
// organizations and roles; beneficiaries (private) and their needs with the
// need lifecycle; anonymization and the public projection; projects,
// volunteers and active-discovery reports; the hash-chained audit log.
//
// It is the lowest domain package: it imports the standard library only (no
// gorm, echo, jwt or meilisearch types). Its gorm store lives in gormstore/,
// its search indexes in search/.
package marketplace
