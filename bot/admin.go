package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// Admin command: /setup, and the "crisis" modal it opens. Only members with
// Manage Server (or Administrator) may change settings; the command's
// default permission only hides it, so this is checked again here.

// crisisInputID is the crisis modal's one text input.
const crisisInputID = "crisis_text"

// adminRoutes registers the handlers of this feature.
func (b *Bot) adminRoutes() {
	b.router.Command("setup", b.setupCommand)
	b.router.Modal("crisis", b.crisisSubmit)
}

func requireAdmin(r *Request) error {
	if err := requireGuild(r); err != nil {
		return err
	}
	if !isAdmin(r) {
		return lerr(circles.EForbidden, "setup.admin_only")
	}
	return nil
}

func (b *Bot) setupCommand(ctx context.Context, r *Request) (*Response, error) {
	if err := requireAdmin(r); err != nil {
		return nil, err
	}
	g, err := b.settings(ctx, r.GuildID)
	if err != nil {
		return nil, err
	}
	g.GuildID = r.GuildID
	first := !g.Configured

	roleID := r.Snowflake("facilitator_role")
	categoryID := r.Snowflake("category")
	if first && (roleID == "" || categoryID == "") {
		key := "setup.first_needs_both"
		if roleID != "" {
			key = "setup.first_needs_category"
		} else if categoryID != "" {
			key = "setup.first_needs_role"
		}
		return nil, lerr(circles.EInvalid, key)
	}

	changed := false
	if roleID != "" {
		if err := b.checkFacilitatorRole(r, roleID); err != nil {
			return nil, err
		}
		g.FacilitatorRoleID, changed = roleID, true
	}
	if categoryID != "" {
		if err := b.checkCategory(ctx, r, categoryID); err != nil {
			return nil, err
		}
		g.CategoryID, changed = categoryID, true
	}
	if v, ok := r.Int("retention_hours"); ok {
		g.RetentionHours, changed = v, true
	}
	if v, ok := r.Int("reminder_minutes"); ok {
		g.ReminderMinutes, changed = v, true
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if changed || first {
		if err := b.store.SaveGuildSettings(ctx, g); err != nil {
			return nil, err
		}
		b.log.Info("settings saved", "guild", r.GuildID, "first_setup", first)
		_ = b.sched.GuildSettingsChanged(ctx, r.GuildID) // logs its own failures
	}

	if edit, _ := r.Bool("crisis_resources"); edit {
		// A modal must be the first answer; the summary follows its submit.
		// Without the server's own text the form starts from the default
		// list in the admin's language.
		prefill := g.CrisisResources
		if strings.TrimSpace(prefill) == "" {
			prefill = r.T("helpnow.default_resources")
		}
		return &Response{Modal: &Modal{
			CustomID: CustomID{Action: "crisis", GuildID: r.GuildID, UserID: r.UserID}.Encode(),
			Title:    r.T("setup.crisis_form_title"),
			Inputs: []TextInput{{
				ID: crisisInputID, Label: r.T("setup.crisis_input"), Paragraph: true,
				Value: prefill, Required: false, MaxLength: circles.MaxCrisisTextLength,
				Placeholder: r.T("setup.crisis_placeholder"),
			}},
		}}, nil
	}
	title := r.T("setup.updated_title")
	if first {
		title = r.T("setup.set_up_title")
	} else if !changed {
		title = r.T("setup.unchanged_title")
	}
	resp := setupSummary(r.Lang, g, title)
	resp.Embeds = append(resp.Embeds, b.permissionCheckEmbed(ctx, r.Lang, r.GuildID, g.CategoryID))
	return resp, nil
}

// permissionCheckEmbed shows in lang the permission check
// (CheckPermissions) of the server and its session category, each
// permission ✅ or ❌ with what it is for and how to fix it.
func (b *Bot) permissionCheckEmbed(ctx context.Context, lang i18n.Locale, guildID, categoryID string) *discordgo.MessageEmbed {
	chk, err := CheckPermissions(ctx, b.dg, b.botUserID, guildID, categoryID)
	if err != nil {
		b.log.Warn("checking circlebot's permissions", "guild", guildID, "err", err)
		return &discordgo.MessageEmbed{Title: lang.T("perm.check.title"), Color: warnColor,
			Description: lang.T("perm.check.unreadable")}
	}
	e := &discordgo.MessageEmbed{Title: lang.T("perm.check.all_set_title"), Color: memberColor, Description: truncate(chk.Markdown(lang), 4096)}
	if n := len(permissionsIn(chk.missing(true).bits)); n > 0 || chk.CategoryMissing {
		e.Title, e.Color = lang.T("perm.check.missing_title", i18n.Args{"Count": n}), warnColor
		if chk.CategoryMissing {
			e.Title = lang.T("perm.check.category_gone_title")
		}
	}
	return e
}

// warnColor marks an embed that shows something to fix.
const warnColor = 0xE8A33D

// checkFacilitatorRole refuses roles that can't sensibly mark facilitators.
func (b *Bot) checkFacilitatorRole(r *Request, roleID string) error {
	if roleID == r.GuildID {
		return lerr(circles.EInvalid, "setup.everyone_role")
	}
	if role := resolvedRole(r, roleID); role != nil && role.Managed {
		return lerr(circles.EInvalid, "setup.managed_role", i18n.Args{"Role": role.Name})
	}
	return nil
}

// checkCategory makes sure the chosen channel is a category of this server.
// Discord's client only offers categories, but the value is still input.
func (b *Bot) checkCategory(ctx context.Context, r *Request, id string) error {
	ch := resolvedChannel(r, id)
	if ch == nil {
		got, err := b.dg.Channel(id, discordgo.WithContext(ctx))
		if err != nil {
			if isUnknown(err) {
				return lerr(circles.ENotFound, "setup.category_not_found")
			}
			return circles.Internal(fmt.Errorf("reading category %s: %w", id, err))
		}
		ch = got
	}
	if ch.GuildID != "" && ch.GuildID != r.GuildID {
		return lerr(circles.EInvalid, "setup.category_other_server")
	}
	if ch.Type != discordgo.ChannelTypeGuildCategory {
		return lerr(circles.EInvalid, "setup.not_a_category", i18n.Args{"Channel": ch.Name})
	}
	return nil
}

func resolvedData(r *Request) *discordgo.ApplicationCommandInteractionDataResolved {
	if r.Interaction == nil || r.Interaction.Type != discordgo.InteractionApplicationCommand {
		return nil
	}
	return r.Interaction.ApplicationCommandData().Resolved
}

func resolvedRole(r *Request, id string) *discordgo.Role {
	if res := resolvedData(r); res != nil {
		return res.Roles[id]
	}
	return nil
}

func resolvedChannel(r *Request, id string) *discordgo.Channel {
	if res := resolvedData(r); res != nil {
		if ch := res.Channels[id]; ch != nil {
			if ch.GuildID == "" {
				ch.GuildID = r.GuildID // resolved channels of a guild command are the guild's
			}
			return ch
		}
	}
	return nil
}

func (b *Bot) crisisSubmit(ctx context.Context, r *Request) (*Response, error) {
	if err := requireAdmin(r); err != nil {
		return nil, err
	}
	if err := checkButtonOwner(r); err != nil {
		return nil, err
	}
	if r.CustomID.GuildID != r.GuildID {
		return nil, errBadCustomID
	}
	g, err := b.settings(ctx, r.GuildID)
	if err != nil {
		return nil, err
	}
	if !g.Configured {
		return nil, lerr(circles.EConflict, "setup.crisis_not_set_up")
	}
	text := strings.TrimSpace(strings.ReplaceAll(r.Fields[crisisInputID], "\r\n", "\n"))
	if isDefaultCrisis(text) {
		text = "" // keep following the defaults, in each member's language, as they improve
	}
	if n := len([]rune(text)); n > circles.MaxCrisisTextLength {
		return nil, lerr(circles.EInvalid, "setup.crisis_too_long", i18n.Args{"Max": circles.MaxCrisisTextLength, "Length": n, "Over": n - circles.MaxCrisisTextLength})
	}
	g.CrisisResources = text
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := b.store.SaveGuildSettings(ctx, g); err != nil {
		return nil, err
	}
	b.log.Info("crisis resources saved", "guild", r.GuildID, "default", text == "")
	return setupSummary(r.Lang, g, r.T("setup.crisis_saved_title")), nil
}

// setupSummary shows in lang the settings and what to do next. Role and
// channel mentions render as names; allowed_mentions keeps them from
// pinging.
func setupSummary(lang i18n.Locale, g circles.GuildSettings, title string) *Response {
	crisis := lang.T("setup.summary.crisis_default")
	if strings.TrimSpace(g.CrisisResources) != "" {
		crisis = truncate(g.CrisisResources, 300)
	}
	reminders := lang.T("setup.summary.reminders_off")
	if g.ReminderMinutes > 0 {
		reminders = lang.T("setup.summary.reminders", i18n.Args{"Count": g.ReminderMinutes})
	}
	retention := lang.T("setup.summary.retention_none")
	if g.RetentionHours > 0 {
		retention = lang.T("setup.summary.retention", i18n.Args{"Count": g.RetentionHours})
	}
	role := fmt.Sprintf("<@&%s>", g.FacilitatorRoleID)
	if g.FacilitatorRoleID == "" {
		role = lang.T("setup.summary.role_missing")
	}
	e := &discordgo.MessageEmbed{
		Title: title,
		Color: memberColor,
		Fields: []*discordgo.MessageEmbedField{
			{Name: lang.T("setup.summary.role_field"), Value: role, Inline: true},
			{Name: lang.T("setup.summary.channels_field"), Value: fmt.Sprintf("<#%s>", g.CategoryID), Inline: true},
			{Name: lang.T("setup.summary.reminders_field"), Value: reminders},
			{Name: lang.T("setup.summary.retention_field"), Value: retention},
			{Name: lang.T("setup.summary.crisis_field"), Value: crisis},
		},
	}
	next := lang.T("setup.next_steps", i18n.Args{"Role": g.FacilitatorRoleID, "Category": g.CategoryID})
	if g.FacilitatorRoleID == "" {
		next = lang.T("setup.next_step_no_role")
	}
	return &Response{Content: next, Embeds: []*discordgo.MessageEmbed{e}}
}

// isDefaultCrisis reports whether text is a default crisis list, of any
// language: saved unchanged, the server keeps the defaults.
func isDefaultCrisis(text string) bool {
	if text == circles.DefaultCrisisResources {
		return true
	}
	for _, loc := range i18n.Supported {
		if text == strings.TrimSpace(loc.T("helpnow.default_resources")) {
			return true
		}
	}
	return false
}
