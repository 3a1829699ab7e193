package bot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"golang.org/x/time/rate"
)

// Member requests wait their turn: with the pace spent, the next request
// is not sent at all before shutdown cuts its wait short. (Sent, on this
// unconnected shard, fails with ErrWSNotFound.)
func TestMemberRequestsArePaced(t *testing.T) {
	b := newOfflineBot(t)
	sh, err := b.newShard(0, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	b.byID = map[int]*shard{0: sh}
	sh.memberRequests = rate.NewLimiter(rate.Every(time.Hour), 2)
	for i := 0; i < 2; i++ {
		if _, err := b.requestMembers("1", []string{"2"}); !errors.Is(err, discordgo.ErrWSNotFound) {
			t.Fatalf("request %d within the burst: %v, want it sent (ErrWSNotFound)", i+1, err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.requestMembers("1", []string{"2"})
		done <- err
	}()
	b.cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("request past the pace: %v, want it held until shutdown (context.Canceled)", err)
	}
}

// Each connection's pace keeps member requests, with room for heartbeats, under
// the gateway's 120 commands in any 60 s.
func TestMemberRequestPaceFitsTheGatewayLimit(t *testing.T) {
	p := newMemberRequestPace()
	perMinute := float64(p.Burst()) + float64(p.Limit())*60
	if perMinute > 110 {
		t.Fatalf("member requests may reach %.0f a minute; the gateway allows 120 commands, heartbeats included", perMinute)
	}
}
