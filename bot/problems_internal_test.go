package bot

import (
	"go/ast"
	"strconv"
	"strings"
	"testing"

	"github.com/circlebot/circlebot/i18n"
)

// TestEveryDoingHasASentence: whatever a stuck step or a refused call
// was doing has its whole sentence in the catalogs (problems.stuck.*):
// every doing constant, every step, and every message post names.
func TestEveryDoingHasASentence(t *testing.T) {
	for step, doing := range stepDoing {
		if !i18n.Has(stuckKey(doing)) {
			t.Errorf("step %v: no %s in the catalogs", step, stuckKey(doing))
		}
	}
	files, fset := parseSources(t, ".")
	consts := map[string]bool{}
	for _, src := range files {
		name := src.name
		ast.Inspect(src.file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if !strings.HasPrefix(id.Name, "doing") || i >= len(n.Values) {
						continue
					}
					lit, ok := n.Values[i].(*ast.BasicLit)
					if !ok {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					consts[id.Name] = true
					if !i18n.Has(stuckKey(v)) {
						t.Errorf("%s: %s = %q has no %s in the catalogs", fset.Position(id.Pos()), id.Name, v, stuckKey(v))
					}
				}
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				// b.post(ctx, channelID, what, …): what names the message.
				if !ok || sel.Sel.Name != "post" || len(n.Args) < 3 || literalsPending[name] {
					return true
				}
				if lit, ok := n.Args[2].(*ast.BasicLit); ok {
					v, _ := strconv.Unquote(lit.Value)
					if key := stuckKey(doingPost(v)); !i18n.Has(key) {
						t.Errorf("%s: a post of %q has no %s in the catalogs", fset.Position(lit.Pos()), v, key)
					}
				}
			}
			return true
		})
	}
	if len(consts) < 10 {
		t.Fatalf("found only the doings %v", consts)
	}
	// postInSession's names.
	for _, what := range []string{"prompt", "warning", "closing_note"} {
		if !i18n.Has(stuckKey(doingPost(what))) {
			t.Errorf("a post of %q has no sentence", what)
		}
	}
}
