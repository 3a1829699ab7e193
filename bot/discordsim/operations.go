package discordsim

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// SpecCommit is the commit of discord/discord-api-spec the simulator's
// routes, operation IDs and deprecation marks come from
// (testdata/discord-routes.txt).
const SpecCommit = "74fda0fad044407ea280043a03ffc9bc64c4e49e"

// CheckOperationsServed is for a test binary's TestMain, after its tests
// ran: it fails if the process's simulators served an operation Discord's
// spec marks deprecated, or one the record at path doesn't list. The
// record lists the spec operations circlebot uses, one per line
// ("operationId METHOD /route"), under a header naming SpecCommit. With
// update, the operations served are added to the record instead (it is
// created if need be), so that the record only grows by a deliberate run.
func CheckOperationsServed(path string, update bool) error {
	served := OperationsServed()
	var errs []error
	for _, u := range served {
		if u.Deprecated {
			errs = append(errs, fmt.Errorf("%s %s (%s) is deprecated in Discord's spec, and was called %d times", u.Method, u.Route, u.Operation, u.Count))
		}
	}
	recorded, err := readOperations(path)
	if err != nil && !(update && errors.Is(err, os.ErrNotExist)) {
		return errors.Join(append(errs, err)...)
	}
	var added []string
	for _, u := range served {
		line := u.Operation + " " + u.Method + " " + u.Route
		if slices.Contains(recorded, line) {
			continue
		}
		if !update {
			errs = append(errs, fmt.Errorf("%s is called but not recorded in %s (go test ./bot -run . -update-operations adds it)", line, path))
			continue
		}
		added = append(added, line)
	}
	if update && len(added) > 0 {
		all := append(recorded, added...)
		slices.Sort(all)
		out := "# Discord REST operations circlebot calls (operationId METHOD /route), from\n" +
			"# discord/discord-api-spec at commit " + SpecCommit + ",\n" +
			"# as the simulator served them over the tests of bot, demo and main.\n" +
			"# None may be deprecated. Add new ones: go test ./bot -run . -update-operations\n" +
			strings.Join(all, "\n") + "\n"
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// AfterTests is what a TestMain returns after m.Run gave code: code, or 1
// when CheckOperationsServed fails (its error on stderr).
//
//	func TestMain(m *testing.M) { os.Exit(discordsim.AfterTests(m.Run(), "testdata/…", false)) }
func AfterTests(code int, path string, update bool) int {
	if err := CheckOperationsServed(path, update); err != nil {
		fmt.Fprintf(os.Stderr, "Discord operations:\n%v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// MoreParallel is for a TestMain, after flag.Parse: tests against the
// simulator spend their time waiting — on loopback, and a second in each
// discordgo Close — not computing, so it lets more of them run side by
// side than there are CPUs (8), unless -parallel was given.
func MoreParallel() {
	f := flag.Lookup("test.parallel")
	if f != nil && f.Value.String() == strconv.Itoa(runtime.GOMAXPROCS(0)) {
		_ = flag.Set("test.parallel", strconv.Itoa(max(8, runtime.GOMAXPROCS(0))))
	}
}

// readOperations reads a record of operations, checking its header names
// SpecCommit.
func readOperations(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	header := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#"):
			header = header || strings.Contains(line, SpecCommit)
		case line != "":
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !header {
		return out, fmt.Errorf("%s does not name spec commit %s", path, SpecCommit)
	}
	return out, nil
}
