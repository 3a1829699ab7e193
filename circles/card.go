package circles

import (
	"context"
	"time"
)

// Card is a circle's public card: a message in a channel a facilitator
// chose, describing the circle (never its members) with a button that
// opens the same private consent screen as /join. Only where it is is
// stored, so that it can be kept current.
type Card struct {
	CircleID  int64
	GuildID   string
	ChannelID string
	MessageID string
	PostedAt  time.Time
}

// MaxCardsPerCircle bounds the channels one circle's card is posted in.
const MaxCardsPerCircle = 5

// CardStore keeps where circle cards were posted.
type CardStore interface {
	// SaveCard records a card, replacing the circle's card in the same
	// channel. EConflict when the circle already has MaxCardsPerCircle
	// cards in other channels.
	SaveCard(ctx context.Context, c Card) error
	// Cards lists a circle's cards, oldest first.
	Cards(ctx context.Context, circleID int64) ([]Card, error)
	// DeleteCard forgets a card (its message or channel is gone).
	DeleteCard(ctx context.Context, circleID int64, channelID string) error
}

// ReachStore remembers who can't be reached by DM.
type ReachStore interface {
	// SetDMReachable records that a DM to userID failed because they
	// don't accept DMs from the bot (reachable false: every membership of
	// theirs is marked with at), or that one got through (reachable true:
	// the marks are cleared; nothing is written when there are none).
	SetDMReachable(ctx context.Context, userID string, reachable bool, at time.Time) error
}
