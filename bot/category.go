package bot

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/i18n"
)

// Discord allows 50 channels in a category. When the session category
// /setup chose is full, session channels go to an overflow category next
// to it — "Circles 2", "Circles 3"… — made with the same permission
// overwrites, instead of every circle's sessions being missed. The family
// is found from the server's channels each time: nothing about it is
// stored, so an admin may rename, move or delete the overflow categories.

// maxPerCategory is Discord's limit of channels in a category.
const maxPerCategory = 50

// categoryWarnAt is when admins hear that the session category is filling
// up (80%).
const categoryWarnAt = maxPerCategory * 8 / 10

// categoryFamily is the session category and its overflow categories, in
// order, with how many channels each holds.
type categoryFamily struct {
	base     *discordgo.Channel
	members  []*discordgo.Channel
	children map[string]int
}

// has reports whether id is the session category or one of its overflows.
func (f categoryFamily) has(id string) bool {
	for _, c := range f.members {
		if c.ID == id {
			return true
		}
	}
	return false
}

// withRoom is the first category of the family with room for a channel,
// or nil.
func (f categoryFamily) withRoom() *discordgo.Channel {
	for _, c := range f.members {
		if f.children[c.ID] < maxPerCategory {
			return c
		}
	}
	return nil
}

// overflowName is "Circles 2" for the second category of "Circles".
func overflowName(base string, n int) string { return base + " " + strconv.Itoa(n) }

// familyOf finds the session category categoryID and its overflow
// categories among a server's channels.
func familyOf(chans []*discordgo.Channel, categoryID string) categoryFamily {
	f := categoryFamily{children: map[string]int{}}
	for _, ch := range chans {
		if ch.ParentID != "" {
			f.children[ch.ParentID]++
		}
		if ch.ID == categoryID {
			f.base = ch
		}
	}
	if f.base == nil {
		return f
	}
	f.members = []*discordgo.Channel{f.base}
	overflow := regexp.MustCompile(`^` + regexp.QuoteMeta(f.base.Name) + ` (\d+)$`)
	for _, ch := range chans {
		if ch.Type == discordgo.ChannelTypeGuildCategory && ch.ID != f.base.ID && overflow.MatchString(ch.Name) {
			f.members = append(f.members, ch)
		}
	}
	return f
}

// categoryWithRoom returns the category a new session channel goes in:
// the session category, or the first overflow category with room, made
// next to it (same overwrites) when all are full. It reports whether an
// overflow category was made, for the admins to hear of.
func (b *Bot) categoryWithRoom(ctx context.Context, guildID, categoryID string) (*discordgo.Channel, bool, error) {
	chans, err := b.dg.GuildChannels(guildID, discordgo.WithContext(ctx))
	if err != nil {
		return nil, false, fmt.Errorf("listing the server's channels: %w", err)
	}
	f := familyOf(chans, categoryID)
	if f.base == nil {
		return nil, false, nil // gone: the caller reports that
	}
	if c := f.withRoom(); c != nil {
		return c, false, nil
	}
	name := overflowName(f.base.Name, len(f.members)+1)
	c, err := b.dg.GuildChannelCreateComplex(guildID, discordgo.GuildChannelCreateData{
		Name: name, Type: discordgo.ChannelTypeGuildCategory,
		Position: f.base.Position + len(f.members), PermissionOverwrites: f.base.PermissionOverwrites,
	}, discordgo.WithContext(ctx))
	if err != nil {
		return nil, false, refused(fmt.Errorf("making the overflow category %q: %w", name, err), doingMakeOverflow, categoryID, permView|permManageChannels, namedIn(f.base.PermissionOverwrites)|permManageRoles)
	}
	b.log.Info("the session category is full; made an overflow category", "guild", guildID, "category", categoryID, "overflow", c.ID, "name", name)
	return c, true, nil
}

// tellAdminsCategory tells the server's owner, at most once a day, that the
// session category is filling up or has overflowed.
func (b *Bot) tellAdminsCategory(ctx context.Context, guildID, categoryID string, count int, overflow *discordgo.Channel) {
	g, err := b.settings(ctx, guildID)
	if err != nil || g.OwnerID == "" {
		return
	}
	key := alertKey{problem: problemCategoryFull, perm: 1}
	if overflow != nil {
		key.perm = 2
	}
	if !b.dailyFor(guildID, key) {
		return
	}
	_ = b.dmIn(guildID, g.OwnerID, func(l i18n.Locale) *discordgo.MessageSend {
		text := l.T("category.filling", i18n.Args{"Category": "<#" + categoryID + ">", "Count": count, "Max": maxPerCategory})
		if overflow != nil {
			text = l.T("category.full", i18n.Args{"Category": "<#" + categoryID + ">", "Overflow": "<#" + overflow.ID + ">"})
		}
		return &discordgo.MessageSend{Content: text}
	})
}

// dailyFor reports whether a server-wide notice keyed by key may go out:
// at most once per alertWindow per server.
func (b *Bot) dailyFor(guildID string, key alertKey) bool {
	id, _ := strconv.ParseInt(strings.TrimSpace(guildID), 10, 64)
	key.circle = -id // server-wide keys never meet a circle's
	now := b.clock.Now()
	b.alertMu.Lock()
	defer b.alertMu.Unlock()
	if b.alerts == nil {
		b.alerts = map[alertKey]*alertState{}
	}
	if st := b.alerts[key]; st != nil && now.Sub(st.at) < alertWindow {
		return false
	}
	b.alerts[key] = &alertState{at: now}
	return true
}
