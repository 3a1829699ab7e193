package data

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// Processes that share a database (a sharded bot's, one per shard range)
// may start at the same moment on a file that doesn't exist yet: each
// opens it, and its migrations are applied once. (Both switching the new
// file to WAL at once used to fail one of them, "database is locked", in
// about one start in 300; the rounds make that show.)
func TestOpenTogether(t *testing.T) {
	t.Parallel()
	ms, err := migrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for round := range 100 {
		path := filepath.Join(dir, "circlebot.db"+string(rune('a'+round%26))+string(rune('a'+round/26)))
		var stores [2]*Store
		var wg sync.WaitGroup
		for i := range stores {
			wg.Go(func() {
				s, err := Open(context.Background(), path)
				if err != nil {
					t.Errorf("round %d, process %d: %v", round, i, err)
					return
				}
				stores[i] = s
			})
		}
		wg.Wait()
		for _, s := range stores {
			if s == nil {
				continue
			}
			if v, err := s.Version(); err != nil || v != len(ms) {
				t.Errorf("round %d: version %d, %v; want %d", round, v, err, len(ms))
			}
			s.Close()
		}
		if t.Failed() {
			return
		}
	}
	s := mustOpenPath(t, filepath.Join(dir, "circlebot.dbaa"))
	if n := count(t, s, `SELECT COUNT(*) FROM schema_migrations`); n != len(ms) {
		t.Fatalf("%d migration records, want %d: each applied once", n, len(ms))
	}
}
