// Package web is the HTTP face of Jiujinan: the echo server with its
// middleware, the JSON API under /api/v1, authentication with signed tokens
// (golang-jwt), the mapping of domain errors to status codes, and the HTML
// pages with their embedded assets.
//
// It may import every domain package (matching, funds, marketplace); no
// domain package imports it.
package web
