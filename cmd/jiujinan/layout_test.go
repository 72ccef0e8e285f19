package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/jiujinan/jiujinan/"

// layout is the direction of imports (README, "Layout"): each package of
// the module and the packages of the module it may import. Domain packages
// come first, each above the ones it lists; the adapters (gormstore,
// search, sqldb, migrations) and web sit on top of them; cmd wires it all.
var layout = map[string][]string{
	"kernel":                     nil,
	"kernel/rmbwords":            nil,
	"recovery":                   nil,
	"notify":                     {"kernel", "recovery"},
	"marketplace/anonymize":      {"kernel"},
	"marketplace":                {"kernel", "marketplace/anonymize", "notify"},
	"matching/record":            {"kernel", "marketplace", "notify", "recovery"},
	"matching/record/paymentgen": {"kernel"},
	"matching/screening":         {"kernel", "marketplace", "matching/record", "notify"},
	"funds":                      {"kernel", "kernel/rmbwords", "marketplace", "notify"},
	"matching":                   {"kernel", "marketplace", "marketplace/anonymize", "funds"},
	"stats":                      {"kernel", "marketplace", "funds"},

	"sqldb":                             {"recovery"},
	"sqldb/sqldbtest":                   {"sqldb", "migrations"},
	"migrations":                        {"sqldb"},
	"notify/gormstore":                  {"kernel", "notify", "sqldb"},
	"notify/email":                      {"notify"},
	"notify/sms":                        {"notify"},
	"notify/notifytest":                 {"notify/sms"},
	"marketplace/gormstore":             {"kernel", "marketplace", "marketplace/anonymize", "notify", "notify/gormstore", "sqldb"},
	"marketplace/gormstore/needfixture": {"kernel", "marketplace", "marketplace/gormstore", "sqldb"},
	"marketplace/search":                {"kernel", "marketplace", "recovery"},
	"funds/gormstore":                   {"kernel", "marketplace", "marketplace/gormstore", "funds", "notify", "notify/gormstore", "sqldb"},
	"funds/aidxlsx":                     {"funds"},
	"funds/paychan/wechatpay":           nil,
	"funds/paychan/alipay":              nil,
	"funds/paychan":                     {"kernel", "marketplace", "funds", "funds/paychan/wechatpay", "funds/paychan/alipay"},
	"funds/paychan/gormstore":           {"kernel", "marketplace", "marketplace/gormstore", "funds/paychan", "sqldb"},
	"funds/paychan/paytest":             {"funds/paychan", "funds/paychan/wechatpay", "funds/paychan/alipay"},
	"funds/bill":                        {"kernel", "funds"},
	"funds/receiptdoc":                  nil,
	"matching/record/gormstore":         {"kernel", "marketplace", "marketplace/gormstore", "matching/record", "sqldb"},
	"matching/record/xlsxsheet":         {"matching/record"},
	"matching/screening/gormstore": {"kernel", "marketplace", "marketplace/gormstore", "matching/record",
		"matching/record/gormstore", "matching/screening", "sqldb"},
	"matching/gormstore": {"kernel", "marketplace", "marketplace/gormstore", "funds", "matching", "sqldb"},
	"stats/gormstore":    {"kernel", "marketplace", "sqldb", "stats"},
	"stats/statxlsx":     {"funds", "stats"},

	"web": {"kernel", "recovery", "marketplace", "marketplace/anonymize", "marketplace/search", "funds", "funds/receiptdoc",
		"matching", "matching/record", "matching/screening", "funds/bill", "notify", "funds/paychan", "stats"},
	"cmd/jiujinan": {"*"},
}

// domain packages hold the rules: no database, HTTP, token or search
// library in them (STYLE.md), only the standard library and these.
var domain = map[string]bool{"kernel": true, "kernel/rmbwords": true, "recovery": true, "notify": true, "marketplace/anonymize": true, "marketplace": true,
	"matching/record": true, "matching/record/paymentgen": true, "matching/screening": true, "funds": true, "matching": true,
	"funds/bill": true, "funds/paychan": true, "funds/paychan/wechatpay": true, "funds/paychan/alipay": true, "stats": true}

// lunar-go is reference data, China's holiday table (kernel.Calendar), as
// the division table is: no infrastructure.
var domainThirdParty = []string{"golang.org/x/crypto/", "golang.org/x/text/", "github.com/6tail/lunar-go/"}

// TestImportDirection reads the module's import graph with `go list` and
// fails on an import against the layout: a lower package importing a higher
// one, a package missing from the layout, or a domain package importing an
// infrastructure library. Test files are not checked: tests may reach up
// (a store's test builds the service above it).
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-C", "../..", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	seen := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		allowed, known := layout[pkg]
		if !known {
			t.Errorf("%s is not in the layout: add it to layout (cmd/jiujinan/layout_test.go) and README's layout section", pkg)
			continue
		}
		seen++
		for _, imp := range fields[1:] {
			if own, ok := strings.CutPrefix(imp, module); ok {
				if !slices.Contains(allowed, own) && !slices.Contains(allowed, "*") {
					t.Errorf("%s imports %s against the layout (it may import %v)", pkg, own, allowed)
				}
				continue
			}
			if domain[pkg] && strings.Contains(strings.Split(imp, "/")[0], ".") &&
				!slices.ContainsFunc(domainThirdParty, func(p string) bool { return strings.HasPrefix(imp, p) }) {
				t.Errorf("domain package %s imports %s: the rules stay free of infrastructure", pkg, imp)
			}
		}
	}
	if seen < len(layout)-1 {
		t.Errorf("go list showed %d of the layout's %d packages", seen, len(layout))
	}
}

// needsWrite is what a write to the needs table looks like in Go or SQL.
var needsWrite = regexp.MustCompile(`(?i)\b(UPDATE\s+needs|INSERT\s+(OR\s+\w+\s+)?INTO\s+needs|DELETE\s+FROM\s+needs|REPLACE\s+INTO\s+needs)\b|Table\("needs"\)\.(Where|Update|Updates|UpdateColumn|UpdateColumns|Create|Delete|Save)\b`)

// TestOnlyTheNeedsStoreWritesNeeds: a need's status and money have one
// owner, so no Go file outside the needs store (marketplace/gormstore, its
// test fixture included) writes the needs table — tests set a need's state
// through needfixture too.
func TestOnlyTheNeedsStoreWritesNeeds(t *testing.T) {
	root := "../.."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "marketplace/gormstore" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || rel == "cmd/jiujinan/layout_test.go" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if needsWrite.MatchString(line) {
				t.Errorf("%s:%d writes the needs table outside the needs store: %s", rel, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
