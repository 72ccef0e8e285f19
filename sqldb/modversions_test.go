package sqldb_test

import (
	"os/exec"
	"strings"
	"testing"
)

// pinnedRequirements are module pairs where the first module works only
// with exactly the version of the second that its own go.mod requires:
// modernc.org/sqlite is transpiled C that calls into modernc.org/libc, and
// its releases say that a downstream go.mod must select the same libc
// version as theirs (a newer one, which Go's minimal version selection
// allows, may break it at run time).
var pinnedRequirements = []struct{ module, requires string }{
	{"modernc.org/sqlite", "modernc.org/libc"},
}

// The versions go.mod selects agree with what each module of a pinned pair
// requires. The versions and the module graph come from go.mod files in
// the module cache, which the build itself needs (go mod download fills
// it), so this runs offline (checked with GOPROXY=off).
func TestPinnedModuleVersionsAgree(t *testing.T) {
	args := []string{"list", "-m", "-f", "{{.Path}} {{.Version}}"}
	for _, p := range pinnedRequirements {
		args = append(args, p.module, p.requires)
	}
	selected := map[string]string{}
	for _, line := range goCmd(t, args...) {
		if f := strings.Fields(line); len(f) == 2 {
			selected[f[0]] = f[1]
		}
	}
	graph := goCmd(t, "mod", "graph")
	for _, p := range pinnedRequirements {
		mv, ok := selected[p.module]
		if !ok {
			t.Errorf("%s is not in the build list", p.module)
			continue
		}
		want := ""
		for _, line := range graph {
			f := strings.Fields(line)
			if len(f) == 2 && f[0] == p.module+"@"+mv && strings.HasPrefix(f[1], p.requires+"@") {
				want = strings.TrimPrefix(f[1], p.requires+"@")
			}
		}
		if want == "" {
			t.Errorf("%s@%s does not require %s", p.module, mv, p.requires)
			continue
		}
		if got := selected[p.requires]; got != want {
			t.Errorf("go.mod selects %s %s, but %s@%s requires exactly %s: run go get %s@%s",
				p.requires, got, p.module, mv, want, p.requires, want)
		}
	}
}

// goCmd runs the go command in this module and returns its output's lines.
func goCmd(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Env = append(cmd.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
