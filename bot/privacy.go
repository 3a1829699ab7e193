package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// /privacy export and /privacy delete: what circlebot holds about you, as a
// file only you see, and erasure that really deletes (consent ledger
// included), after a confirmation button. The one thing erasure keeps is a
// bare marker of a facilitator's removal, so that erasing is no way back
// into a circle one was removed from; both commands say so.

// removalsKept says what erasure keeps of n removals, and why.
func removalsKept(lang i18n.Locale, n int) string {
	if n == 1 {
		return lang.T("privacy.kept_one")
	}
	return lang.T("privacy.kept_each")
}

// count is one counted thing of a privacy reply: a plural message of the
// catalog ("3 memberships") and how many.
type count struct {
	key string
	n   int
}

// counted lists the counts in lang as "a, b, c" or, with and, "a, b and c".
func counted(lang i18n.Locale, and bool, items ...count) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = lang.T(it.key, i18n.Args{"Count": it.n})
	}
	if len(parts) < 2 || !and {
		return strings.Join(parts, ", ")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " " + lang.T("common.and") + " " + parts[len(parts)-1]
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
			return "", "", lerr(circles.EInvalid, "privacy.dm_scope")
		}
		return "guild", r.GuildID, nil
	case "all":
		return "all", "", nil
	default:
		return "", "", lerr(circles.EInvalid, "privacy.bad_scope")
	}
}

func scopeWords(lang i18n.Locale, scope string) string {
	if scope == "all" {
		return lang.T("privacy.scope_all")
	}
	return lang.T("privacy.scope_guild")
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
	text := r.T("privacy.export", i18n.Args{
		"Scope": scopeWords(r.Lang, scope),
		"Items": counted(r.Lang, false, count{"privacy.memberships", len(x.Memberships)}, count{"privacy.consents", len(x.Consents)},
			count{"privacy.rsvps", len(x.RSVPs)}, count{"privacy.facilitator_of", len(x.FacilitatorOf)}),
		"NotStored": r.T("privacy.not_stored"), // circles.NotStored, in the reader's language
	})
	removed := 0
	for _, m := range x.Memberships {
		if m.Status == circles.StatusRemoved {
			removed++
		}
	}
	if removed > 0 {
		text += "\n" + r.T("privacy.export_removed", i18n.Args{"Count": removed, "Kept": removalsKept(r.Lang, removed)})
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
		Content: r.T("privacy.confirm", i18n.Args{"Scope": scopeWords(r.Lang, scope), "Kept": removalsKept(r.Lang, 1)}),
		Components: []discordgo.MessageComponent{Row(
			Button(r.T("privacy.erase_button"), discordgo.DangerButton, confirm),
			Button(r.T("member.cancel_button"), discordgo.SecondaryButton, CustomID{Action: "cancel", UserID: r.UserID}),
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
	b.forgetLocale(guildID, r.UserID) // nor does the memory keep their locale
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
	scope := scopeWords(r.Lang, r.CustomID.Arg)
	text := r.T("privacy.erased", i18n.Args{"Scope": scope,
		"Items": counted(r.Lang, true, count{"privacy.memberships", e.Memberships}, count{"privacy.consents", e.ConsentEvents},
			count{"privacy.rsvps", e.RSVPs}, count{"privacy.facilitations", e.Facilitations})})
	if e.RemovalsKept > 0 {
		text += " " + r.T("privacy.erased_removals", i18n.Args{"Count": e.RemovalsKept, "Kept": removalsKept(r.Lang, e.RemovalsKept), "Scope": scope})
	} else {
		text += " " + r.T("privacy.nothing_left", i18n.Args{"Scope": scope})
	}
	return updateTo(text), nil
}
