package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// `circlebot version` and `circlebot --version` print the same line.
func TestCLIVersionFlag(t *testing.T) {
	t.Parallel()
	_, want, _ := cli(t, "version")
	for _, arg := range []string{"--version", "-version"} {
		if code, out, errOut := cli(t, arg); code != exitOK || out != want || errOut != "" {
			t.Errorf("%s: exit %d, stdout %q (version says %q), stderr %q", arg, code, out, want, errOut)
		}
	}
}

func TestVersionLine(t *testing.T) {
	t.Parallel()
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	if got, want := readBuildInfo(bi, true).String(), "circlebot v1.2.0 (revision 0123abcd, 2026-12-01T10:00:00Z, with uncommitted changes) go1.26.8"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	bi = &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}} // go install …@v1.2.0
	if got, want := readBuildInfo(bi, true).String(), "circlebot v1.2.0 go1.26.8"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := readBuildInfo(nil, false).String(); !strings.HasPrefix(got, "circlebot (devel) go") {
		t.Errorf("without build info: %q", got)
	}
}

// The flag list spells flags as the usage line does: --config FILE.
func TestCLIFlagsSpelledAsInUsage(t *testing.T) {
	t.Parallel()
	_, out, _ := cli(t, "backup", "--help")
	wantIn(t, "backup --help", out, "Usage: circlebot backup --config FILE --to PATH", "\n  --config FILE\n", "\n  --to PATH\n")
	if strings.Contains(out, "\n  -config") {
		t.Errorf("the flag list spells -config with one dash:\n%s", out)
	}
	_, out, _ = cli(t, "demo", "--help")
	wantIn(t, "demo --help", out, "\n  --keep\n")
}
