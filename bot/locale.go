package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// Which language (issue 13):
//   - ephemeral replies and modals: the interaction's locale (Request.Lang);
//   - DMs: the person's last-seen locale in that server, stored as a bare
//     locale code, else the server's preferred locale (userLang);
//   - session-channel messages: the circle's language (circleLang).
// Guidelines and prompts are the facilitator's own words and are never
// translated. Every text goes through the catalogs in package i18n.

// locales is what the bot remembers in memory about languages: the
// servers' preferred locales (from GUILD_CREATE and GUILD_UPDATE) and the
// locale last noted per person and server, so that an unchanged one costs
// no write.
type locales struct {
	guilds sync.Map // guild ID → preferred locale code
	seen   sync.Map // guild ID + "/" + user ID → locale code last noted
}

// T renders a catalog message in the language of the interaction.
func (r *Request) T(key string, args ...i18n.Args) string { return i18n.T(r.Lang, key, args...) }

// requestLang is the language of an answer: the interaction's locale (the
// user's Discord client), else the server's preferred locale.
func requestLang(i *discordgo.Interaction) i18n.Locale {
	guild := ""
	if i.GuildLocale != nil {
		guild = string(*i.GuildLocale)
	}
	return i18n.Resolve(string(i.Locale), guild)
}

// onGuildLocale remembers a server's preferred locale.
func (b *Bot) onGuildLocale(_ *discordgo.Session, g *discordgo.GuildCreate) {
	if g.Guild != nil && g.ID != "" {
		b.locales.guilds.Store(g.ID, string(g.PreferredLocale))
	}
}

func (b *Bot) onGuildLocaleUpdate(_ *discordgo.Session, g *discordgo.GuildUpdate) {
	if g.Guild != nil && g.ID != "" {
		b.locales.guilds.Store(g.ID, string(g.PreferredLocale))
	}
}

// guildLocale is a server's preferred locale code, "" when not known.
func (b *Bot) guildLocale(guildID string) string {
	if v, ok := b.locales.guilds.Load(guildID); ok {
		return v.(string)
	}
	return ""
}

// noteLocale stores the locale an interaction came with, for DMs to that
// person later; the store keeps it only for people the bot may DM in that
// server. force writes even when the same locale was noted before (after
// a join, which makes someone a person the bot may DM).
func (b *Bot) noteLocale(ctx context.Context, i *discordgo.Interaction, userID string, force bool) {
	loc := noteableLocale(i, userID)
	if loc == "" {
		return
	}
	key := i.GuildID + "/" + userID
	if v, ok := b.locales.seen.Load(key); ok && v.(string) == loc && !force {
		return
	}
	// Not cancelled with the interaction or the bot: a write interrupted
	// half-way must not hold the store's one writer.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := b.store.SeeUserLocale(ctx, i.GuildID, userID, loc); err != nil {
		b.log.Warn("noting a member's locale", "guild", i.GuildID, "err", err)
		return
	}
	b.locales.seen.Store(key, loc)
}

// noteableLocale is the locale of i that noteLocale would store for
// userID, or "" when there is none to store.
func noteableLocale(i *discordgo.Interaction, userID string) string {
	if i == nil || i.GuildID == "" || userID == "" || i.Locale == "" {
		return ""
	}
	loc, ok := i18n.Match(string(i.Locale))
	if !ok {
		return ""
	}
	return string(loc)
}

// localeNoted remembers that the store holds loc for userID in guildID
// (a join wrote it in its own transaction).
func (b *Bot) localeNoted(guildID, userID, loc string) {
	if loc != "" {
		b.locales.seen.Store(guildID+"/"+userID, loc)
	}
}

// forgetLocale drops what is remembered of a person's locale (their data
// was erased).
func (b *Bot) forgetLocale(guildID, userID string) {
	if guildID != "" {
		b.locales.seen.Delete(guildID + "/" + userID)
		return
	}
	b.locales.seen.Range(func(k, _ any) bool {
		if s := k.(string); len(s) > len(userID) && s[len(s)-len(userID)-1:] == "/"+userID {
			b.locales.seen.Delete(k)
		}
		return true
	})
}

// userLang is the language of a DM to userID about guildID: the locale
// their client last sent there, else the server's preferred locale.
func (b *Bot) userLang(ctx context.Context, guildID, userID string) i18n.Locale {
	stored, err := b.store.UserLocale(ctx, guildID, userID)
	if err != nil {
		b.log.Warn("loading a member's locale", "guild", guildID, "err", err)
	}
	return i18n.Resolve(stored, b.guildLocale(guildID))
}

// circleLang is the language of a circle's session-channel messages:
// the one set with /circle create or /circle edit, English when none was.
func (b *Bot) circleLang(ctx context.Context, circleID int64) i18n.Locale {
	stored, err := b.store.CircleLocale(ctx, circleID)
	if err != nil {
		b.log.Warn("loading a circle's language", "circle", circleID, "err", err)
	}
	return i18n.Resolve(stored)
}

// localError is a refusal whose message is a catalog key, shown in the
// language of whoever gets it. It is a *circles.Error underneath (code and
// English message, for logs and ErrorCode).
type localError struct {
	err  *circles.Error
	key  string
	args i18n.Args
}

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// lerr returns an error with code whose user-facing text is the
// catalog message key.
func lerr(code circles.Code, key string, args ...i18n.Args) error {
	var a i18n.Args
	if len(args) > 0 {
		a = args[0]
	}
	return &localError{err: &circles.Error{Code: code, Message: i18n.T(i18n.English, key, a)}, key: key, args: a}
}

// errorText is the user-facing text of err in lang: a refusal's catalog
// message, the internal-error message, a domain error's catalog message
// (errors_i18n.go), or, for a domain error not in the catalogs yet, the
// error's own English message.
func errorText(err error, lang i18n.Locale) string {
	var le *localError
	if errors.As(err, &le) {
		return i18n.T(lang, le.key, le.args)
	}
	if circles.ErrorCode(err) == circles.EInternal {
		return i18n.T(lang, "error.internal")
	}
	if text, ok := domainErrorText(err, lang); ok {
		return text
	}
	return circles.ErrorMessage(err)
}

// setCircleLang stores the circle's language from the command's language
// option; on create, without the option, the server's preferred locale.
// It reports whether the option was given.
func (b *Bot) setCircleLang(ctx context.Context, r *Request, circleID int64, create bool) bool {
	code := r.String("language")
	given := code != ""
	if !given && !create {
		return false
	}
	if !given {
		if r.Interaction != nil && r.Interaction.GuildLocale != nil {
			code = string(*r.Interaction.GuildLocale)
		} else {
			code = b.guildLocale(r.GuildID)
		}
	}
	loc := i18n.Resolve(code)
	if err := b.store.SetCircleLocale(ctx, circleID, string(loc)); err != nil {
		b.log.Error("storing a circle's language", "guild", r.GuildID, "circle", circleID, "err", err)
	}
	return given
}

// dmIn DMs userID a message written in their language for guildID.
func (b *Bot) dmIn(guildID, userID string, msg func(i18n.Locale) *discordgo.MessageSend) error {
	return b.dm(userID, msg(b.userLang(b.ctx, guildID, userID)))
}

// tellFacilitatorsIn DMs every facilitator of a circle text, each in their
// own language; failures are logged by dm and don't stop the others.
func (b *Bot) tellFacilitatorsIn(c circles.Circle, text func(i18n.Locale) string) {
	for _, f := range c.Facilitators {
		_ = b.dmIn(c.GuildID, f, func(l i18n.Locale) *discordgo.MessageSend { return &discordgo.MessageSend{Content: text(l)} })
	}
}

// textPrefixes are the beginnings of key's text in every language, up to
// its first placeholder: how the bot recognises its own messages whatever
// language they were posted in (a circle's language may change between a
// crash and the recovery that reads them).
func textPrefixes(key string) []string {
	const cut = "\x00"
	args := i18n.Args{}
	for _, p := range []string{"Version", "Circle", "Index", "Count", "Prompt", "User"} {
		args[p] = cut
	}
	var out []string
	for _, loc := range i18n.Supported {
		s := i18n.T(loc, key, args)
		if i := strings.Index(s, cut); i >= 0 {
			s = s[:i]
		}
		out = append(out, s)
	}
	return out
}

// cutTextPrefix reports whether s begins with key's text in some
// language, and what follows that beginning.
func cutTextPrefix(s, key string) (string, bool) {
	for _, p := range textPrefixes(key) {
		if p != "" && strings.HasPrefix(s, p) {
			return s[len(p):], true
		}
	}
	return "", false
}
