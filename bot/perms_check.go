package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// What the bot holds in a server, read from Discord when it needs to know:
// to say exactly which permission is missing when Discord refuses a call
// (explainRefusal), and for the permission check of /setup, the owner's
// welcome DM and `circlebot check` (CheckPermissions). Nothing is cached:
// a server's roles change without telling, and a wrong answer here would
// send an admin to fix the wrong thing.

// serverAccess is the bot's standing in one server: the roles' permissions
// and which of them the bot has.
type serverAccess struct {
	guildID  string
	name     string
	ownerID  string
	botID    string
	roles    map[string]int64 // role ID → permissions; @everyone's ID is the guild's
	botRoles []string
	roleName string // the bot's own (managed) role, for advice
}

// readServerAccess reads the server's roles and the bot's member entry.
func readServerAccess(ctx context.Context, dg *discordgo.Session, guildID, botID string) (*serverAccess, error) {
	g, err := dg.Guild(guildID, discordgo.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("reading the server's roles: %w", err)
	}
	m, err := dg.GuildMember(guildID, botID, discordgo.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("reading circlebot's roles in the server: %w", err)
	}
	a := &serverAccess{guildID: guildID, name: g.Name, ownerID: g.OwnerID, botID: botID, roles: map[string]int64{}, botRoles: m.Roles}
	for _, r := range g.Roles {
		a.roles[r.ID] = r.Permissions
		if r.Managed && contains(m.Roles, r.ID) && a.roleName == "" {
			a.roleName = r.Name
		}
	}
	if a.roleName == "" {
		a.roleName = "circlebot"
	}
	return a, nil
}

// base is the bot's server-wide permissions (Discord's
// compute_base_permissions): @everyone plus its roles; the owner and
// Administrator hold everything.
func (a *serverAccess) base() int64 {
	if a.botID == a.ownerID {
		return discordgo.PermissionAll
	}
	perms := a.roles[a.guildID]
	for _, r := range a.botRoles {
		perms |= a.roles[r]
	}
	if perms&discordgo.PermissionAdministrator != 0 {
		return discordgo.PermissionAll
	}
	return perms
}

// admin reports whether overwrites don't apply to the bot at all.
func (a *serverAccess) admin() bool { return a.base() == discordgo.PermissionAll }

// in is the bot's permissions in a channel (Discord's compute_overwrites):
// the channel's @everyone overwrite, then its role overwrites together,
// then the bot's own; with Discord's implicit rules — no View Channel, no
// permissions there at all; no Send Messages, none of what sending
// carries (Embed Links among them).
func (a *serverAccess) in(ch *discordgo.Channel) int64 {
	perms := a.base()
	if perms == discordgo.PermissionAll || ch == nil {
		return perms
	}
	apply := func(allow, deny int64) { perms = perms&^deny | allow }
	for _, ow := range ch.PermissionOverwrites {
		if ow.ID == a.guildID {
			apply(ow.Allow, ow.Deny)
		}
	}
	var allow, deny int64
	for _, ow := range ch.PermissionOverwrites {
		if ow.Type == discordgo.PermissionOverwriteTypeRole && ow.ID != a.guildID && contains(a.botRoles, ow.ID) {
			allow |= ow.Allow
			deny |= ow.Deny
		}
	}
	apply(allow, deny)
	for _, ow := range ch.PermissionOverwrites {
		if ow.Type == discordgo.PermissionOverwriteTypeMember && ow.ID == a.botID {
			apply(ow.Allow, ow.Deny)
		}
	}
	if perms&permView == 0 {
		return 0
	}
	if perms&permSend == 0 {
		perms &^= permEmbedLinks | discordgo.PermissionAttachFiles | discordgo.PermissionMentionEveryone | discordgo.PermissionSendTTSMessages
	}
	return perms
}

// fixOnRole says how an admin grants a permission to the bot's role.
func (a *serverAccess) fixOnRole(p permission) string {
	return fmt.Sprintf("turn on **%s** for the **%s** role (Server Settings → Roles → %s)", p.name, a.roleName, a.roleName)
}

// fixIn says how an admin lets the bot have a permission in one channel or
// category whose overwrites take it away.
func fixIn(p permission, ch *discordgo.Channel) string {
	what, edit := "channel", "Edit Channel"
	if ch.Type == discordgo.ChannelTypeGuildCategory {
		what, edit = "category", "Edit Category"
	}
	return fmt.Sprintf("allow **%s** for circlebot in the permissions of the %s <#%s> (%s → Permissions), where an overwrite takes it away", p.name, what, ch.ID, edit)
}

// PermissionRow is one permission of a check: what it is for, whether the
// bot has it where it needs it, and how to fix it if not.
type PermissionRow struct {
	bit      int64
	Name     string
	Why      string
	OK       bool
	Optional bool   // sessions open without it; something is missing from them
	Fix      string // markdown; empty when OK
}

// PermissionCheck is the bot's permissions in a server and, once /setup
// chose one, in its session category.
type PermissionCheck struct {
	GuildID, GuildName string
	CategoryID         string // "" when none is configured yet
	CategoryMissing    bool   // the configured category no longer exists
	Rows               []PermissionRow
}

// OK reports whether the bot has every permission it asks for.
func (c PermissionCheck) OK() bool {
	if c.CategoryMissing {
		return false
	}
	for _, r := range c.Rows {
		if !r.OK {
			return false
		}
	}
	return true
}

// CheckPermissions checks that the bot holds what it asks for: each
// permission in the server (it can only grant in session channels what
// it holds there), and View Channel and Manage Channels also in the
// session category, where it creates channels.
func CheckPermissions(ctx context.Context, dg *discordgo.Session, botID, guildID, categoryID string) (PermissionCheck, error) {
	a, err := readServerAccess(ctx, dg, guildID, botID)
	if err != nil {
		return PermissionCheck{}, err
	}
	out := PermissionCheck{GuildID: guildID, GuildName: a.name, CategoryID: categoryID}
	var category *discordgo.Channel
	if categoryID != "" {
		category, err = dg.Channel(categoryID, discordgo.WithContext(ctx))
		switch {
		case isUnknown(err):
			out.CategoryMissing = true
			category = nil
		case isRefused(err):
			// The bot can't see it: View Channel is missing there.
			category = &discordgo.Channel{ID: categoryID, Type: discordgo.ChannelTypeGuildCategory, PermissionOverwrites: []*discordgo.PermissionOverwrite{{ID: guildID, Type: discordgo.PermissionOverwriteTypeRole, Deny: permView}}}
		case err != nil:
			return out, fmt.Errorf("reading the session category: %w", err)
		}
	}
	base := a.base()
	var inCategory int64
	if category != nil {
		inCategory = a.in(category)
	}
	for _, p := range botPermissions {
		if p.bit&RequiredPermissions == 0 {
			continue // Create Events: checked when a circle turns events on (requireEventsPermission)
		}
		row := PermissionRow{bit: p.bit, Name: p.name, Why: p.why, OK: true, Optional: p.bit&optionalPermissions != 0}
		switch {
		case base&p.bit == 0:
			row.OK, row.Fix = false, a.fixOnRole(p)
		case category != nil && p.bit&(permView|permManageChannels) != 0 && inCategory&p.bit == 0:
			row.OK, row.Fix = false, fixIn(p, category)
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// missing collects the permissions the check found missing and their
// fixes; the optional ones only if asked for.
func (c PermissionCheck) missing(optional bool) missing {
	m := missing{fixes: map[int64]string{}}
	for _, r := range c.Rows {
		if !r.OK && (optional || !r.Optional) {
			m.bits |= r.bit
			m.fixes[r.bit] = r.Fix
		}
	}
	return m
}

// Markdown renders the check for a Discord message: one line per
// permission, ✅ or ❌, with the reason and the fix.
func (c PermissionCheck) Markdown() string {
	var sb strings.Builder
	switch {
	case c.CategoryMissing:
		fmt.Fprintf(&sb, "❌ The session category (%s) no longer exists. A server admin can choose one with `/setup category:`.\n", c.CategoryID)
	case c.CategoryID != "":
		fmt.Fprintf(&sb, "Permissions circlebot needs in this server and in <#%s>:\n", c.CategoryID)
	default:
		sb.WriteString("Permissions circlebot needs in this server:\n")
	}
	for _, r := range c.Rows {
		mark := "✅"
		if !r.OK {
			mark = "❌"
		}
		fmt.Fprintf(&sb, "%s **%s** — to %s", mark, r.Name, r.Why)
		if !r.OK {
			fmt.Fprintf(&sb, ". Fix: %s", r.Fix)
			if r.Optional {
				sb.WriteString(" (sessions still open without it)")
			}
		}
		sb.WriteString(".\n")
	}
	return strings.TrimSuffix(sb.String(), "\n")
}

// Text renders the check for a terminal.
func (c PermissionCheck) Text() string {
	var sb strings.Builder
	name := c.GuildName
	if name == "" {
		name = c.GuildID
	}
	fmt.Fprintf(&sb, "%s (%s)", name, c.GuildID)
	switch {
	case c.CategoryMissing:
		fmt.Fprintf(&sb, ": session category %s no longer exists; run /setup category: there\n", c.CategoryID)
	case c.CategoryID == "":
		sb.WriteString(": no session category yet (run /setup there)\n")
	default:
		fmt.Fprintf(&sb, ", session category %s\n", c.CategoryID)
	}
	for _, r := range c.Rows {
		mark := "ok     "
		if !r.OK {
			mark = "MISSING"
		}
		fmt.Fprintf(&sb, "  %s %-22s to %s\n", mark, r.Name, r.Why)
		if !r.OK {
			fmt.Fprintf(&sb, "          fix: %s\n", plainMarkdown(r.Fix))
		}
	}
	return sb.String()
}

// plainMarkdown drops the markdown a terminal would show literally.
func plainMarkdown(s string) string {
	return strings.NewReplacer("**", "", "<#", "#", ">", "").Replace(s)
}

// refusal is a call Discord refused for want of permissions (50001 Missing
// Access, 50013 Missing Permissions), with what the call needed, so that
// the facilitators can be told exactly what is missing and where.
type refusal struct {
	err       error
	what      string // what the bot was doing, to precede "the session of…": "pin the guidelines in"
	channelID string // where: the channel, or the category a channel is created in
	need      int64  // permissions the call needs there
	named     int64  // permissions it names in overwrites: the bot must hold them in the server
	create    bool   // channelID is the category of a channel being created
}

func (r *refusal) Error() string { return r.what + ": " + r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// refused wraps err with what the call needed when Discord refused it for
// permissions; any other error is returned as it is.
func refused(err error, what, channelID string, need, named int64) error {
	if !isRefused(err) {
		return err
	}
	return &refusal{err: err, what: what, channelID: channelID, need: need, named: named}
}

// isRefused reports whether err is Discord's 50001 Missing Access or 50013
// Missing Permissions.
func isRefused(err error) bool {
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) || rest.Message == nil {
		return false
	}
	return rest.Message.Code == discordgo.ErrCodeMissingAccess || rest.Message.Code == discordgo.ErrCodeMissingPermissions
}

// missing is what a refusal lacks, read from Discord now, and how an admin
// grants each.
type missing struct {
	bits  int64
	fixes map[int64]string
}

// explainRefusal finds which permissions a refused call lacks: the bot's
// permissions in the server and in the channel (or the category a channel
// is created in), computed from the roles and overwrites as Discord does.
func (b *Bot) explainRefusal(ctx context.Context, guildID string, r *refusal) (missing, error) {
	out := missing{fixes: map[int64]string{}}
	a, err := readServerAccess(ctx, b.dg, guildID, b.botUserID)
	if err != nil {
		return out, err
	}
	var ch *discordgo.Channel
	if r.channelID != "" {
		ch, err = b.dg.Channel(r.channelID, discordgo.WithContext(ctx))
		if err != nil && !isRefused(err) {
			return out, fmt.Errorf("reading the channel: %w", err)
		}
		if err != nil {
			// Not even visible: the channel's overwrites hide it.
			ch = &discordgo.Channel{ID: r.channelID, Type: discordgo.ChannelTypeGuildText,
				PermissionOverwrites: []*discordgo.PermissionOverwrite{{ID: guildID, Type: discordgo.PermissionOverwriteTypeRole, Deny: permView}}}
		}
	}
	base, here := a.base(), a.in(ch)
	// A channel is created with overwrites naming only what the bot holds
	// in the server; edits may name what it holds in the parent category.
	nameable := base
	if ch != nil && ch.ParentID != "" && !r.create {
		if parent, err := b.dg.Channel(ch.ParentID, discordgo.WithContext(ctx)); err == nil {
			nameable |= a.in(parent)
		}
	}
	need := r.need
	if here&permView == 0 {
		// Without View Channel nothing else counts there; the rest is
		// checked again once that is fixed, except what the role lacks.
		need &= permView | ^base
	}
	for _, p := range botPermissions {
		switch {
		case need&p.bit != 0 && here&p.bit == 0:
			out.bits |= p.bit
			if base&p.bit == 0 || ch == nil {
				out.fixes[p.bit] = a.fixOnRole(p)
			} else {
				out.fixes[p.bit] = fixIn(p, ch)
			}
		case r.named&p.bit != 0 && nameable&p.bit == 0:
			out.bits |= p.bit
			out.fixes[p.bit] = a.fixOnRole(p)
		}
	}
	return out, nil
}

// describe says, for facilitators, what is missing, what it is for and how
// to fix it. where names the channel for the first sentence.
func (m missing) describe(where string) string {
	ps := permissionsIn(m.bits)
	if len(ps) == 1 {
		p := ps[0]
		return fmt.Sprintf("circlebot is missing **%s**%s, which it needs to %s. A server admin can fix it: %s.", p.name, where, p.why, m.fixes[p.bit])
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "circlebot is missing %s%s. A server admin can fix it:", permissionNames(m.bits), where)
	for _, p := range ps {
		fmt.Fprintf(&sb, "\n• **%s** (to %s): %s.", p.name, p.why, m.fixes[p.bit])
	}
	return sb.String()
}
