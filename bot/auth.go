package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// settings returns a guild's settings, with the configured defaults for a
// guild the store has not seen yet.
func (b *Bot) settings(ctx context.Context, guildID string) (circles.GuildSettings, error) {
	g, err := b.store.GuildSettings(ctx, guildID)
	if circles.ErrorCode(err) == circles.ENotFound {
		return b.defaultGuildSettings(guildID), nil
	}
	return g, err
}

func requireGuild(r *Request) error {
	if r.GuildID == "" || r.Member == nil {
		return lerr(circles.EInvalid, "auth.guild_only")
	}
	return nil
}

// isAdmin: Manage Server (Administrator implies it in the permissions
// Discord computes for the interaction).
func isAdmin(r *Request) bool {
	return r.Member != nil && hasAdminPerms(r.Member.Permissions)
}

// hasAdminPerms: a permission set that makes a server admin here, Manage
// Server or Administrator.
func hasAdminPerms(perms int64) bool {
	return perms&(discordgo.PermissionManageGuild|discordgo.PermissionAdministrator) != 0
}

func hasRole(m *discordgo.Member, roleID string) bool {
	if m == nil || roleID == "" {
		return false
	}
	for _, r := range m.Roles {
		if r == roleID {
			return true
		}
	}
	return false
}

// requireFacilitator authorises /circle commands on the server side: the
// command's default permission only hides it. Until /setup has been run,
// it explains what to do.
func (b *Bot) requireFacilitator(ctx context.Context, r *Request) (circles.GuildSettings, error) {
	if err := requireGuild(r); err != nil {
		return circles.GuildSettings{}, err
	}
	g, err := b.settings(ctx, r.GuildID)
	if err != nil {
		return g, err
	}
	if !g.Configured {
		if isAdmin(r) {
			return g, lerr(circles.EConflict, "auth.not_set_up_admin")
		}
		return g, lerr(circles.EConflict, "auth.not_set_up")
	}
	if isAdmin(r) || hasRole(r.Member, g.FacilitatorRoleID) {
		return g, nil
	}
	if g.FacilitatorRoleID == "" {
		return g, lerr(circles.EForbidden, "roles.deleted")
	}
	return g, lerr(circles.EForbidden, "auth.only_facilitators", i18n.Args{"Role": g.FacilitatorRoleID})
}

// requireCircleFacilitator authorises changing one circle: its own
// facilitators, or server admins.
func (b *Bot) requireCircleFacilitator(ctx context.Context, r *Request, option string) (circles.Circle, circles.GuildSettings, error) {
	g, err := b.requireFacilitator(ctx, r)
	if err != nil {
		return circles.Circle{}, g, err
	}
	c, err := b.resolveCircle(ctx, r.GuildID, r.String(option))
	if err != nil {
		return c, g, err
	}
	if !c.IsFacilitator(r.UserID) && !isAdmin(r) {
		return c, g, lerr(circles.EForbidden, "auth.not_circle_facilitator", i18n.Args{"Circle": c.EscapedName()})
	}
	return c, g, nil
}

// circleChoiceValue is the value a circle autocomplete choice carries:
// "id:12". Names can't start with the prefix (circles.ValidateName), so a
// pick is never mistaken for a typed name, nor a name for a pick.
func circleChoiceValue(id int64) string {
	return circles.IDRefPrefix + strconv.FormatInt(id, 10)
}

// resolveCircle finds a circle in the guild from an option value: a circle
// picked from the autocomplete list ("id:12"), or a name typed by hand. The
// guild comes from the interaction, so a value can never reach another
// server's circle.
func (b *Bot) resolveCircle(ctx context.Context, guildID, value string) (circles.Circle, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return circles.Circle{}, lerr(circles.EInvalid, "auth.choose_circle")
	}
	if len(value) >= len(circles.IDRefPrefix) && strings.EqualFold(value[:len(circles.IDRefPrefix)], circles.IDRefPrefix) {
		id, err := strconv.ParseInt(value[len(circles.IDRefPrefix):], 10, 64)
		if err == nil && id > 0 {
			c, err := b.store.Circle(ctx, guildID, id)
			if circles.ErrorCode(err) != circles.ENotFound {
				return c, err
			}
		}
		return circles.Circle{}, lerr(circles.ENotFound, "auth.circle_gone")
	}
	c, err := b.store.CircleByName(ctx, guildID, value)
	if circles.ErrorCode(err) == circles.ENotFound {
		return c, lerr(circles.ENotFound, "auth.circle_name_not_found", i18n.Args{"Name": circles.EscapeMarkdown(value)})
	}
	return c, err
}

// circleChoices answers a circle autocomplete.
func (b *Bot) circleChoices(ctx context.Context, r *Request, f circles.CircleFilter) (*Response, error) {
	if r.GuildID == "" {
		return &Response{}, nil
	}
	f.NamePrefix = r.String(r.Focused)
	f.Limit = 25
	list, err := b.store.Circles(ctx, r.GuildID, f)
	if err != nil {
		return nil, err
	}
	resp := &Response{}
	for _, c := range list {
		resp.Choices = append(resp.Choices, circleChoice(c))
	}
	return resp, nil
}

func circleChoice(c circles.Circle) *discordgo.ApplicationCommandOptionChoice {
	return &discordgo.ApplicationCommandOptionChoice{Name: truncate(c.Name, 100), Value: circleChoiceValue(c.ID)}
}

// canFacilitate refuses making someone a co-facilitator who could not then
// use /circle: requireFacilitator lets in only the facilitator role or
// Manage Server, and keeps doing so, so that taking the role away still
// takes the access away. It reads the member Discord resolved in the
// command (roles and permissions), asking Discord only what is missing.
func (b *Bot) canFacilitate(ctx context.Context, r *Request, g circles.GuildSettings, userID string) error {
	m := resolvedMember(r, userID)
	if m == nil {
		got, err := b.dg.GuildMember(r.GuildID, userID, discordgo.WithContext(ctx))
		if err != nil {
			if isUnknown(err) {
				return lerr(circles.EInvalid, "auth.not_a_member", i18n.Args{"User": userID})
			}
			return circles.Internal(fmt.Errorf("checking member %s: %w", userID, err))
		}
		m = got
	}
	if hasRole(m, g.FacilitatorRoleID) || hasAdminPerms(m.Permissions) {
		return nil
	}
	if m.Permissions == 0 {
		// Discord leaves out a resolved member's permissions at times (and
		// a member read over REST never has them): work them out.
		admin, err := b.isServerAdmin(ctx, r.GuildID, userID, m.Roles)
		if err != nil {
			return err
		}
		if admin {
			return nil
		}
	}
	return lerr(circles.EInvalid, "auth.needs_role", i18n.Args{"User": userID, "Role": g.FacilitatorRoleID})
}

// isServerAdmin works out from the guild's roles whether a member has
// Manage Server: the owner, Administrator, or a role that grants it.
func (b *Bot) isServerAdmin(ctx context.Context, guildID, userID string, roleIDs []string) (bool, error) {
	guild, err := b.dg.Guild(guildID, discordgo.WithContext(ctx))
	if err != nil {
		return false, circles.Internal(fmt.Errorf("reading guild %s: %w", guildID, err))
	}
	if guild.OwnerID == userID {
		return true, nil
	}
	var perms int64
	for _, role := range guild.Roles {
		if role.ID == guildID || contains(roleIDs, role.ID) {
			perms |= role.Permissions
		}
	}
	return hasAdminPerms(perms), nil
}

func resolvedMember(r *Request, id string) *discordgo.Member {
	if res := resolvedData(r); res != nil {
		return res.Members[id]
	}
	return nil
}

// checkButtonOwner refuses a button used by someone it wasn't made for, or
// in another server than its own.
func checkButtonOwner(r *Request) error {
	id := r.CustomID
	if id.UserID != "" && id.UserID != r.UserID {
		return lerr(circles.EForbidden, "auth.button_not_yours")
	}
	if r.GuildID != "" && id.GuildID != "" && id.GuildID != r.GuildID {
		return lerr(circles.EForbidden, "auth.button_other_server")
	}
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
