package data

import (
	"context"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

func TestCards(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	c := MustCreateCircle(t, s, "111111111111111111", "Grief circle")
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	// Another guild's circle gets no card.
	if err := s.SaveCard(ctx, circles.Card{CircleID: c.ID, GuildID: "222222222222222222", ChannelID: user(8), MessageID: user(301), PostedAt: at}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM circle_cards`); n != 0 {
		t.Fatalf("a card for another guild's circle: %d", n)
	}
	for i := range circles.MaxCardsPerCircle {
		if err := s.SaveCard(ctx, circles.Card{CircleID: c.ID, GuildID: c.GuildID, ChannelID: user(i), MessageID: user(100 + i), PostedAt: at.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	// The same channel again replaces its card; a sixth channel is refused.
	if err := s.SaveCard(ctx, circles.Card{CircleID: c.ID, GuildID: c.GuildID, ChannelID: user(0), MessageID: user(200), PostedAt: at.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.SaveCard(ctx, circles.Card{CircleID: c.ID, GuildID: c.GuildID, ChannelID: user(9), MessageID: user(300), PostedAt: at}), circles.EConflict)
	cards, err := s.Cards(ctx, c.ID)
	if err != nil || len(cards) != circles.MaxCardsPerCircle || cards[len(cards)-1].MessageID != user(200) || !cards[0].PostedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("cards %+v %v", cards, err)
	}
	if err := s.DeleteCard(ctx, c.ID, user(0)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM circle_cards`); n != circles.MaxCardsPerCircle-1 {
		t.Fatalf("%d cards after a delete", n)
	}
	// A guild purge takes its cards.
	if err := s.PurgeGuild(ctx, c.GuildID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM circle_cards`); n != 0 {
		t.Fatalf("%d cards after the purge", n)
	}
}

func TestDMReachable(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	c := MustCreateCircle(t, s, "111111111111111111", "Grief circle")
	mustJoin(t, s, c, user(1), circles.ModeMember)
	mustJoin(t, s, c, user(2), circles.ModeMember)
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	if err := s.SetDMReachable(ctx, user(1), false, at); err != nil {
		t.Fatal(err)
	}
	m, err := s.Membership(ctx, c.GuildID, c.ID, user(1))
	if err != nil || !m.DMUnreachableAt.Equal(at) {
		t.Fatalf("%+v %v", m, err)
	}
	if m, _ := s.Membership(ctx, c.GuildID, c.ID, user(2)); !m.DMUnreachableAt.IsZero() {
		t.Fatal("another member marked")
	}
	if err := s.SetDMReachable(ctx, user(1), true, at); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Membership(ctx, c.GuildID, c.ID, user(1)); !m.DMUnreachableAt.IsZero() {
		t.Fatal("the mark stays after a DM got through")
	}
}
