package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/circlebot/circlebot/data"
)

// cmdRestore puts a backup in place of the database at data.path. The bot
// must be stopped: an open database is refused (exit 1), as are a backup
// that isn't circlebot's, is damaged, or was written by a newer circlebot
// (exit 2: nothing changes). The old database is kept aside and named.
func cmdRestore(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	from := fs.String("from", "", "the backup `FILE` to restore (made by circlebot backup, or by litestream restore)")
	cfg, code, done := parseConfig(fs, args, stdout, stderr)
	if done {
		return code
	}
	if missing(stderr, fs, "from", *from) {
		return exitUsage
	}
	r, err := data.Restore(ctx, cfg.Data.Path, *from, time.Now())
	if errors.Is(err, data.ErrInUse) {
		fmt.Fprintf(stderr, "circlebot restore: %s: %v; stop it first (systemctl stop circlebot, or docker compose stop circlebot), then restore again\n", cfg.Data.Path, err)
		return exitFailure
	}
	if err != nil {
		var pe *data.PathError
		if errors.As(err, &pe) {
			_, err = dataError(cfg, err)
		}
		if r.Aside != "" {
			fmt.Fprintf(stderr, "circlebot restore: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(stderr, "circlebot restore: %v; nothing was changed\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "restored %s from %s (schema version %d)\n", cfg.Data.Path, *from, r.Version)
	if r.Aside != "" {
		fmt.Fprintf(stdout, "the database that was there is kept as %s\n", r.Aside)
	}
	fmt.Fprintln(stdout, "start circlebot again; it brings an older backup's schema up to date as it starts")
	return exitOK
}

// missing reports a required flag left empty: "circlebot backup: --to
// PATH is required".
func missing(stderr io.Writer, fs *flag.FlagSet, name, value string) bool {
	if value != "" {
		return false
	}
	arg, _ := flag.UnquoteUsage(fs.Lookup(name))
	fmt.Fprintf(stderr, "circlebot %s: --%s %s is required\n", fs.Name(), name, arg)
	return true
}
