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
		return circles.Errorf(circles.EForbidden, "Only server admins (people with the Manage Server permission) can change circlebot's settings. If something should change, please ask one of them.")
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
		var missing []string
		if roleID == "" {
			missing = append(missing, "**facilitator_role** (the role whose members may create and run circles)")
		}
		if categoryID == "" {
			missing = append(missing, "**category** (where session channels are created)")
		}
		return nil, circles.Errorf(circles.EInvalid, "The first /setup needs %s. Please run /setup again with them; nothing was saved.",
			strings.Join(missing, " and "))
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
	title := "✅ circlebot settings updated"
	if first {
		title = "✅ circlebot is set up"
	} else if !changed {
		title = "circlebot settings (nothing changed)"
	}
	resp := setupSummary(g, title)
	resp.Embeds = append(resp.Embeds, b.permissionCheckEmbed(ctx, r.GuildID, g.CategoryID))
	return resp, nil
}

// permissionCheckEmbed shows the permission check (CheckPermissions) of
// the server and its session category, each permission ✅ or ❌ with what
// it is for and how to fix it.
func (b *Bot) permissionCheckEmbed(ctx context.Context, guildID, categoryID string) *discordgo.MessageEmbed {
	chk, err := CheckPermissions(ctx, b.dg, b.botUserID, guildID, categoryID)
	if err != nil {
		b.log.Warn("checking circlebot's permissions", "guild", guildID, "err", err)
		return &discordgo.MessageEmbed{Title: "Permission check", Color: warnColor,
			Description: "I couldn't read my permissions just now (Discord didn't answer). Run /setup again in a moment to see them checked."}
	}
	e := &discordgo.MessageEmbed{Title: "✅ Permission check: all set", Color: memberColor, Description: truncate(chk.Markdown(), 4096)}
	if n := len(permissionsIn(chk.missing(true).bits)); n > 0 || chk.CategoryMissing {
		e.Title, e.Color = fmt.Sprintf("⚠️ Permission check: %d missing", n), warnColor
		if chk.CategoryMissing {
			e.Title = "⚠️ Permission check: the session category is gone"
		}
	}
	return e
}

// warnColor marks an embed that shows something to fix.
const warnColor = 0xE8A33D

// checkFacilitatorRole refuses roles that can't sensibly mark facilitators.
func (b *Bot) checkFacilitatorRole(r *Request, roleID string) error {
	if roleID == r.GuildID {
		return circles.Errorf(circles.EInvalid, "@everyone can't be the facilitator role: everyone could then run circles. Please create a role such as \"Facilitators\" and choose it.")
	}
	if role := resolvedRole(r, roleID); role != nil && role.Managed {
		return circles.Errorf(circles.EInvalid, "%s is managed by an integration (a bot or a subscription), so you can't give it to people. Please choose a role you assign yourself.", role.Name)
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
				return circles.Errorf(circles.ENotFound, "I can't find that category. Please pick one from the list, and make sure I can see it.")
			}
			return circles.Internal(fmt.Errorf("reading category %s: %w", id, err))
		}
		ch = got
	}
	if ch.GuildID != "" && ch.GuildID != r.GuildID {
		return circles.Errorf(circles.EInvalid, "That category belongs to another server. Please pick one of this server's categories.")
	}
	if ch.Type != discordgo.ChannelTypeGuildCategory {
		return circles.Errorf(circles.EInvalid, "#%s is not a category. Session channels are created inside a category: please pick one (or create one, e.g. \"Circles\").", ch.Name)
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
		return nil, circles.Errorf(circles.EConflict, "Please run /setup with a facilitator_role and a category first; then you can edit the crisis resources.")
	}
	text := strings.TrimSpace(strings.ReplaceAll(r.Fields[crisisInputID], "\r\n", "\n"))
	if isDefaultCrisis(text) {
		text = "" // keep following the defaults, in each member's language, as they improve
	}
	if n := len([]rune(text)); n > circles.MaxCrisisTextLength {
		return nil, circles.Errorf(circles.EInvalid, "Crisis resources can be at most %d characters; yours have %d. Please shorten them by %d; nothing was saved.", circles.MaxCrisisTextLength, n, n-circles.MaxCrisisTextLength)
	}
	g.CrisisResources = text
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if err := b.store.SaveGuildSettings(ctx, g); err != nil {
		return nil, err
	}
	b.log.Info("crisis resources saved", "guild", r.GuildID, "default", text == "")
	return setupSummary(g, "✅ Crisis resources saved"), nil
}

// setupSummary shows the settings and what to do next. Role and channel
// mentions render as names; allowed_mentions keeps them from pinging.
func setupSummary(g circles.GuildSettings, title string) *Response {
	crisis := "The default international list (run /setup crisis_resources:True to write your own)."
	if strings.TrimSpace(g.CrisisResources) != "" {
		crisis = truncate(g.CrisisResources, 300)
	}
	reminders := "Off"
	if g.ReminderMinutes > 0 {
		reminders = fmt.Sprintf("%d minutes before each session, by DM", g.ReminderMinutes)
	}
	retention := "Deleted as soon as the session closes"
	if g.RetentionHours > 0 {
		retention = fmt.Sprintf("Kept %d hours after a session closes, then deleted", g.RetentionHours)
	}
	role := fmt.Sprintf("<@&%s>", g.FacilitatorRoleID)
	if g.FacilitatorRoleID == "" {
		role = "⚠️ Missing: it was deleted in Discord. Choose one with `/setup facilitator_role:`; until then only server admins can run /circle."
	}
	e := &discordgo.MessageEmbed{
		Title: title,
		Color: memberColor,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Facilitator role", Value: role, Inline: true},
			{Name: "Session channels in", Value: fmt.Sprintf("<#%s>", g.CategoryID), Inline: true},
			{Name: "Reminders", Value: reminders},
			{Name: "Closed session channels", Value: retention},
			{Name: "Crisis resources (/helpnow)", Value: crisis},
		},
	}
	next := fmt.Sprintf("**Next steps**\n"+
		"• Facilitators (members with <@&%[1]s>) can now **/circle create** a circle.\n"+
		"• Discord shows **/circle** only to members with the Manage Channels permission, so facilitators without it won't see it. "+
		"Either give <@&%[1]s> Manage Channels, or allow <@&%[1]s> to use /circle in Server Settings → Integrations → circlebot.\n"+
		"• Members find circles with **/circles** and join with **/join**.\n"+
		"• Session channels are created in <#%[2]s>; the permission check below shows what I can do there.\n"+
		"• Run /setup again any time; it changes only the options you give, and checks my permissions again.", g.FacilitatorRoleID, g.CategoryID)
	if g.FacilitatorRoleID == "" {
		next = "**Next step**\n• The facilitator role was deleted in Discord: choose another with `/setup facilitator_role:`. Until then only server admins can run /circle."
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
