package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// validationTexts finds every message format the module passes to
// kernel.ValidationError.Add and kernel.Invalid (in non-test Go files),
// with where each is used. A format must be a constant: problems lists the
// calls whose format the scan cannot read (a computed kernel.Text).
func validationTexts(t *testing.T) (texts map[string][]string, problems []string) {
	t.Helper()
	root := filepath.Join("..")
	fset := token.NewFileSet()
	type call struct {
		pkg  string
		arg  ast.Expr
		pos  token.Pos
		kind string
	}
	var calls []call
	consts := map[string]map[string]string{} // package dir → const name → value
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n != ".." && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		if consts[dir] == nil {
			consts[dir] = map[string]string{}
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := stringConst(vs.Values[i]); ok {
							consts[dir][n.Name] = s
						}
					}
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ce, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fun := ce.Fun.(type) {
			case *ast.SelectorExpr:
				switch {
				case fun.Sel.Name == "Add" && len(ce.Args) >= 2 && isStringish(ce.Args[0]) && !isHeader(fun.X):
					calls = append(calls, call{dir, ce.Args[1], ce.Pos(), "Add"})
				case fun.Sel.Name == "Invalid" && len(ce.Args) >= 2 && isIdent(fun.X, "kernel"):
					calls = append(calls, call{dir, ce.Args[1], ce.Pos(), "Invalid"})
				case (fun.Sel.Name == "Text" || fun.Sel.Name == "Because") && isIdent(fun.X, "kernel") && len(ce.Args) >= 1:
					calls = append(calls, call{dir, ce.Args[0], ce.Pos(), fun.Sel.Name})
				}
			case *ast.Ident:
				if (fun.Name == "Invalid" || fun.Name == "Text" || fun.Name == "Because") && strings.HasSuffix(filepath.ToSlash(dir), "/kernel") && len(ce.Args) >= 1 {
					i := 0
					if fun.Name == "Invalid" {
						i = 1
					}
					if i < len(ce.Args) {
						calls = append(calls, call{dir, ce.Args[i], ce.Pos(), fun.Name})
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	texts = map[string][]string{}
	for _, c := range calls {
		pos := fset.Position(c.pos).String()
		s, ok := stringConst(c.arg)
		if !ok {
			switch a := c.arg.(type) {
			case *ast.Ident:
				s, ok = consts[c.pkg][a.Name]
			case *ast.SelectorExpr:
				for _, m := range consts {
					if v, found := m[a.Sel.Name]; found {
						s, ok = v, true
					}
				}
			}
		}
		if !ok {
			if c.kind != "Add" {
				problems = append(problems, pos+": the message format is not a constant")
			}
			continue
		}
		texts[s] = append(texts[s], pos)
	}
	sort.Strings(problems)
	return texts, problems
}

// stringConst is the value of a string literal or a sum of them.
func stringConst(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		a, ok1 := stringConst(x.X)
		b, ok2 := stringConst(x.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return stringConst(x.X)
	}
	return "", false
}

// isStringish: the first argument of ValidationError.Add is a field name,
// a string literal or an expression building one (never a number, as in
// sync.WaitGroup.Add or time.Time.Add).
func isStringish(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BasicLit:
		return x.Kind == token.STRING
	case *ast.Ident, *ast.BinaryExpr, *ast.CallExpr, *ast.SelectorExpr, *ast.IndexExpr:
		return true
	}
	return false
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// isHeader: x is an http.Header (….Header()), whose Add is not ours.
func isHeader(x ast.Expr) bool {
	ce, ok := x.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := ce.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Header"
}
