package bot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// Every format domainErrorKeys translates is one circles/ or data/ still
// makes with Errorf, and its message exists: a reworded error would
// otherwise fall back to English without anyone noticing.
func TestDomainErrorKeys(t *testing.T) {
	made := map[string]bool{}
	for _, dir := range []string{"../circles", "../data", "../schedule"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, name := range files {
			f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) < 2 {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Errorf" {
					if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "Errorf" {
						return true
					}
				}
				if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						made[s] = true
					}
				}
				return true
			})
		}
	}
	for format, key := range domainErrorKeys {
		if !made[format] {
			t.Errorf("%s: no Errorf in circles/, data/ or schedule/ makes %q any more", key, format)
		}
		if !i18n.Has(key) {
			t.Errorf("%s: not in the catalogs", key)
		}
	}
	err := circles.Errorf(circles.EConflict, "You are already in %s as a %s.", "Grief", circles.ModeListener)
	if got, want := errorText(err, i18n.German), "Du bist schon in Grief, als Zuhörer:in."; got != want {
		t.Errorf("German: %q, want %q", got, want)
	}
	if got := errorText(err, i18n.English); got != err.Message {
		t.Errorf("English %q differs from the domain's %q", got, err.Message)
	}
}
