package data

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// TestCancelledWritesLeaveTheWriterUsable cancels writes at every point of
// their life — before BEGIN, during it, inside the transaction — and then
// expects an ordinary write to go through. go-sqlite3 interrupts a statement
// when its context ends, and a BEGIN interrupted as it completes can leave
// the one writer connection inside a transaction (mattn/go-sqlite3#764); a
// store that let that happen would refuse every later write.
func TestCancelledWritesLeaveTheWriterUsable(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, cancel := context.WithTimeout(ctx, time.Duration(i%40)*50*time.Microsecond)
			defer cancel()
			_, _ = s.GuildSeen(c, fmt.Sprintf("1%017d", i), owner, circles.GuildSettings{RetentionHours: 24, ReminderMinutes: 60}, t0)
		}()
	}
	wg.Wait()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.GuildSeen(c, guildA, owner, circles.GuildSettings{RetentionHours: 24, ReminderMinutes: 60}, t0); err != nil {
		t.Fatalf("a write after cancelled ones: %v", err)
	}
}
