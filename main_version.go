package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is set by -ldflags "-X main.version=…" (the Dockerfile does,
// from its VERSION build argument); otherwise it is the module version Go
// recorded in the binary.
var version = ""

// buildInfo is what `circlebot version` prints about the binary.
type buildInfo struct {
	Version  string // v1.2.3, a pseudo-version, or (devel)
	Revision string // VCS commit, "" when not built from a checkout
	Time     string // commit time, RFC 3339
	Modified bool   // built from a checkout with uncommitted changes
	Go       string // toolchain
}

// readBuildInfo reads the version and VCS stamp Go embeds in every binary
// (`go build` in a checkout records vcs.revision; `go install …@v1.2.3`
// records the module version).
func readBuildInfo(bi *debug.BuildInfo, ok bool) buildInfo {
	info := buildInfo{Version: version, Go: runtime.Version()}
	if !ok {
		if info.Version == "" {
			info.Version = "(devel)"
		}
		return info
	}
	if info.Version == "" {
		info.Version = bi.Main.Version
	}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	if bi.GoVersion != "" {
		info.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is the one line `circlebot version` prints, such as
// "circlebot v1.2.0 (revision 0123abcd…, 2026-12-01T10:00:00Z) go1.26.8".
func (b buildInfo) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "circlebot %s", b.Version)
	if b.Revision != "" {
		s.WriteString(" (revision ")
		s.WriteString(b.Revision)
		if b.Time != "" {
			s.WriteString(", " + b.Time)
		}
		if b.Modified {
			s.WriteString(", with uncommitted changes")
		}
		s.WriteString(")")
	}
	s.WriteString(" " + b.Go)
	return s.String()
}

func cmdVersion(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	if code, done := parse(fs, args, stdout); done {
		return code
	}
	fmt.Fprintln(stdout, readBuildInfo(debug.ReadBuildInfo()))
	return exitOK
}

// printFlags lists fs's flags the way the usage lines spell them, with two
// dashes ("--config FILE"); Go's flag package takes one or two alike.
func printFlags(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(fs.Output(), "%s\n    \t%s\n", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
	})
}
