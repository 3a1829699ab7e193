package bot

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/data"
)

// noDiscord refuses every REST request: these tests need no answers.
type noDiscord struct{}

func (noDiscord) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no Discord here")
}

// newOfflineBot is a bot on a real store that never connects: its REST
// calls fail and its gateway commands find no connection.
func newOfflineBot(t *testing.T) *Bot {
	t.Helper()
	store, err := data.Open(context.Background(), filepath.Join(t.TempDir(), "circlebot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	b, err := New(Options{Token: "test", Store: store})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	b.dg.Client = &http.Client{Transport: noDiscord{}}
	b.dg.MaxRestRetries = 0
	return b
}

// Close waits for the gateway handlers at work, an interaction here: main
// closes the store right after Close, and a handler still writing would
// write to a closed database. Once Close has begun, no handler starts.
func TestCloseWaitsForHandlers(t *testing.T) {
	b := newOfflineBot(t)
	b.router.DeferAfter = time.Minute // one answer, after the handler

	started, release := make(chan struct{}, 1), make(chan struct{})
	var finished atomic.Bool
	b.router.Component("slow", func(context.Context, *Request) (*Response, error) {
		started <- struct{}{}
		<-release // ignores its context, like a store write under way
		finished.Store(true)
		return Reply("Done."), nil
	})
	var onInteraction func(*discordgo.Session, *discordgo.InteractionCreate)
	for _, h := range b.handlers() {
		if f, ok := h.(func(*discordgo.Session, *discordgo.InteractionCreate)); ok {
			onInteraction = f
		}
	}
	go onInteraction(b.dg, &discordgo.InteractionCreate{Interaction: &discordgo.Interaction{
		ID: "1", Type: discordgo.InteractionMessageComponent,
		Data: discordgo.MessageComponentInteractionData{CustomID: CustomID{Action: "slow"}.Encode()},
	}})
	<-started

	closed := make(chan struct{})
	go func() { _ = b.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while an interaction handler was at work")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-closed
	if !finished.Load() {
		t.Fatal("Close returned before the interaction handler finished")
	}

	// Every handler New registers now drops its event untouched: given an
	// empty one, an unguarded handler would dereference nil and panic.
	for _, h := range b.handlers() {
		fn := reflect.ValueOf(h)
		event := reflect.New(fn.Type().In(1).Elem())
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s ran after Close: %v", fn.Type(), p)
				}
			}()
			fn.Call([]reflect.Value{reflect.ValueOf(b.dg), event})
		}()
	}
}
