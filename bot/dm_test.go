package bot

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// ctxTransport answers every request from the request's context alone: a
// live one gets a 500 (and is counted), a cancelled one its error.
type ctxTransport struct{ live *int }

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	*t.live++
	return nil, errors.New("no Discord here")
}

// TestDMStopsAtShutdown: DMs carry the bot's context, so once Close has
// cancelled it no DM reaches Discord.
func TestDMStopsAtShutdown(t *testing.T) {
	dg, err := discordgo.New("Bot test")
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	dg.Client = &http.Client{Transport: ctxTransport{live: &live}}
	dg.MaxRestRetries = 0
	b := &Bot{dg: dg, log: slog.New(slog.DiscardHandler)}
	b.ctx, b.cancel = context.WithCancel(context.Background())

	if err := b.dm("123", &discordgo.MessageSend{Content: "hi"}); err == nil || live != 1 {
		t.Fatalf("before shutdown: err %v, %d live requests; want the request sent (and failing)", err, live)
	}
	b.cancel()
	if err := b.dm("123", &discordgo.MessageSend{Content: "hi"}); !errors.Is(err, context.Canceled) || live != 1 {
		t.Fatalf("after shutdown: err %v, %d live requests; want context.Canceled and nothing sent", err, live)
	}
}
