package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is this repository's module path.
const module = "github.com/ehforge/forgefit"

// rule says what the packages matching from may depend on, directly or
// not, when built for a platform. A dependency is allowed unless deny
// names it; when allow is set, a non-standard dependency must also match
// it. Names match exactly, or as a tree with a "/..." suffix.
type rule struct {
	why      string
	platform string // "js/wasm", or "" for the host's
	from     []string
	allow    []string // non-standard packages allowed, nil for any
	deny     []string // packages, standard or not, never allowed
}

// rules are the architecture: DESIGN.md's dependency rules, in code.
var rules = []rule{{
	why: "the wasm build carries the widget and go-app only: no server code, " +
		"no store or driver, no server-side module (they cost the widget's " +
		"size budget and have no business in a browser)",
	platform: "js/wasm",
	from:     []string{module + "/app"},
	allow: []string{module + "/app", module + "/widget", module + "/widget/...",
		"github.com/maxence-charriere/go-app/v10/...", "github.com/google/uuid"},
	deny: []string{"database/sql"},
}, {
	why:      "widget/content is pure domain: the standard library only",
	platform: "js/wasm",
	from:     []string{module + "/widget/content"},
	allow:    []string{module + "/widget/content"},
}, {
	why:      "widget/event is pure domain: the standard library and widget/content only",
	platform: "js/wasm",
	from:     []string{module + "/widget/event"},
	allow:    []string{module + "/widget/event", module + "/widget/content"},
}, {
	why:      "widget/fit is pure domain: the standard library, widget/content and widget/event only",
	platform: "js/wasm",
	from:     []string{module + "/widget/fit"},
	allow:    []string{module + "/widget/fit", module + "/widget/content", module + "/widget/event"},
}, {
	why:   "the widget's domain packages are the same on the server: the standard library and each other only",
	from:  []string{module + "/widget/content", module + "/widget/event", module + "/widget/fit"},
	allow: []string{module + "/widget/content", module + "/widget/event", module + "/widget/fit"},
}, {
	why:  "the storage domain is apart from HTTP: nothing under store/ imports net/http",
	from: []string{module + "/store/..."},
	deny: []string{"net/http"},
}, {
	why:  "server is HTTP over the domain: it receives the widget pages as an http.Handler and never imports go-app",
	from: []string{module + "/server/..."},
	deny: []string{"github.com/maxence-charriere/go-app/v10/..."},
}, {
	why: "the product's binary leaves the test harnesses out: the throwaway PostgreSQL " +
		"(it runs initdb), the conformance suite, the test kit, the browser suite and the bench",
	from: []string{module + "/app"},
	deny: []string{module + "/server/postgres/pgtest", module + "/server/storetest",
		module + "/store/pgtest", module + "/store/storetest",
		module + "/internal/testkit", module + "/e2e/...", "testing"},
}}

// TestImports checks every rule against `go list -deps` of its packages.
func TestImports(t *testing.T) {
	for _, r := range rules {
		graph, roots, err := list(r.platform, r.from)
		if err != nil {
			t.Fatal(err)
		}
		if len(roots) == 0 {
			// store/ is being created; the rule applies once it exists.
			t.Logf("no package matches %v yet: %s", r.from, r.why)
			continue
		}
		for _, root := range roots {
			for _, v := range r.violations(graph, root) {
				t.Errorf("%s\n\trule: %s", v, r.why)
			}
		}
	}
}

// TestRulesCatchViolations checks the checker on packages that break the
// rules: the server package (it imports net/http) held to the store/ rule,
// and the native build of app (it holds the server and its stores) held
// to the wasm build's.
func TestRulesCatchViolations(t *testing.T) {
	graph, roots, err := list("", []string{module + "/app"})
	if err != nil {
		t.Fatal(err)
	}
	storeRule := rule{from: []string{module + "/server"}, deny: []string{"net/http"}}
	if v := storeRule.violations(graph, module+"/server"); len(v) != 1 || !strings.Contains(v[0], "net/http") {
		t.Errorf("the store/ rule on the server package: %q, want net/http named", v)
	}
	got := strings.Join(rules[0].violations(graph, roots[0]), "\n")
	for _, want := range []string{module + "/server,", "modernc.org/sqlite,", "github.com/rs/cors,"} {
		if !strings.Contains(got, " depends on "+want) {
			t.Errorf("the wasm rule on app's native build does not name %s; it says:\n%s", strings.TrimSuffix(want, ","), got)
		}
	}
}

// violations lists root's dependencies that break r, each with the chain
// of imports that brings it.
func (r rule) violations(graph map[string]pkg, root string) []string {
	var v []string
	for dep, path := range reachable(graph, root) {
		// "C" is cgo (the net package uses it natively), not a module.
		standard := graph[dep].Standard || dep == "C"
		if matches(r.deny, dep) || (r.allow != nil && !standard && !matches(r.allow, dep)) {
			v = append(v, fmt.Sprintf("%s (%s) depends on %s, through %s", root, platformName(r.platform), dep, strings.Join(path, " → ")))
		}
	}
	slices.Sort(v)
	return v
}

// pkg is what `go list -json` says of a package that the rules need.
type pkg struct {
	ImportPath string
	Standard   bool
	DepOnly    bool
	Imports    []string
	Error      *struct{ Err string }
}

// list runs `go list -e -deps -json` on patterns for platform and returns
// every package by import path, and the ones the patterns matched.
func list(platform string, patterns []string) (map[string]pkg, []string, error) {
	cmd := exec.Command("go", append([]string{"list", "-e", "-deps", "-json=ImportPath,Standard,DepOnly,Imports,Error"}, patterns...)...)
	cmd.Env = cmd.Environ()
	if goos, goarch, ok := strings.Cut(platform, "/"); ok {
		cmd.Env = append(cmd.Env, "GOOS="+goos, "GOARCH="+goarch)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, errors.New("go list " + strings.Join(patterns, " ") + ": " + err.Error() + "\n" + stderr.String())
	}
	graph := map[string]pkg{}
	var roots []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, nil, err
		}
		if p.Error != nil {
			return nil, nil, errors.New("go list: " + p.ImportPath + ": " + p.Error.Err)
		}
		graph[p.ImportPath] = p
		if !p.DepOnly {
			roots = append(roots, p.ImportPath)
		}
	}
	slices.Sort(roots)
	return graph, roots, nil
}

// reachable returns every package root depends on, with the shortest chain
// of imports from root to it.
func reachable(graph map[string]pkg, root string) map[string][]string {
	paths := map[string][]string{}
	queue := []string{root}
	from := map[string]string{root: ""}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range graph[p].Imports {
			if _, seen := from[imp]; seen {
				continue
			}
			from[imp] = p
			queue = append(queue, imp)
			var path []string
			for q := imp; q != ""; q = from[q] {
				path = append(path, q)
			}
			slices.Reverse(path)
			paths[imp] = path
		}
	}
	return paths
}

// matches reports whether path is one of names, or in one of their trees
// (a name ending in "/...").
func matches(names []string, path string) bool {
	for _, n := range names {
		if tree, ok := strings.CutSuffix(n, "/..."); ok {
			if path == tree || strings.HasPrefix(path, tree+"/") {
				return true
			}
		} else if path == n {
			return true
		}
	}
	return false
}

func platformName(p string) string {
	if p == "" {
		return "native build"
	}
	return p + " build"
}
