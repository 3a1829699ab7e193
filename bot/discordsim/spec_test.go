package discordsim

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	specCommit = SpecCommit
	routesFile = "testdata/discord-routes.txt"
)

func specPath() string {
	if p := os.Getenv("DISCORD_API_SPEC"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "discord-api-spec", "openapi.json")
}

// specOp is one operation of the spec as the derived list records it.
type specOp struct {
	op         string
	deprecated bool
}

// isDeprecated says whether the spec marks an operation deprecated: with
// deprecated: true, or — the only way the spec at specCommit marks any —
// with an operationId that starts "deprecated_" (the old pin routes, which
// Discord's docs call deprecated).
func isDeprecated(operationID string, flag bool) bool {
	return flag || strings.HasPrefix(operationID, "deprecated_")
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
		for m, raw := range ops {
			switch m {
			case "get", "post", "put", "patch", "delete":
			default:
				continue
			}
			var op struct {
				OperationID string `json:"operationId"`
				Deprecated  bool   `json:"deprecated"`
			}
			if err := json.Unmarshal(raw, &op); err != nil || op.OperationID == "" {
				t.Fatalf("%s %s: no operationId (%v)", m, path, err)
			}
			line := strings.ToUpper(m) + " " + path + " " + op.OperationID
			if isDeprecated(op.OperationID, op.Deprecated) {
				line += " deprecated"
			}
			lines = append(lines, line)
		}
	}
	sort.Strings(lines)
	out := "# Discord REST operations, generated from\n" +
		"# discord/discord-api-spec specs/openapi.json at commit " + specCommit + ".\n" +
		"# One per line: METHOD /path/template operationId, then \"deprecated\" when the\n" +
		"# spec marks the operation deprecated (deprecated: true, or an operationId\n" +
		"# starting \"deprecated_\", which is how this spec marks them).\n" +
		"# Regenerate: go test ./bot/discordsim -run TestSpecRoutes -update\n" +
		strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(routesFile, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

var paramRE = regexp.MustCompile(`\{[^}]*\}`)

// normalise erases parameter names: {channel_id} and {id} compare equal.
func normalise(route string) string { return paramRE.ReplaceAllString(route, "{}") }

// readSpecRoutes reads the derived list: "METHOD /template" (names
// normalised) -> operation.
func readSpecRoutes(t *testing.T) map[string]specOp {
	f, err := os.Open(routesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]specOp{}
	sc := bufio.NewScanner(f)
	header := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			header = header || strings.Contains(line, specCommit)
			continue
		}
		if line == "" {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 || len(fields) > 4 || (len(fields) == 4 && fields[3] != "deprecated") {
			t.Fatalf("%s: bad line %q", routesFile, line)
		}
		known[normalise(fields[0]+" "+fields[1])] = specOp{op: fields[2], deprecated: len(fields) == 4}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !header {
		t.Errorf("%s does not name spec commit %s", routesFile, specCommit)
	}
	if len(known) < 100 {
		t.Fatalf("only %d routes in %s", len(known), routesFile)
	}
	return known
}

// TestSpecRoutes checks that every route the simulator serves exists in
// Discord's spec with the same method, and that the operationId and
// deprecation routeTable gives it are the spec's, exactly.
func TestSpecRoutes(t *testing.T) {
	if *update {
		generateRoutes(t)
	}
	known := readSpecRoutes(t)
	deprecated := 0
	for _, rt := range routeTable {
		r := rt.method + " " + rt.tmpl
		want, ok := known[normalise(r)]
		if !ok {
			t.Errorf("served route %q is not in Discord's spec", r)
			continue
		}
		if rt.op != want.op || rt.deprecated != want.deprecated {
			t.Errorf("%s: routeTable has operation %q deprecated=%v, the spec %q deprecated=%v", r, rt.op, rt.deprecated, want.op, want.deprecated)
		}
		if rt.deprecated {
			deprecated++
		}
	}
	if deprecated == 0 {
		t.Error("no served route is deprecated: the old pin routes are")
	}
}

func servedCount(op string) (int, bool) {
	for _, u := range OperationsServed() {
		if u.Operation == op {
			return u.Count, u.Deprecated
		}
	}
	return 0, false
}

// TestDeprecatedCallsAreReported: deprecated operations are still served,
// but each call is flagged on its Request, counted in Stats.Deprecated and
// recorded process-wide for a TestMain to fail on.
func TestDeprecatedCallsAreReported(t *testing.T) {
	t.Parallel()
	for _, ver := range []string{"v9", "v10"} {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			e := newRawEnv(t, ver, Options{}, false)
			before, _ := servedCount("deprecated_list_pins")
			e.must(200, "GET", "/channels/"+e.general+"/messages/pins", nil)
			e.must(200, "GET", "/channels/"+e.general+"/pins", nil)
			rs := e.Requests()
			if rs[0].Operation != "list_pins" || rs[0].Deprecated || rs[1].Operation != "deprecated_list_pins" || !rs[1].Deprecated {
				t.Errorf("requests %+v", rs)
			}
			if st := e.Stats(); st.Deprecated != 1 {
				t.Errorf("stats %+v", st)
			}
			if n, dep := servedCount("deprecated_list_pins"); n < before+1 || !dep {
				t.Errorf("OperationsServed: deprecated_list_pins %d (was %d), deprecated %v", n, before, dep)
			}
			if _, dep := servedCount("list_pins"); dep {
				t.Error("list_pins reported deprecated")
			}
			ds := DeprecatedOperationsServed()
			if i := slices.IndexFunc(ds, func(u OperationUse) bool { return u.Operation == "deprecated_list_pins" }); i < 0 ||
				ds[i].Method != "GET" || ds[i].Route != "/channels/{channel_id}/pins" || slices.ContainsFunc(ds, func(u OperationUse) bool { return !u.Deprecated }) {
				t.Errorf("DeprecatedOperationsServed %+v", ds)
			}
		})
	}
}
