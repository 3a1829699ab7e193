package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	return lines
}

// The Dockerfile builds with the module's Go, and its runtime image is the
// Debian release its build stage links glibc against.
func TestDockerfileMatchesModule(t *testing.T) {
	t.Parallel()
	var goVersion string
	for _, l := range readLines(t, "go.mod") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			goVersion = v
		}
		if v, ok := strings.CutPrefix(l, "toolchain go"); ok {
			goVersion = v // a toolchain line says which Go builds it
		}
	}
	var arg string
	var froms []string
	for _, l := range readLines(t, "Dockerfile") {
		if v, ok := strings.CutPrefix(l, "ARG GO_VERSION="); ok {
			arg = v
		}
		if strings.HasPrefix(l, "FROM ") {
			froms = append(froms, l)
		}
	}
	if arg == "" || arg != goVersion {
		t.Errorf("Dockerfile builds with Go %q (ARG GO_VERSION), go.mod says %q", arg, goVersion)
	}
	if len(froms) != 2 {
		t.Fatalf("want a build and a runtime stage, got %q", froms)
	}
	build := regexp.MustCompile(`^FROM golang:\$\{GO_VERSION\}-(\w+) AS build$`).FindStringSubmatch(froms[0])
	runtime := regexp.MustCompile(`^FROM gcr\.io/distroless/base-debian(\d+):nonroot$`).FindStringSubmatch(froms[1])
	if build == nil || runtime == nil {
		t.Fatalf("stages %q: want golang:${GO_VERSION}-<debian> AS build, then distroless/base-debian<N>:nonroot", froms)
	}
	releases := map[string]string{"bookworm": "12", "trixie": "13", "forky": "14"}
	if releases[build[1]] != runtime[1] {
		t.Errorf("built on Debian %s, run on Debian %s: the glibc the binary links must be the runtime's", build[1], runtime[1])
	}
}

// The systemd unit runs a command circlebot has, sandboxed, with its
// database in the state directory, and stops it with SIGTERM.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	settings := map[string]string{}
	for _, l := range readLines(t, "docs/deploy/circlebot.service") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			settings[k] = v
		}
	}
	for k, want := range map[string]string{
		"NoNewPrivileges":  "yes",
		"ProtectSystem":    "strict",
		"StateDirectory":   "circlebot",
		"WorkingDirectory": "/var/lib/circlebot",
		"KillSignal":       "SIGTERM",
		"User":             "circlebot",
	} {
		if settings[k] != want {
			t.Errorf("%s=%q, want %q", k, settings[k], want)
		}
	}
	args := strings.Fields(settings["ExecStart"])
	if len(args) < 2 || args[0] != "/usr/local/bin/circlebot" {
		t.Fatalf("ExecStart=%q", settings["ExecStart"])
	}
	found := false
	for _, c := range commands {
		found = found || c.name == args[1]
	}
	if !found {
		t.Errorf("ExecStart runs %q, which is not a circlebot command", args[1])
	}
}

// systemd itself reads both units without a complaint (systemd-analyze
// verify: unknown or misspelt settings, bad values, a command that isn't
// there), and rates their sandbox as well exposed at most 2.5 on its scale
// of 10 (systemd-analyze security). Skipped where systemd-analyze isn't
// installed.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	t.Parallel()
	self, err := os.Executable() // any executable stands in for /usr/local/bin/circlebot
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for src, name := range map[string]string{
		"docs/deploy/circlebot.service":  "circlebot.service",
		"docs/deploy/circlebot@.service": "circlebot@a.service", // an instance of the template
	} {
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		unit := filepath.Join(dir, name)
		if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(raw), "/usr/local/bin/circlebot", self)), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", src, err, out)
		}
		if out, err := exec.Command(analyze, "security", "--offline=yes", "--threshold=25", unit).CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze security %s: the sandbox is rated above 2.5 (%v):\n%s", src, err, lastLines(string(out), 3))
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
