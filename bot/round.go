package bot

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// The round runner (docs/ROOM.md, "Rounds"): a facilitator starts a round in a
// session channel, from the welcome's button or /circle round; one
// message, edited in place (coalesced, see coalescer), shows who speaks
// and the raised hands, with buttons for attendees (raise, lower, pass)
// and facilitators (next, skip, end). The round lives only in memory:
// nothing about who spoke or passed is stored. Its buttons carry the
// process's boot number, so a click after a restart is recognised and
// answered with a fresh round that says the last one was reset.

// Round button arguments.
const (
	roundStart = "start"
	roundRaise = "raise"
	roundLower = "lower"
	roundPass  = "pass"
	roundNext  = "next"
	roundSkip  = "skip"
	roundEnd   = "end"
)

// maxBootID bounds the boot number a round's buttons carry, with the
// round's minutes in the low four bits, within a custom_id's Version.
const maxBootID = 1 << 26

// liveRound is one session channel's round.
type liveRound struct {
	mu        sync.Mutex
	round     *circles.Round
	guildID   string
	circleID  int64
	sessionID int64
	channelID string
	messageID string      // "" while its message is being posted
	reset     bool        // started after a restart lost the one before
	lang      i18n.Locale // the circle's: its message is in the session channel
	seq       int         // which round of the session, for its message's nonce
}

// roundRegistry holds the live rounds by channel.
type roundRegistry struct {
	mu        sync.Mutex
	byChannel map[string]*liveRound
	started   map[int64]int // rounds started per session (nonces)
}

func newRoundRegistry() *roundRegistry {
	return &roundRegistry{byChannel: map[string]*liveRound{}, started: map[int64]int{}}
}

// where returns the round's channel and message (the message is "" while
// it is being posted).
func (lr *liveRound) where() (channelID, messageID string) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return lr.channelID, lr.messageID
}

func (g *roundRegistry) get(channelID string) *liveRound {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.byChannel[channelID]
}

func (g *roundRegistry) all() []*liveRound {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*liveRound, 0, len(g.byChannel))
	for _, lr := range g.byChannel {
		out = append(out, lr)
	}
	return out
}

// reserve claims a channel for a new round; the existing one when there
// is one.
func (g *roundRegistry) reserve(lr *liveRound) (existing *liveRound) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if cur := g.byChannel[lr.channelID]; cur != nil {
		return cur
	}
	g.started[lr.sessionID]++
	lr.seq = g.started[lr.sessionID]
	g.byChannel[lr.channelID] = lr
	return nil
}

func (g *roundRegistry) drop(lr *liveRound) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byChannel[lr.channelID] == lr {
		delete(g.byChannel, lr.channelID)
	}
}

// roundRoutes registers the round's handlers.
func (b *Bot) roundRoutes() {
	b.router.Component("round", b.roundButton)
	b.router.Modal("round", b.roundModal)
	b.router.Command("circle round", b.circleRound)
}

// roundID is a round button's custom_id. Version carries the boot number
// and the round's minutes (0 for the welcome's start button, which must
// work after a restart).
func (b *Bot) roundID(guildID string, circleID, sessionID int64, minutes int, arg string) CustomID {
	v := 0
	if arg != roundStart {
		v = b.bootID<<4 | minutes
	}
	return CustomID{Action: "round", GuildID: guildID, CircleID: circleID, SessionID: sessionID, Version: v, Arg: arg}
}

// roundAttendee authorises a click or form of a round: in its own server
// and session channel, while the session is open, by someone the session
// admits now (their role in it).
func (b *Bot) roundAttendee(ctx context.Context, r *Request) (circles.Circle, circles.Session, circles.Role, error) {
	var none circles.Role
	if err := requireGuild(r); err != nil {
		return circles.Circle{}, circles.Session{}, none, err
	}
	id := r.CustomID
	if id.GuildID != r.GuildID || id.UserID != "" || id.SessionID == 0 {
		return circles.Circle{}, circles.Session{}, none, errBadCustomID
	}
	s, c, err := b.sessionForButton(ctx, r.GuildID, id, roundSessionGoneKey)
	if err != nil {
		return c, s, none, err
	}
	if s.State != circles.SessionOpen || !s.ClosedAt.IsZero() || s.ChannelID == "" {
		return c, s, none, roundSessionOver(c)
	}
	if r.Interaction.ChannelID != s.ChannelID {
		return c, s, none, roundWrongChannel()
	}
	grant, _, err := b.access(ctx, c, s)
	if err != nil {
		return c, s, none, err
	}
	for _, a := range grant {
		if a.UserID == r.UserID {
			return c, s, a.Role, nil
		}
	}
	return c, s, none, roundNotAttendee(c)
}

// roundButton answers every round button.
func (b *Bot) roundButton(ctx context.Context, r *Request) (*Response, error) {
	c, s, role, err := b.roundAttendee(ctx, r)
	if err != nil {
		return nil, err
	}
	id := r.CustomID
	if id.Arg == roundStart {
		if role != circles.RoleFacilitator {
			return nil, roundFacilitatorsOnly()
		}
		if lr := b.rounds.get(s.ChannelID); lr != nil {
			ch, msg := lr.where()
			return nil, roundAlreadyGoing(r.GuildID, ch, msg)
		}
		return &Response{Modal: &Modal{
			CustomID: id.Encode(),
			Title:    roundFormTitle(r.Lang),
			Inputs:   []TextInput{{ID: "minutes", Label: roundFormLabel(r.Lang), Placeholder: roundFormPlaceholder(r.Lang), MaxLength: 2}},
		}}, nil
	}
	boot, minutes := id.Version>>4, id.Version&15
	if boot == 0 || minutes > int(circles.MaxSpeakingTime/time.Minute) {
		return nil, errBadCustomID
	}
	lr := b.rounds.get(s.ChannelID)
	if lr == nil && boot != b.bootID {
		// Started before a restart, which lost it: a fresh one, and the
		// old message says so and loses its buttons.
		if _, err := b.startRound(ctx, c, s, time.Duration(minutes)*time.Minute, true); err != nil {
			return nil, err
		}
		return &Response{Update: true, Content: roundResetOld(b.circleLang(ctx, c.ID)), Components: []discordgo.MessageComponent{}}, nil
	}
	if lr == nil {
		return &Response{Update: true, Content: roundEndedText(b.circleLang(ctx, c.ID), nil), Components: []discordgo.MessageComponent{}}, nil
	}
	if ch, msg := lr.where(); r.Interaction.Message != nil && msg != "" && r.Interaction.Message.ID != msg {
		return nil, roundOlderMessage(r.GuildID, ch, msg)
	}
	text, err := b.roundAct(r.Lang, lr, id.Arg, r.UserID, role, r.Now)
	if err != nil {
		return nil, err
	}
	return Reply("%s", text), nil
}

// roundAct applies one click to the round and has its message edited;
// what it returns answers the click, in lang.
func (b *Bot) roundAct(lang i18n.Locale, lr *liveRound, action, userID string, role circles.Role, now time.Time) (string, error) {
	facilitator := role == circles.RoleFacilitator
	lr.mu.Lock()
	rd := lr.round
	var (
		changed bool
		err     error
		text    string
	)
	switch action {
	case roundRaise:
		changed, err = rd.Raise(userID, role)
		text = roundRaisedText(lang, rd, userID)
	case roundLower:
		changed, err = rd.Lower(userID)
		text = roundLoweredText(lang, changed)
	case roundPass:
		changed, err = rd.Pass(userID, role)
		text = roundPassedText(lang, role)
	case roundNext, roundSkip, roundEnd:
		if !facilitator {
			lr.mu.Unlock()
			return "", roundFacilitatorsOnly()
		}
		switch action {
		case roundNext:
			err = rd.Next(now)
		case roundSkip:
			err = rd.Skip(now)
		default:
			rd.End()
		}
		changed = true
		text = roundMovedText(lang, rd)
	default:
		lr.mu.Unlock()
		return "", errBadCustomID
	}
	ended := rd.Ended
	lr.mu.Unlock()
	if err != nil {
		return "", err
	}
	if ended {
		b.forgetRound(lr)
	}
	if changed {
		b.roundChanged(lr)
	}
	return text, nil
}

// roundModal starts a round from the welcome's button, with the speaking
// time the form asked for.
func (b *Bot) roundModal(ctx context.Context, r *Request) (*Response, error) {
	if r.CustomID.Arg != roundStart {
		return nil, errBadCustomID
	}
	c, s, role, err := b.roundAttendee(ctx, r)
	if err != nil {
		return nil, err
	}
	if role != circles.RoleFacilitator {
		return nil, roundFacilitatorsOnly()
	}
	minutes := 0
	if v := strings.TrimSpace(r.Fields["minutes"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, roundBadMinutes(v)
		}
		minutes = n
	}
	lr, err := b.startRound(ctx, c, s, time.Duration(minutes)*time.Minute, false)
	if err != nil {
		return nil, err
	}
	ch, msg := lr.where()
	return Reply("%s", roundStartedText(r.Lang, r.GuildID, ch, msg)), nil
}

// circleRound: /circle round circle: [minutes:] starts a round in the
// circle's open session.
func (b *Bot) circleRound(ctx context.Context, r *Request) (*Response, error) {
	c, _, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	if !c.IsFacilitator(r.UserID) {
		// The round is steered from inside the session, by its facilitators.
		return nil, roundFacilitatorsOnly()
	}
	s, err := b.openSession(ctx, c)
	if err != nil {
		return nil, err
	}
	if s == nil || s.ChannelID == "" || !s.ClosedAt.IsZero() {
		return nil, roundNoSession(c)
	}
	minutes, _ := r.Int("minutes")
	lr, err := b.startRound(ctx, c, *s, time.Duration(minutes)*time.Minute, false)
	if err != nil {
		return nil, err
	}
	ch, msg := lr.where()
	return Reply("%s", roundStartedText(r.Lang, r.GuildID, ch, msg)), nil
}

// startRound posts a new round's message in the session channel.
func (b *Bot) startRound(ctx context.Context, c circles.Circle, s circles.Session, speaking time.Duration, reset bool) (*liveRound, error) {
	rd, err := circles.NewRound(speaking)
	if err != nil {
		return nil, err
	}
	lr := &liveRound{round: rd, guildID: c.GuildID, circleID: c.ID, sessionID: s.ID, channelID: s.ChannelID, reset: reset, lang: b.circleLang(ctx, c.ID)}
	if cur := b.rounds.reserve(lr); cur != nil {
		if reset {
			return cur, nil // someone else's click reset it already
		}
		ch, msg := cur.where()
		return nil, roundAlreadyGoing(c.GuildID, ch, msg)
	}
	lr.mu.Lock()
	msg := b.roundMessage(lr)
	lr.mu.Unlock()
	m, err := b.post(ctx, s.ChannelID, "round", nonceKey(s.ID, fmt.Sprintf("round %d", b.bootID), lr.seq), msg)
	if err != nil {
		b.rounds.drop(lr)
		return nil, err
	}
	lr.mu.Lock()
	lr.messageID = m.ID
	lr.mu.Unlock()
	// Where the round is, so a restart can say it was reset; if that
	// can't be stored, a click after a restart still does (roundButton).
	if err := b.store.SaveRoundMessage(ctx, circles.RoundMessage{SessionID: s.ID, ChannelID: s.ChannelID, MessageID: m.ID, Minutes: int(speaking / time.Minute)}); err != nil {
		b.log.Warn("recording the round's message", "guild", c.GuildID, "session", s.ID, "err", err)
	}
	b.log.Info("round started", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "minutes", int(speaking/time.Minute), "reset", reset)
	return lr, nil
}

// roundChanged has the round's message edited, coalesced per channel.
func (b *Bot) roundChanged(lr *liveRound) {
	b.edits.touch("round "+lr.channelID, func() { b.editRound(lr) })
}

// editRound edits the round's message to show it as it is now.
func (b *Bot) editRound(lr *liveRound) {
	lr.mu.Lock()
	msg := b.roundMessage(lr)
	id := lr.messageID
	lr.mu.Unlock()
	if id == "" {
		return
	}
	ctx := withRetryBudget(b.ctx, budgetFollowup)
	_, err := b.dg.ChannelMessageEditComplex(&discordgo.MessageEdit{
		ID: id, Channel: lr.channelID, Content: &msg.Content, Components: &msg.Components, AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx))
	if err != nil {
		if isUnknown(err) {
			b.log.Info("the round's message or channel is gone; round dropped", "guild", lr.guildID, "session", lr.sessionID)
			b.forgetRound(lr)
			return
		}
		b.log.Warn("updating the round's message", "guild", lr.guildID, "session", lr.sessionID, "err", err)
	}
}

// roundMessage renders the round's message; lr.mu is held.
func (b *Bot) roundMessage(lr *liveRound) *discordgo.MessageSend {
	rd := lr.round
	if rd.Ended {
		return &discordgo.MessageSend{Content: roundEndedText(lr.lang, rd), Components: []discordgo.MessageComponent{}}
	}
	minutes := int(rd.SpeakingTime / time.Minute)
	id := func(arg string) CustomID { return b.roundID(lr.guildID, lr.circleID, lr.sessionID, minutes, arg) }
	labels := roundButtonLabels(lr.lang)
	return &discordgo.MessageSend{
		Content: roundText(lr.lang, rd, lr.reset),
		Components: []discordgo.MessageComponent{
			Row(
				Button(labels[roundRaise], discordgo.PrimaryButton, id(roundRaise)),
				Button(labels[roundLower], discordgo.SecondaryButton, id(roundLower)),
				Button(labels[roundPass], discordgo.SecondaryButton, id(roundPass)),
			),
			Row(
				Button(labels[roundNext], discordgo.SuccessButton, id(roundNext)),
				Button(labels[roundSkip], discordgo.SecondaryButton, id(roundSkip)),
				Button(labels[roundEnd], discordgo.DangerButton, id(roundEnd)),
			),
		},
	}
}

// CheckRoundTimers marks the speakers whose time is up, by the bot's
// clock, and has their rounds' messages say so. The bot runs it every
// second when it runs its scheduler (Options.RunScheduler); tests and the demo call it after
// moving the clock.
func (b *Bot) CheckRoundTimers() {
	now := b.clock.Now()
	for _, lr := range b.rounds.all() {
		lr.mu.Lock()
		up := lr.round.Tick(now)
		lr.mu.Unlock()
		if up {
			b.roundChanged(lr)
		}
	}
}

// endRoundIn ends the round of a session channel that is closing.
func (b *Bot) endRoundIn(channelID string) {
	lr := b.rounds.get(channelID)
	if lr == nil {
		return
	}
	lr.mu.Lock()
	lr.round.End()
	lr.mu.Unlock()
	b.forgetRound(lr)
	b.roundChanged(lr)
}

// forgetRound drops an ended round, and its stored message.
func (b *Bot) forgetRound(lr *liveRound) {
	b.rounds.drop(lr)
	if err := b.store.DeleteRoundMessage(b.ctx, lr.sessionID); err != nil && b.ctx.Err() == nil {
		b.log.Warn("forgetting an ended round's message", "guild", lr.guildID, "session", lr.sessionID, "err", err)
	}
}

// resetRounds follows a restart: the rounds that were running are lost
// (they live in memory), so each one's message says it was reset and,
// while its session is still open, a fresh round with the same speaking
// time takes its place. A process that runs some of the shards resets its
// own servers' rounds only: another process's are running in its memory.
func (b *Bot) resetRounds(ctx context.Context) {
	marks, err := b.store.RoundMessages(ctx)
	if err != nil {
		b.log.Error("listing the rounds a restart lost", "err", err)
		return
	}
	for _, m := range marks {
		log := b.log.With("session", m.SessionID)
		s, err := b.store.Session(ctx, m.SessionID)
		if err != nil && circles.ErrorCode(err) != circles.ENotFound {
			log.Warn("reading the session of a lost round", "err", err)
			continue
		}
		if err == nil && !b.owned.Owns(s.GuildID) {
			continue
		}
		lang := i18n.English // the session is gone, and with it which circle's it was
		if err == nil {
			lang = b.circleLang(ctx, s.CircleID)
		}
		text := roundEndedText(lang, nil)
		if err == nil && s.State == circles.SessionOpen && s.ClosedAt.IsZero() && s.ChannelID == m.ChannelID {
			c, cerr := b.store.CircleByID(ctx, s.CircleID)
			if cerr == nil {
				_, cerr = b.startRound(ctx, c, s, time.Duration(m.Minutes)*time.Minute, true)
			}
			if cerr != nil {
				log.Warn("starting a fresh round after a restart", "err", cerr)
				continue // the next start, or a click on the old round, tries again
			}
			text = roundResetOld(lang)
		} else if err := b.store.DeleteRoundMessage(ctx, m.SessionID); err != nil {
			log.Warn("forgetting a lost round", "err", err)
		}
		none := []discordgo.MessageComponent{}
		if _, err := b.dg.ChannelMessageEditComplex(&discordgo.MessageEdit{
			ID: m.MessageID, Channel: m.ChannelID, Content: &text, Components: &none, AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx)); err != nil && !isUnknown(err) {
			log.Warn("marking a lost round's message", "err", err)
		}
		log.Info("a round lost in a restart was reset")
	}
}

// newBootID is a random number that tells this process's round buttons
// from those of a process before a restart.
func newBootID() int {
	var buf [4]byte
	_, _ = rand.Read(buf[:])
	return 1 + int(binary.BigEndian.Uint32(buf[:])%(maxBootID-1))
}
