package main

import (
	"bufio"
	"os"
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
