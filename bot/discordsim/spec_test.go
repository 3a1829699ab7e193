package discordsim

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The route list is derived from Discord's OpenAPI spec only when asked:
//
//	go test ./bot/discordsim -run TestSpecRoutes -update
//
// Tests never read the spec itself, so they pass on a fresh clone.
var update = flag.Bool("update", false, "regenerate testdata/discord-routes.txt from the OpenAPI spec")

const (
	specCommit = "74fda0fad044407ea280043a03ffc9bc64c4e49e"
	routesFile = "testdata/discord-routes.txt"
)

func specPath() string {
	if p := os.Getenv("DISCORD_API_SPEC"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "discord-api-spec", "openapi.json")
}

func generateRoutes(t *testing.T) {
	b, err := os.ReadFile(specPath())
	if err != nil {
		t.Fatalf("read spec: %v", err)
	}
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for path, ops := range spec.Paths {
		for m := range ops {
			switch m {
			case "get", "post", "put", "patch", "delete":
				lines = append(lines, strings.ToUpper(m)+" "+path)
			}
		}
	}
	sort.Strings(lines)
	out := "# Discord REST routes (METHOD /path/template), generated from\n" +
		"# discord/discord-api-spec specs/openapi.json at commit " + specCommit + ".\n" +
		"# Regenerate: go test ./bot/discordsim -run TestSpecRoutes -update\n" +
		strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(routesFile, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

var paramRE = regexp.MustCompile(`\{[^}]*\}`)

// normalise erases parameter names: {channel_id} and {id} compare equal.
func normalise(route string) string { return paramRE.ReplaceAllString(route, "{}") }

// TestSpecRoutes checks that every route the simulator serves exists in
// Discord's spec with the same method.
func TestSpecRoutes(t *testing.T) {
	if *update {
		generateRoutes(t)
	}
	f, err := os.Open(routesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]bool{}
	sc := bufio.NewScanner(f)
	header := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			header = header || strings.Contains(line, specCommit)
			continue
		}
		if line != "" {
			known[normalise(line)] = true
		}
	}
	if !header {
		t.Errorf("%s does not name spec commit %s", routesFile, specCommit)
	}
	if len(known) < 100 {
		t.Fatalf("only %d routes in %s", len(known), routesFile)
	}
	for _, r := range Routes() {
		if !known[normalise(r)] {
			t.Errorf("served route %q is not in Discord's spec", r)
		}
	}
}
