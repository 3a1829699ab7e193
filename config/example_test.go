package config

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

const examplePath = "../config.example.toml"

// The example file is the documentation of the configuration; these tests
// keep it from drifting from the code.
func TestExampleIsDefault(t *testing.T) {
	got, err := load(examplePath, func(string) string { return "" })
	if err != nil {
		t.Fatalf("config.example.toml does not load:\n%v", err)
	}
	want := Default()
	// Documented differences: only where it was loaded from.
	want.Path = examplePath
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config.example.toml differs from Default():\n got  %#v\n want %#v", got, want)
	}
}

func TestExampleListsAndDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	md, err := toml.Decode(string(data), &tree)
	if err != nil {
		t.Fatal(err)
	}
	_, keys := schema()
	for _, k := range keys {
		if !md.IsDefined(k.section, k.name) {
			t.Errorf("config.example.toml does not set %s", k)
		}
	}

	// Each key line is preceded by its comment, and the comment block above
	// it states the default.
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		name, _, _ := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		var comment []string
		for j := i - 1; j >= 0 && strings.HasPrefix(strings.TrimSpace(lines[j]), "#"); j-- {
			comment = append(comment, lines[j])
		}
		if len(comment) == 0 {
			t.Errorf("line %d: %s has no comment above it", i+1, name)
			continue
		}
		if !strings.Contains(strings.Join(comment, "\n"), "Default:") {
			t.Errorf("line %d: the comment above %s does not give its default", i+1, name)
		}
	}
}
