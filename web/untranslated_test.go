package web

import (
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Every page a test renders in Chinese is read for English: a word of two
// or more Latin letters in the visible text that is not on the list below
// (codes, units and names that Chinese pages write in Latin letters), nor
// part of an e-mail address, a web address or an id, fails the test that
// rendered it. So every page state and every refusal the handler tests
// reach is checked, not only the states listed here.

// latinAllowed are the Latin words a Chinese page may show.
var latinAllowed = map[string]bool{
	"CSV": true, "csv": true, "Excel": true, "xlsx": true, "xls": true, "PDF": true, "QR": true, "ID": true,
	"GB": true, "JSON": true, "HTML": true, "UTF": true, "BOM": true, "API": true, "https": true, "http": true,
	"English": true, "App": true, "WeChat": true, "Alipay": true, "SMS": true, "PIPL": true, "ISO": true, "MOD": true,
	"Jiujinan": true, "htmx": true, "KiB": true, "MiB": true, "WPS": true,
	// What WeChat Pay's and Alipay's own Chinese pages call their keys and files.
	"AppID": true, "PEM": true, "RSA": true, "apiclient_key": true, "pem": true,
	// Bills: an encoding, a size, and the trade statuses WeChat Pay's bill writes.
	"GBK": true, "MB": true, "SUCCESS": true, "REFUND": true, "REVOKED": true,
	// The injection strings the tests type into stories and names, which
	// a page shows as text.
	"script": true, "alert": true, "img": true, "onerror": true, "src": true, "XLSX": true, "ZIP": true, "zip": true, "HMAC": true, "SHA": true, "AES": true, "GCM": true,
}

var (
	latinWordRe = regexp.MustCompile(`[A-Za-z][A-Za-z_]+`)
	// Tokens that are data, not words: e-mail and web addresses, ids of
	// 26 characters, pledge references (JJ and ten of 0-9 A-Z, which may
	// all be letters; a refund's number adds R and six more), file names,
	// codes with digits or underscores.
	latinDataRe = regexp.MustCompile(`[\w.+-]+@[\w.-]+|https?://\S+|/[\w/.?=&%-]+|\b[0-9A-HJKMNP-TV-Z]{26}\b|\bJJ[0-9A-Z]{10}(R[0-9A-Z]{6})?\b|\b[\w-]+\.(csv|xlsx|xls|pdf|png|txt)\b|[\w-]*\d[\w-]*`)
)

// untranslatedWords lists the English words in the visible text of an
// HTML page.
func untranslatedWords(body string) []string {
	text := latinDataRe.ReplaceAllString(visibleText(body), " ")
	seen := map[string]bool{}
	var out []string
	for _, w := range latinWordRe.FindAllString(text, -1) {
		if latinAllowed[w] || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// checkChinesePage fails t when rec is a Chinese HTML page with English
// words in its text.
func checkChinesePage(t *testing.T, path string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		return
	}
	body := rec.Body.String()
	if !strings.Contains(body, `<html lang="zh`) {
		return
	}
	if words := untranslatedWords(body); len(words) > 0 {
		text := strings.Join(strings.Fields(visibleText(body)), " ")
		at := strings.Index(text, words[0])
		from, to := max(at-40, 0), min(at+len(words[0])+40, len(text))
		t.Errorf("the Chinese page %s (status %d) shows English: %s (…%s…)", path, rec.Code, strings.Join(words, " "), text[from:to])
	}
}
