package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/data"
)

// cli runs the command line in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeConfig writes a config file into a temporary directory; data.path
// points into the same directory. extra is appended verbatim.
func writeConfig(t *testing.T, extra string) (cfgPath, dbPath string) {
	t.Helper()
	dir := t.TempDir()
	dbPath = filepath.Join(dir, "circlebot.db")
	cfgPath = filepath.Join(dir, "config.toml")
	toml := fmt.Sprintf("[data]\npath = %q\n%s", dbPath, extra)
	if err := os.WriteFile(cfgPath, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dbPath
}

func wantIn(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s does not mention %q:\n%s", what, p, s)
		}
	}
}

func TestCLIVersion(t *testing.T) {
	t.Parallel()
	code, out, _ := cli(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "circlebot ") {
		t.Fatalf("version: exit %d, output %q", code, out)
	}
}

func TestCLIUsage(t *testing.T) {
	t.Parallel()
	code, out, errOut := cli(t, "frobnicate")
	if code != exitUsage {
		t.Fatalf("unknown command: exit %d, want %d", code, exitUsage)
	}
	if out != "" {
		t.Errorf("usage errors go to stderr, got stdout %q", out)
	}
	wantIn(t, "stderr", errOut, `unknown command "frobnicate"`, "Usage:", "run --config FILE", "check --config FILE", "demo", "migrate", "backup", "invite-url", "version")

	if code, _, errOut := cli(t); code != exitUsage || !strings.Contains(errOut, "Usage:") {
		t.Errorf("no command: exit %d, stderr %q", code, errOut)
	}
	// Usage that was asked for is output, not an error.
	for _, arg := range []string{"--help", "-h", "help"} {
		if code, out, errOut := cli(t, arg); code != exitOK || !strings.Contains(out, "Usage:") || errOut != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want usage on stdout and exit 0", arg, code, out, errOut)
		}
	}
}

// Every command explains itself with --help (or -h) on stdout and exits 0
// without doing anything (no config needed).
func TestCLIHelpOnEachCommand(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, flag := range []string{"--help", "-h"} {
				code, out, errOut := cli(t, c.name, flag)
				if code != exitOK {
					t.Fatalf("%s %s: exit %d\n%s", c.name, flag, code, errOut)
				}
				if errOut != "" {
					t.Errorf("%s %s wrote to stderr: %q", c.name, flag, errOut)
				}
				wantIn(t, c.name+" "+flag+" stdout", out, "Usage: circlebot "+c.usage, c.help)
				if strings.Contains(c.usage, "--config") {
					wantIn(t, c.name+" "+flag+" stdout", out, "-config")
				}
			}
		})
	}
	// An unknown flag is a usage error: message and usage on stderr, exit 2.
	code, out, errOut := cli(t, "migrate", "--frobnicate")
	if code != exitUsage || out != "" {
		t.Errorf("unknown flag: exit %d, stdout %q", code, out)
	}
	wantIn(t, "unknown flag stderr", errOut, "frobnicate", "Usage: circlebot migrate")
}

func TestCLIRunWithoutToken(t *testing.T) {
	t.Setenv("DISCORD_TOKEN", "")
	cfg, db := writeConfig(t, "")
	code, _, errOut := cli(t, "run", "--config", cfg)
	if code != exitUsage {
		t.Fatalf("run without a token: exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	wantIn(t, "stderr", errOut, "DISCORD_TOKEN", "is not set")
	if _, err := os.Stat(db); err == nil {
		t.Error("run created a database although it refused to start")
	}
}

func TestCLIRunWithoutConfig(t *testing.T) {
	t.Parallel()
	code, _, errOut := cli(t, "run")
	if code != exitUsage {
		t.Fatalf("run without --config: exit %d, want %d", code, exitUsage)
	}
	wantIn(t, "stderr", errOut, "--config FILE is required", "config.example.toml")
}

func TestCLIBadConfigNamesFileAndKey(t *testing.T) {
	t.Setenv("DISCORD_TOKEN", "not-a-real-token")
	cfg, db := writeConfig(t, "\n[defaults]\ncapacty = 8\n")
	code, _, errOut := cli(t, "run", "--config", cfg)
	if code != exitUsage {
		t.Fatalf("run with a bad config: exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	wantIn(t, "stderr", errOut, cfg, "defaults.capacty")
	if strings.Contains(errOut, "not-a-real-token") {
		t.Error("the token was printed")
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a database was created although the config was refused")
	}

	// A value out of range names its key too, for every command that reads the config.
	cfg, _ = writeConfig(t, "\n[defaults]\ncapacity = 40\n")
	code, _, errOut = cli(t, "migrate", "--config", cfg)
	if code != exitUsage {
		t.Fatalf("migrate with capacity 40: exit %d, want %d", code, exitUsage)
	}
	wantIn(t, "stderr", errOut, cfg, "defaults.capacity")

	// A missing file is named.
	missing := filepath.Join(t.TempDir(), "nope.toml")
	code, _, errOut = cli(t, "migrate", "--config", missing)
	if code != exitUsage {
		t.Fatalf("migrate with a missing config: exit %d, want %d", code, exitUsage)
	}
	wantIn(t, "stderr", errOut, missing)
}

func TestCLIMigrateAndBackup(t *testing.T) {
	t.Parallel()
	cfg, db := writeConfig(t, "")
	code, out, errOut := cli(t, "migrate", "--config", cfg)
	if code != exitOK {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}
	wantIn(t, "migrate output", out, db, "schema version")
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatalf("migrate created no database: %v", err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("database mode %v, want 0600", mode)
	}
	// Migrating again is a no-op that still succeeds.
	if code, out2, _ := cli(t, "migrate", "--config", cfg); code != exitOK || out2 != out {
		t.Errorf("second migrate: exit %d, output %q (first %q)", code, out2, out)
	}

	copyPath := filepath.Join(t.TempDir(), "copy.db")
	code, out, errOut = cli(t, "backup", "--config", cfg, "--to", copyPath)
	if code != exitOK {
		t.Fatalf("backup: exit %d\n%s", code, errOut)
	}
	wantIn(t, "backup output", out, copyPath)
	fi, err = os.Stat(copyPath)
	if err != nil {
		t.Fatalf("no backup file: %v", err)
	}
	if fi.Size() == 0 {
		t.Error("the backup is empty")
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("backup mode %v, want 0600", mode)
	}
	before, _ := os.ReadFile(copyPath)

	// A second backup to the same path is refused and leaves the copy alone.
	code, _, errOut = cli(t, "backup", "--config", cfg, "--to", copyPath)
	if code == exitOK {
		t.Fatal("a second backup over an existing file succeeded")
	}
	wantIn(t, "stderr", errOut, copyPath, "already exists")
	after, _ := os.ReadFile(copyPath)
	if !bytes.Equal(before, after) {
		t.Error("the refused backup changed the existing file")
	}

	// --to is required; a database that doesn't exist is named.
	if code, _, errOut := cli(t, "backup", "--config", cfg); code != exitUsage || !strings.Contains(errOut, "--to PATH is required") {
		t.Errorf("backup without --to: exit %d, stderr %q", code, errOut)
	}
	cfg2, db2 := writeConfig(t, "")
	code, _, errOut = cli(t, "backup", "--config", cfg2, "--to", filepath.Join(t.TempDir(), "x.db"))
	if code != exitUsage {
		t.Errorf("backup of a missing database: exit %d, want %d", code, exitUsage)
	}
	wantIn(t, "stderr", errOut, db2)
}

// A data.path the database can't be created at is a configuration error:
// named by key and file, exit 2, for every command that opens the database.
func TestCLIBadDataPath(t *testing.T) {
	t.Setenv("DISCORD_TOKEN", "not-a-real-token") // so run gets as far as the database
	dir := t.TempDir()
	readOnly := filepath.Join(dir, "read-only")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, hint string
	}{
		{"missing directory", filepath.Join(dir, "nonexistent", "x.db"), "create the directory"},
		{"a directory", dir, "give a file name inside it"},
		{"unwritable directory", filepath.Join(readOnly, "x.db"), "needs to be able to write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "unwritable directory" && os.Geteuid() == 0 {
				t.Skip("root can write anywhere")
			}
			cfg := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[data]\npath = %q\n", tc.path)), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range []string{"migrate", "run"} {
				code, out, errOut := cli(t, cmd, "--config", cfg)
				if code != exitUsage {
					t.Fatalf("%s: exit %d, want %d\n%s", cmd, code, exitUsage, errOut)
				}
				wantIn(t, cmd+" stderr", errOut, fmt.Sprintf("%s: data.path = %q: cannot create the database: ", cfg, tc.path), tc.hint)
				if out != "" {
					t.Errorf("%s: stdout %q", cmd, out)
				}
			}
		})
	}
}

func TestCLIInviteURL(t *testing.T) {
	t.Parallel()
	cfg, _ := writeConfig(t, "\n[discord]\napplication_id = \"123456789012345678\"\n")
	code, out, errOut := cli(t, "invite-url", "--config", cfg)
	if code != exitOK {
		t.Fatalf("invite-url: exit %d\n%s", code, errOut)
	}
	u, err := url.Parse(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("not a URL: %q", out)
	}
	if u.Scheme != "https" || u.Host != "discord.com" || u.Path != "/oauth2/authorize" {
		t.Errorf("unexpected URL %s", u)
	}
	q := u.Query()
	if got := q.Get("client_id"); got != "123456789012345678" {
		t.Errorf("client_id %q", got)
	}
	if scopes := strings.Fields(q.Get("scope")); len(scopes) != 2 || scopes[0] != "bot" || scopes[1] != "applications.commands" {
		t.Errorf("scope %q, want \"bot applications.commands\"", q.Get("scope"))
	}
	if got, want := q.Get("permissions"), fmt.Sprint(bot.RequiredPermissions); got != want {
		t.Errorf("permissions %s, want %s", got, want)
	}

	cfg, _ = writeConfig(t, "")
	code, _, errOut = cli(t, "invite-url", "--config", cfg)
	if code != exitUsage {
		t.Fatalf("invite-url without application_id: exit %d, want %d", code, exitUsage)
	}
	wantIn(t, "stderr", errOut, "discord.application_id", cfg)
}

func TestCLIDemoRejectsArguments(t *testing.T) {
	t.Parallel()
	code, _, errOut := cli(t, "demo", "extra")
	if code != exitUsage {
		t.Fatalf("demo extra: exit %d, want %d", code, exitUsage)
	}
	wantIn(t, "stderr", errOut, `unexpected argument "extra"`)
}

// A data.path that holds somebody else's SQLite database is a setting to
// fix (exit 2) for every command that opens the database, and the file is
// left as it was.
func TestCLIForeignDatabase(t *testing.T) {
	t.Setenv("DISCORD_TOKEN", "not-a-real-token") // so run gets as far as the database
	cfg, db := writeConfig(t, "")
	sqlite, err := sql.Open("sqlite3", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Exec(`CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)`); err != nil {
		t.Fatal(err)
	}
	sqlite.Close()
	before, _ := os.ReadFile(db)
	for _, cmd := range [][]string{{"migrate"}, {"run"}, {"backup", "--to", filepath.Join(t.TempDir(), "copy.db")}} {
		code, out, errOut := cli(t, append(cmd, "--config", cfg)...)
		if code != exitUsage {
			t.Fatalf("%s: exit %d, want %d\n%s", cmd[0], code, exitUsage, errOut)
		}
		wantIn(t, cmd[0]+" stderr", errOut, fmt.Sprintf("%s: data.path = %q: is not a circlebot database: it has invoices but no schema_migrations table", cfg, db))
		if out != "" {
			t.Errorf("%s: stdout %q", cmd[0], out)
		}
		if after, _ := os.ReadFile(db); !bytes.Equal(after, before) {
			t.Fatalf("%s changed the database", cmd[0])
		}
	}
}

// An existing database in a directory the bot can't write to is a data.path
// problem that says what access is needed, for every command that writes.
func TestCLIUnwritableDatabaseDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write anywhere")
	}
	t.Setenv("DISCORD_TOKEN", "not-a-real-token") // so run gets as far as the database
	dir := filepath.Join(t.TempDir(), "locked")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "circlebot.db")
	cfg := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[data]\npath = %q\n", db)), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := cli(t, "migrate", "--config", cfg); code != exitOK {
		t.Fatalf("migrate: exit %d\n%s", code, errOut)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	for _, cmd := range []string{"migrate", "run"} {
		code, _, errOut := cli(t, cmd, "--config", cfg)
		if code != exitUsage {
			t.Fatalf("%s: exit %d, want %d\n%s", cmd, code, exitUsage, errOut)
		}
		wantIn(t, cmd+" stderr", errOut, fmt.Sprintf("%s: data.path = %q: cannot write in the database's directory %s: ", cfg, db, dir),
			"needs write access to the directory "+dir)
	}
}

// backup copies the database as it is: one from an older circlebot is not
// migrated by being backed up.
func TestCLIBackupLeavesAnOlderDatabaseAlone(t *testing.T) {
	t.Parallel()
	cfg, db := writeConfig(t, "")
	sqlite, err := sql.Open("sqlite3", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	sqlite.SetMaxOpenConns(1)
	// The database of a circlebot that had only the first migration.
	schema, err := os.ReadFile(filepath.Join("data", "migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT;
		INSERT INTO schema_migrations VALUES (1, '0001_init', 0);` + string(schema)); err != nil {
		t.Fatal(err)
	}
	sqlite.Close()
	before, _ := os.ReadFile(db)
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	code, out, errOut := cli(t, "backup", "--config", cfg, "--to", copyPath)
	if code != exitOK {
		t.Fatalf("backup: exit %d\n%s", code, errOut)
	}
	wantIn(t, "backup output", out, copyPath)
	if after, _ := os.ReadFile(db); !bytes.Equal(after, before) {
		t.Error("backup changed the database")
	}
	for _, p := range []string{db, copyPath} {
		sqlite, err := sql.Open("sqlite3", "file:"+p+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		var v int
		err = sqlite.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v)
		sqlite.Close()
		if err != nil || v != 1 {
			t.Errorf("%s: schema version %d, %v after the backup; want 1", filepath.Base(p), v, err)
		}
	}
}

// restore puts a backup back, keeps the old database aside, and refuses
// while the bot has the database open.
func TestCLIRestore(t *testing.T) {
	t.Parallel()
	cfg, db := writeConfig(t, "")
	if code, _, errOut := cli(t, "migrate", "--config", cfg); code != exitOK {
		t.Fatalf("migrate: %s", errOut)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code, _, errOut := cli(t, "backup", "--config", cfg, "--to", backup); code != exitOK {
		t.Fatalf("backup: %s", errOut)
	}

	store, err := data.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := cli(t, "restore", "--config", cfg, "--from", backup)
	if code != exitFailure {
		t.Errorf("restore while the database is open: exit %d, want %d", code, exitFailure)
	}
	wantIn(t, "stderr", errOut, "in use by a running circlebot", "stop it first")
	store.Close()

	code, out, errOut := cli(t, "restore", "--config", cfg, "--from", backup)
	if code != exitOK {
		t.Fatalf("restore: exit %d\n%s", code, errOut)
	}
	wantIn(t, "stdout", out, "restored "+db, "kept as "+db+".before-restore-")

	if code, _, errOut := cli(t, "restore", "--config", cfg); code != exitUsage || !strings.Contains(errOut, "--from FILE is required") {
		t.Errorf("restore without --from: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = cli(t, "restore", "--config", cfg, "--from", cfg)
	if code != exitUsage {
		t.Errorf("restore from a config file: exit %d, want %d", code, exitUsage)
	}
	wantIn(t, "stderr", errOut, "not a circlebot database", "nothing was changed")
}
