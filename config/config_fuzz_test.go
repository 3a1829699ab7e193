package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// Load on any bytes, written to a file as an operator would: it never
// panics, every error names the file, a value under a key that looks like
// a token is never echoed, and what loads is valid. The seed corpus runs
// with every go test; to fuzz longer see docs/SIMULATOR.md, Contributing.
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile("../config.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	for _, s := range []string{
		"", "[", "[discord]\napplication_id = 12", "[discord]\ntoken = \"secret-token-value\"", "bot_token = \"secret-token-value\"",
		"[discord.token]\nx = \"secret-token-value\"", "[[discord]]\n", "discord = 1", "[Discord]\n", "[defaults]\ncapacity = 9223372036854775807",
		"[defaults]\ntimezone = \"../../etc/passwd\"", "[defaults]\ntimezone = \"Local\"", "[schedule]\nlate_open_grace = 15", "[schedule]\nlate_open_grace = \"-1h\"",
		"[discord]\nguild_ids = [1, \"2\"]", "[discord]\nguild_ids = [[\"1\"]]", "[log]\nlevel = 1979-05-27T07:32:00Z", "[data]\npath = \"\"\n[data]\npath = \"x\"",
		"a.b.c.d = 1", "\"\\n\" = 1", "[discord]\n\"api\\nurl\" = \"x\"", "\xff\xfe", "[defaults]\ntimezone = \"\\u0000\"",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "circlebot.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err == nil {
			if c.Path != path {
				t.Fatalf("loaded with Path %q, want %q", c.Path, path)
			}
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Load accepted a configuration Validate refuses: %v", verr)
			}
			return
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, path) {
			t.Fatalf("error doesn't name the file %s: %v", path, err)
		}
		for _, p := range Problems(err) {
			if p.File != path || p.Key == "" || p.Msg == "" || !strings.HasPrefix(p.Error(), path+": ") {
				t.Fatalf("problem %#v in %v", p, err)
			}
		}
		var tree map[string]any
		if _, derr := toml.Decode(string(data), &tree); derr == nil {
			for _, secret := range tokenValues(tree, false) {
				if len(secret) >= 8 && strings.Contains(msg, secret) {
					t.Fatalf("error echoes %q, the value of a token key: %v", secret, err)
				}
			}
		}
	})
}

// tokenValues lists the strings held, at any depth, under keys that
// contain "token" (or inside such a key's table or list).
func tokenValues(v any, under bool) []string {
	var out []string
	switch v := v.(type) {
	case string:
		if under {
			out = append(out, v)
		}
	case map[string]any:
		for k, x := range v {
			out = append(out, tokenValues(x, under || strings.Contains(strings.ToLower(k), "token"))...)
		}
	case []any:
		for _, x := range v {
			out = append(out, tokenValues(x, under)...)
		}
	case []map[string]any:
		for _, x := range v {
			out = append(out, tokenValues(x, under)...)
		}
	}
	return out
}
