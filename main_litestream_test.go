package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/data"
)

// TestLitestreamReplicaRestores runs Litestream, with the configuration
// circlebot ships (docs/deploy/litestream.yml, pointed at a directory),
// beside a store that keeps writing past SQLite's autocheckpoint, then
// restores the replica with `litestream restore` and `circlebot restore`
// and finds every write. It needs the litestream command on PATH
// (go install github.com/benbjohnson/litestream/cmd/litestream@v0.5.18)
// and is skipped without it.
func TestLitestreamReplicaRestores(t *testing.T) {
	bin, err := exec.LookPath("litestream")
	if err != nil {
		t.Skip("litestream is not on PATH")
	}
	t.Parallel()
	ctx := context.Background()
	cfg, db := writeConfig(t, "")
	if code, _, errOut := cli(t, "migrate", "--config", cfg); code != exitOK {
		t.Fatalf("migrate: %s", errOut)
	}

	shipped, err := os.ReadFile(filepath.Join("docs", "deploy", "litestream.yml"))
	if err != nil {
		t.Fatal(err)
	}
	replica := t.TempDir()
	conf := strings.NewReplacer("/data/circlebot.db", db, "s3://YOUR-BUCKET/circlebot", "file://"+replica).Replace(string(shipped))
	if !strings.Contains(conf, db) || !strings.Contains(conf, replica) {
		t.Fatalf("docs/deploy/litestream.yml no longer has the path and url this test replaces:\n%s", shipped)
	}
	lconf := filepath.Join(t.TempDir(), "litestream.yml")
	if err := os.WriteFile(lconf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var lout bytes.Buffer
	ls := exec.Command(bin, "replicate", "-config", lconf)
	ls.Stdout, ls.Stderr = &lout, &lout
	if err := ls.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = ls.Process.Signal(syscall.SIGTERM)
		_ = ls.Wait()
	}
	defer stop()

	// Enough joins to pass the WAL's autocheckpoint (1,000 pages) several
	// times while Litestream holds its read lock.
	store, err := data.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	const guild, people = "400000000000000001", 400
	var circleIDs []int64
	for i := range 4 {
		c := circles.NewCircle(guild, fmt.Sprintf("Circle %d", i), circles.KindPeer,
			circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", 90*time.Minute), "400000000000000002", at)
		if err := store.CreateCircle(ctx, &c); err != nil {
			t.Fatal(err)
		}
		circleIDs = append(circleIDs, c.ID)
	}
	// In four batches, each restored from the replica before the next:
	// Litestream ships the WAL's new pages every second, and a restore
	// replays them onto its snapshot.
	restored := filepath.Join(t.TempDir(), "restored.db")
	for batch := range 4 {
		for i := batch * people / 4; i < (batch+1)*people/4; i++ {
			req := circles.JoinRequest{GuildID: guild, CircleID: circleIDs[i%len(circleIDs)], UserID: fmt.Sprintf("4100000000000%05d", i),
				Mode: circles.ModeMember, GuidelinesVersion: 1}
			if _, err := store.Join(ctx, req, at.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatalf("join %d with Litestream attached: %v", i, err)
			}
		}
		want := (batch + 1) * people / 4
		deadline := time.Now().Add(60 * time.Second)
		for {
			os.Remove(restored)
			out, err := exec.Command(bin, "restore", "-config", lconf, "-o", restored, db).CombinedOutput()
			if err == nil && memberships(t, restored) == want {
				break
			}
			if time.Now().After(deadline) {
				stop()
				t.Fatalf("the replica never held the first %d joins (last restore: %v %s)\nlitestream:\n%s", want, err, out, lout.String())
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	stop()

	code, out, errOut := cli(t, "restore", "--config", cfg, "--from", restored)
	if code != exitOK {
		t.Fatalf("circlebot restore of Litestream's copy: exit %d\n%s", code, errOut)
	}
	wantIn(t, "stdout", out, "restored "+db)
	if n := memberships(t, db); n != people {
		t.Errorf("after the restore the database has %d memberships, want %d", n, people)
	}
	back, err := data.Open(ctx, db)
	if err != nil {
		t.Fatalf("the bot's store can't open the restored database: %v", err)
	}
	defer back.Close()
	if ledger, err := back.ConsentLedger(ctx, circleIDs[0], "410000000000000000"); err != nil || len(ledger) != 1 {
		t.Errorf("a consent record after the restore: %v, %v", ledger, err)
	}
	if strings.Contains(strings.ToLower(lout.String()), "level=error") {
		t.Errorf("Litestream logged errors:\n%s", lout.String())
	}
}

// memberships counts the rows of a database file's memberships table, -1
// when it can't be read.
func memberships(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return -1
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM memberships`).Scan(&n); err != nil {
		return -1
	}
	return n
}
