package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
)

// /privacy export and /privacy delete: what circlebot holds about you, as a
// file only you see, and erasure that really deletes (consent ledger
// included), after a confirmation button. The one thing erasure keeps is a
// bare marker of a facilitator's removal, so that erasing is no way back
// into a circle one was removed from; both commands say so.

// removalsKept says what erasure keeps of n removals, and why.
func removalsKept(n int) string {
	return fmt.Sprintf("a minimal record of %s (your user ID, the circle and when), so it still holds until a facilitator lifts it",
		onOff(n == 1, "the removal", "each removal"))
}

// privacyRoutes registers the handlers of this feature.
func (b *Bot) privacyRoutes() {
	b.router.Command("privacy export", b.privacyExport)
	b.router.Command("privacy delete", b.privacyDelete)
	b.router.Component("privacy-delete", b.privacyDeleteButton)
}

// privacyScope reads the scope option: this server (default) or all.
func privacyScope(r *Request) (scope, guildID string, err error) {
	switch s := r.String("scope"); s {
	case "", "guild":
		if r.GuildID == "" {
			return "", "", circles.Errorf(circles.EInvalid, "In a DM, please choose scope: All servers.")
		}
		return "guild", r.GuildID, nil
	case "all":
		return "all", "", nil
	default:
		return "", "", circles.Errorf(circles.EInvalid, "Scope must be \"This server\" or \"All servers\".")
	}
}

func scopeWords(scope string) string {
	if scope == "all" {
		return "in every server we share"
	}
	return "in this server"
}

func (b *Bot) privacyExport(ctx context.Context, r *Request) (*Response, error) {
	scope, guildID, err := privacyScope(r)
	if err != nil {
		return nil, err
	}
	x, err := b.store.ExportUser(ctx, guildID, r.UserID, r.Now)
	if err != nil {
		return nil, err
	}
	data, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return nil, circles.Internal(fmt.Errorf("encoding export: %w", err))
	}
	b.log.Info("privacy export", "guild", r.GuildID, "scope", scope)
	text := fmt.Sprintf("📄 Here is everything circlebot holds about you %s: %d membership%s, %d consent record%s, %d RSVP%s, facilitator of %d circle%s.\n"+
		"circlebot never stores: %s.\nTo erase it all, use /privacy delete.",
		scopeWords(scope), len(x.Memberships), plural(len(x.Memberships)), len(x.Consents), plural(len(x.Consents)),
		len(x.RSVPs), plural(len(x.RSVPs)), len(x.FacilitatorOf), plural(len(x.FacilitatorOf)), strings.Join(circles.NotStored, "; "))
	removed := 0
	for _, m := range x.Memberships {
		if m.Status == circles.StatusRemoved {
			removed++
		}
	}
	if removed > 0 {
		text += fmt.Sprintf("\n%d of the memberships %s removal%s by a facilitator (status \"removed\"): /privacy delete keeps %s.",
			removed, onOff(removed == 1, "is a", "are"), plural(removed), removalsKept(removed))
	}
	return &Response{
		Content: text,
		Files: []*discordgo.File{{
			Name: "circlebot-export-" + r.UserID + ".json", ContentType: "application/json", Reader: bytes.NewReader(data),
		}},
	}, nil
}

func (b *Bot) privacyDelete(ctx context.Context, r *Request) (*Response, error) {
	scope, _, err := privacyScope(r)
	if err != nil {
		return nil, err
	}
	confirm := CustomID{Action: "privacy-delete", GuildID: r.GuildID, UserID: r.UserID, Arg: scope}
	return &Response{
		Content: fmt.Sprintf("⚠️ **Erase everything circlebot holds about you %s?**\n"+
			"This ends your memberships and waitlist places, deletes your consent records and RSVPs, removes you as a facilitator, "+
			"and takes away your access to session channels. It can't be undone. (You can get a copy first with /privacy export.)\n"+
			"One thing stays: if a facilitator removed you from a circle, I keep %s.", scopeWords(scope), removalsKept(1)),
		Components: []discordgo.MessageComponent{Row(
			Button("Erase my data", discordgo.DangerButton, confirm),
			Button("Cancel", discordgo.SecondaryButton, CustomID{Action: "cancel", UserID: r.UserID}),
		)},
	}, nil
}

func (b *Bot) privacyDeleteButton(ctx context.Context, r *Request) (*Response, error) {
	if err := checkButtonOwner(r); err != nil {
		return nil, err
	}
	if r.CustomID.UserID == "" {
		return nil, errBadCustomID
	}
	var guildID string
	switch r.CustomID.Arg {
	case "guild":
		if r.GuildID == "" || r.CustomID.GuildID != r.GuildID {
			return nil, errBadCustomID
		}
		guildID = r.GuildID
	case "all":
	default:
		return nil, errBadCustomID
	}
	e, err := b.store.EraseUser(ctx, guildID, r.UserID, r.Now)
	if err != nil {
		return nil, err
	}
	refreshed := map[int64]bool{}
	for _, res := range e.Left {
		b.afterLeave(ctx, res)
		refreshed[res.Left.CircleID] = true
	}
	// A facilitator's access comes from the facilitator list, not a
	// membership: their circles' channels close to them too.
	for _, c := range e.FacilitatorOf {
		if refreshed[c.ID] {
			continue
		}
		if err := b.refreshAccess(ctx, c.GuildID, c.ID); err != nil {
			b.log.Error("updating channel access after erasure", "guild", c.GuildID, "circle", c.ID, "err", err)
		}
	}
	b.log.Info("privacy erasure", "guild", r.GuildID, "scope", r.CustomID.Arg, "memberships", e.Memberships, "removals_kept", e.RemovalsKept,
		"consent_events", e.ConsentEvents, "rsvps", e.RSVPs, "facilitations", e.Facilitations)
	text := fmt.Sprintf("🗑️ Done. I erased %d membership%s, %d consent record%s, %d RSVP%s and %d facilitator place%s %s, "+
		"and removed your access to session channels.",
		e.Memberships, plural(e.Memberships), e.ConsentEvents, plural(e.ConsentEvents), e.RSVPs, plural(e.RSVPs),
		e.Facilitations, plural(e.Facilitations), scopeWords(r.CustomID.Arg))
	if e.RemovalsKept > 0 {
		text += fmt.Sprintf(" A facilitator had removed you from %d circle%s: I kept %s. Nothing else about you is left %s.",
			e.RemovalsKept, plural(e.RemovalsKept), removalsKept(e.RemovalsKept), scopeWords(r.CustomID.Arg))
	} else {
		text += fmt.Sprintf(" Nothing about you is left %s.", scopeWords(r.CustomID.Arg))
	}
	return updateTo(text), nil
}
