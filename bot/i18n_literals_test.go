package bot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// Every user-facing text goes through the catalogs (package i18n). This
// test reads the bot's Go source and fails on a string literal that looks
// like prose for people — two words, or an emoji — anywhere but in log
// calls, internal errors (fmt.Errorf, errors.New: logged, never shown)
// and the few places listed below. Convert a failure by adding a key to
// i18n/locales/*.toml and calling r.T / i18n.T.

// proseRE is a literal people would read: two words in a row.
var proseRE = regexp.MustCompile(`\pL{2,}[ ,.'’]+\pL{2,}`)

// keyRE is a catalog key ("join.welcome"), not prose.
var keyRE = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*(\.|(\.[a-z0-9_]+))$`)

// operatorFiles speak to whoever runs the bot (its command line and
// logs), who reads English; people in Discord never see their texts.
var operatorFiles = map[string]string{
	"gateway.go":   "why Discord refused the gateway, for the operator's terminal",
	"retry.go":     "transport errors, logged",
	"ratelimit.go": "transport errors, logged",
	"client.go":    "the User-Agent",
	"liblog.go":    "discordgo's log lines",
	// Not an operator's file, but its literals are the domain's English
	// formats, the keys to their catalog messages (TestDomainErrorKeys).
	"errors_i18n.go": "the domain's error formats, looked up, never shown",
}

// quietCalls are the calls whose string arguments people never see.
var quietCalls = map[string]bool{
	"Debug": true, "Info": true, "Warn": true, "Error": true, "With": true, "Log": true, "LogAttrs": true,
	"Errorf": true, "New": true, "Sprint": true, "panic": true,
	"nonceKey": true, "Fatalf": true, "String": true, "Int": true, "Bool": true,
	"Command": true, "SlowCommand": true, "Autocomplete": true, // a route's command path ("circle post"), which Discord routes by
}

// literalAllowlist holds the prose literals that are not user-facing
// text, each with why.
var literalAllowlist = map[string]string{
	"Flag to facilitators":  "the message command's name, which Discord routes by; its shown name is localized in Commands",
	"circlebot ref c%d s%d": "the marker the bot finds its own scheduled events by (IDs only), never translated",
	"circlebot ref c%d s":   "the marker the bot finds its own scheduled events by (IDs only), never translated",
	"circlebot ref ":        "the marker the bot finds its own scheduled events by (IDs only), never translated",
}

// literalsPending are files not yet moved to the catalogs: their texts are
// still English in every language. Shrink this list; never grow it.
var literalsPending = map[string]bool{}

func TestNoUserFacingLiterals(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := map[string][]string{}
	for _, name := range files {
		if _, ok := operatorFiles[name]; ok || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		quiet := map[ast.Node]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
					// circles.Errorf makes a refusal people read: not quiet
					// (say it with lerr and a catalog key).
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "circles" && name == "Errorf" {
						name = ""
					}
				}
				if quietCalls[name] {
					for _, a := range n.Args {
						quiet[a] = true
					}
				}
			case *ast.Field: // struct tags
				if n.Tag != nil {
					quiet[n.Tag] = true
				}
			case *ast.ImportSpec:
				quiet[n.Path] = true
			}
			return true
		})
		var inspect func(n ast.Node) bool
		inspect = func(n ast.Node) bool {
			if n == nil {
				return false
			}
			if quiet[n] {
				return false
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if _, ok := literalAllowlist[s]; ok || keyRE.MatchString(s) || strings.HasPrefix(s, "http") {
				return true
			}
			if proseRE.MatchString(s) || hasEmoji(s) {
				found[name] = append(found[name], fset.Position(lit.Pos()).String()+": "+strconv.Quote(truncate(s, 70)))
			}
			return true
		}
		ast.Inspect(f, inspect)
	}
	var names []string
	for name := range found {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if literalsPending[name] {
			continue
		}
		t.Errorf("%s has user-facing text outside the catalogs:\n  %s", name, strings.Join(found[name], "\n  "))
	}
	for name := range literalsPending {
		if len(found[name]) == 0 {
			t.Errorf("%s is done: take it off literalsPending", name)
		}
	}
}

// hasEmoji reports an emoji with words: an emoji alone ("⚠️ ") is the
// same in every language.
func hasEmoji(s string) bool {
	if !strings.ContainsFunc(s, unicode.IsLetter) {
		return false
	}
	for _, r := range s {
		if r >= 0x2190 && (unicode.Is(unicode.So, r) || r >= 0x1F000) {
			return true
		}
	}
	return false
}

// sourceFile is one parsed non-test Go file.
type sourceFile struct {
	name string // as globbed ("round.go", "../circles/rule.go")
	file *ast.File
}

// parseSources parses the non-test Go files of dirs ("." for this
// package), with one file set for their positions.
func parseSources(t *testing.T, dirs ...string) ([]sourceFile, *token.FileSet) {
	t.Helper()
	fset := token.NewFileSet()
	var out []sourceFile
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, sourceFile{name, f})
		}
	}
	return out, fset
}
