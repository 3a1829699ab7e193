package discordurl

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// stringVars gives the test access to discordgo's endpoint string
// variables by name. TestRedirect fails if discordgo's source declares a
// string variable derived from EndpointDiscord/EndpointAPI that is missing
// here, so a discordgo upgrade can't add an endpoint Redirect forgets.
var stringVars = map[string]*string{
	"EndpointDiscord":            &discordgo.EndpointDiscord,
	"EndpointAPI":                &discordgo.EndpointAPI,
	"EndpointGuilds":             &discordgo.EndpointGuilds,
	"EndpointChannels":           &discordgo.EndpointChannels,
	"EndpointUsers":              &discordgo.EndpointUsers,
	"EndpointGateway":            &discordgo.EndpointGateway,
	"EndpointGatewayBot":         &discordgo.EndpointGatewayBot,
	"EndpointWebhooks":           &discordgo.EndpointWebhooks,
	"EndpointStickers":           &discordgo.EndpointStickers,
	"EndpointStageInstances":     &discordgo.EndpointStageInstances,
	"EndpointSKUs":               &discordgo.EndpointSKUs,
	"EndpointVoice":              &discordgo.EndpointVoice,
	"EndpointVoiceRegions":       &discordgo.EndpointVoiceRegions,
	"EndpointNitroStickersPacks": &discordgo.EndpointNitroStickersPacks,
	"EndpointGuildCreate":        &discordgo.EndpointGuildCreate,
	"EndpointApplications":       &discordgo.EndpointApplications,
	"EndpointOAuth2":             &discordgo.EndpointOAuth2,
	"EndpointOAuth2Applications": &discordgo.EndpointOAuth2Applications,
	"EndpointOauth2":             &discordgo.EndpointOauth2,
	"EndpointOauth2Applications": &discordgo.EndpointOauth2Applications,
}

// apiDerivedVars parses discordgo's source in the module cache and returns
// the package-level string variables whose value is built, directly or
// through other variables, from EndpointDiscord or EndpointAPI (those two
// included). CDN and status-page URLs are not derived from them and are
// not part of the API. Function-valued endpoints read the strings at call
// time, so they need no redirecting of their own.
func apiDerivedVars(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/bwmarrin/discordgo").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("cannot find discordgo's module directory (go list -m: %v); the completeness check needs its source", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "endpoints.go")); err != nil {
		t.Skipf("discordgo's source is not in the module cache (%v); run go mod download", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	fset := token.NewFileSet()
	exprs := map[string]ast.Expr{} // package-level var -> its initialiser
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						exprs[n.Name] = vs.Values[i]
					}
				}
			}
		}
	}
	if _, ok := exprs["EndpointAPI"]; !ok {
		t.Fatalf("no EndpointAPI declared in %s: has discordgo changed how it builds URLs?", dir)
	}

	// isString: a string literal, a + of strings, or a string variable.
	var isString func(e ast.Expr, seen map[string]bool) bool
	isString = func(e ast.Expr, seen map[string]bool) bool {
		switch x := e.(type) {
		case *ast.BasicLit:
			return x.Kind == token.STRING
		case *ast.ParenExpr:
			return isString(x.X, seen)
		case *ast.BinaryExpr:
			return x.Op == token.ADD && (isString(x.X, seen) || isString(x.Y, seen))
		case *ast.Ident:
			v, ok := exprs[x.Name]
			if !ok || seen[x.Name] {
				return false
			}
			seen[x.Name] = true
			return isString(v, seen)
		}
		return false // func literals, calls, composite literals…
	}
	// derives: the expression mentions a root, directly or through variables.
	var derives func(e ast.Expr, seen map[string]bool) bool
	derives = func(e ast.Expr, seen map[string]bool) bool {
		found := false
		ast.Inspect(e, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok || found {
				return !found
			}
			if id.Name == "EndpointDiscord" || id.Name == "EndpointAPI" {
				found = true
			} else if v, ok := exprs[id.Name]; ok && !seen[id.Name] {
				seen[id.Name] = true
				found = derives(v, seen)
			}
			return !found
		})
		return found
	}
	var names []string
	for name, e := range exprs {
		if !isString(e, map[string]bool{}) {
			continue
		}
		if name == "EndpointDiscord" || derives(e, map[string]bool{name: true}) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// The test mutates process globals, so it is not parallel and restores the
// original values afterwards.
func TestRedirect(t *testing.T) {
	derived := apiDerivedVars(t)
	for _, name := range derived {
		if stringVars[name] == nil {
			t.Errorf("discordgo declares %s, derived from its API base: redirect it in Redirect and list it in stringVars", name)
		}
	}
	for name := range stringVars {
		if !slices.Contains(derived, name) {
			t.Errorf("stringVars lists %s, which discordgo no longer derives from its API base", name)
		}
	}
	// The parse must have found what we know is there, or it's broken.
	for _, name := range []string{"EndpointDiscord", "EndpointAPI", "EndpointOauth2Applications", "EndpointVoiceRegions"} {
		if !slices.Contains(derived, name) {
			t.Errorf("source parse missed %s (found %v)", name, derived)
		}
	}

	orig := discordgo.EndpointAPI
	origVersion := discordgo.APIVersion
	t.Cleanup(func() {
		if err := Redirect(orig); err != nil {
			t.Fatal(err)
		}
		discordgo.APIVersion = origVersion
	})

	base := "http://127.0.0.1:1234/api/v10/"
	if err := Redirect(strings.TrimSuffix(base, "/")); err != nil {
		t.Fatal(err)
	}
	if discordgo.APIVersion != "10" {
		t.Errorf("APIVersion = %q, want 10", discordgo.APIVersion)
	}
	if Current() != base {
		t.Errorf("Current() = %q, want %q", Current(), base)
	}
	for _, name := range derived {
		p := stringVars[name]
		if p == nil {
			continue
		}
		if !strings.HasPrefix(*p, "http://127.0.0.1:1234/") || strings.Contains(*p, "discord.com") {
			t.Errorf("%s = %q not redirected", name, *p)
		}
	}
	urls := []string{
		discordgo.EndpointChannel("1"),
		discordgo.EndpointChannelMessages("1"),
		discordgo.EndpointChannelMessagePin("1", "2"),
		discordgo.EndpointChannelPermission("1", "2"),
		discordgo.EndpointApplicationGlobalCommands("a"),
		discordgo.EndpointApplicationGuildCommand("a", "g", "c"),
		discordgo.EndpointInteractionResponse("i", "tok"),
		discordgo.EndpointInteractionResponseActions("a", "tok"),
		discordgo.EndpointFollowupMessage("a", "tok"),
		discordgo.EndpointWebhookMessage("w", "tok", "m"),
		discordgo.EndpointUserChannels("@me"),
		discordgo.EndpointUserGuild("@me", "g"),
		discordgo.EndpointGuildChannels("g"),
		discordgo.EndpointGuildMember("g", "u"),
		discordgo.EndpointOAuth2Application("@me"),
		discordgo.EndpointOauth2Application("@me"),
		discordgo.EndpointApplication("@me"),
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, base) {
			t.Errorf("%q does not start with %q", u, base)
		}
	}
	if got, want := discordgo.EndpointInteractionResponse("i", "tok"), base+"interactions/i/tok/callback"; got != want {
		t.Errorf("EndpointInteractionResponse = %q, want %q", got, want)
	}
	if got, want := discordgo.EndpointGatewayBot, base+"gateway/bot"; got != want {
		t.Errorf("EndpointGatewayBot = %q, want %q", got, want)
	}
	if got := discordgo.EndpointDiscord; got != "http://127.0.0.1:1234/" {
		t.Errorf("EndpointDiscord = %q", got)
	}
}

func TestRedirectRejectsRelative(t *testing.T) {
	if err := Redirect("api/v10"); err == nil {
		t.Fatal("want error for relative URL")
	}
}

// Configure with a gateway URL answers the session's GET /gateway itself,
// whatever the API would say, and passes every other request through.
func TestConfigureGateway(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/gateway") {
			_, _ = io.WriteString(w, `{"url":"wss://gateway.example.invalid"}`)
			return
		}
		_, _ = io.WriteString(w, `{"id":"42","username":"bot"}`)
	}))
	t.Cleanup(api.Close)

	for _, bad := range []string{"http://127.0.0.1/gateway", "gateway", "ws://"} {
		dg, _ := discordgo.New("Bot x")
		if err := Configure(dg, "", bad); err == nil {
			t.Errorf("Configure accepted gateway %q", bad)
		}
	}

	dg, _ := discordgo.New("Bot x")
	shared := dg.Client
	if err := Configure(dg, "", "ws://127.0.0.1:9/gateway/override"); err != nil {
		t.Fatal(err)
	}
	if shared.Transport != nil {
		t.Error("Configure changed the http.Client it was given instead of a copy")
	}
	get := func(url string) string {
		t.Helper()
		b, err := dg.Request("GET", url, nil)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := get(api.URL + "/api/v10/gateway"); !strings.Contains(got, "ws://127.0.0.1:9/gateway/override") {
		t.Errorf("GET /gateway = %s, want the override", got)
	}
	if got := get(api.URL + "/api/v10/users/@me"); !strings.Contains(got, `"id":"42"`) {
		t.Errorf("other requests must reach the API: %s", got)
	}

	// Without a gateway URL the API's answer stands.
	plain, _ := discordgo.New("Bot x")
	if err := Configure(plain, "", ""); err != nil {
		t.Fatal(err)
	}
	b, err := plain.Request("GET", api.URL+"/api/v10/gateway", nil)
	if err != nil || !strings.Contains(string(b), "gateway.example.invalid") {
		t.Errorf("GET /gateway without override = %s, %v", b, err)
	}
}
