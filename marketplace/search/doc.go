// Package search finds published needs by words, filters and sort keys. It
// owns the Index interface and its two implementations: Bleve, an embedded
// on-disk index (the default, in the data folder, owned by one process), and
// Meili, a Meilisearch index for several app instances.
//
// Only marketplace.PublicNeed, the public projection, is ever indexed: the
// index can leak nothing that a public page does not already show.
//
// It imports marketplace and the standard library, plus the two search
// libraries inside their own files; no bleve or meilisearch type appears in
// its API. It must not import web, matching, funds or any gorm store.
package search
