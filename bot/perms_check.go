package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/i18n"
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

// fix is how an admin grants the bot a missing permission: on the bot's
// role, or in the one channel or category whose overwrites take it away.
type fix struct {
	role      string // the bot's role; "" when the fix is in channelID
	channelID string
	category  bool // channelID is a category
}

// fixOnRole is granting a permission to the bot's role.
func (a *serverAccess) fixOnRole() fix { return fix{role: a.roleName} }

// fixIn is letting the bot have a permission in one channel or category
// whose overwrites take it away.
func fixIn(ch *discordgo.Channel) fix {
	return fix{channelID: ch.ID, category: ch.Type == discordgo.ChannelTypeGuildCategory}
}

// text says in lang how to fix p, in markdown, to follow a colon.
func (f fix) text(lang i18n.Locale, p permission) string {
	args := i18n.Args{"Permission": p.name(lang), "Role": f.role, "Channel": f.channelID}
	switch {
	case f.channelID == "":
		return lang.T("perm.fix.on_role", args)
	case f.category:
		return lang.T("perm.fix.in_category", args)
	}
	return lang.T("perm.fix.in_channel", args)
}

// PermissionRow is one permission of a check: what it is for, whether the
// bot has it where it needs it, and how to fix it if not.
type PermissionRow struct {
	perm     permission
	OK       bool
	Optional bool // sessions open without it; something is missing from them
	fix      fix  // when not OK
}

// Name is the permission as Discord's client shows it in lang.
func (r PermissionRow) Name(lang i18n.Locale) string { return r.perm.name(lang) }

// Why is what circlebot needs the permission for, in lang.
func (r PermissionRow) Why(lang i18n.Locale) string { return r.perm.reason(lang) }

// Fix says in lang how to fix the row, in markdown; "" when it is OK.
func (r PermissionRow) Fix(lang i18n.Locale) string {
	if r.OK {
		return ""
	}
	return r.fix.text(lang, r.perm)
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
		row := PermissionRow{perm: p, OK: true, Optional: p.bit&optionalPermissions != 0}
		switch {
		case base&p.bit == 0:
			row.OK, row.fix = false, a.fixOnRole()
		case category != nil && p.bit&(permView|permManageChannels) != 0 && inCategory&p.bit == 0:
			row.OK, row.fix = false, fixIn(category)
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// missing collects the permissions the check found missing and their
// fixes; the optional ones only if asked for.
func (c PermissionCheck) missing(optional bool) missing {
	m := missing{fixes: map[int64]fix{}}
	for _, r := range c.Rows {
		if !r.OK && (optional || !r.Optional) {
			m.bits |= r.perm.bit
			m.fixes[r.perm.bit] = r.fix
		}
	}
	return m
}

// Markdown renders the check in lang for a Discord message: one line per
// permission, ✅ or ❌, with the reason and the fix.
func (c PermissionCheck) Markdown(lang i18n.Locale) string {
	var lines []string
	switch {
	case c.CategoryMissing:
		lines = append(lines, lang.T("perm.check.category_gone", i18n.Args{"Category": c.CategoryID}))
	case c.CategoryID != "":
		lines = append(lines, lang.T("perm.check.header_category", i18n.Args{"Category": c.CategoryID}))
	default:
		lines = append(lines, lang.T("perm.check.header"))
	}
	for _, r := range c.Rows {
		args := i18n.Args{"Permission": r.Name(lang), "Reason": r.Why(lang)}
		key := "perm.check.row_ok"
		if !r.OK {
			args["Fix"] = r.Fix(lang)
			key = "perm.check.row_missing"
			if r.Optional {
				key = "perm.check.row_missing_optional"
			}
		}
		lines = append(lines, lang.T(key, args))
	}
	return strings.Join(lines, "\n")
}

// Text renders the check for a terminal, in English: the operator's
// language (`circlebot check`).
func (c PermissionCheck) Text() string {
	en := i18n.English
	var sb strings.Builder
	name := c.GuildName
	if name == "" {
		name = c.GuildID
	}
	fmt.Fprintf(&sb, "%s (%s)", name, c.GuildID)
	category := i18n.Args{"Category": c.CategoryID}
	switch {
	case c.CategoryMissing:
		fmt.Fprintf(&sb, ": %s\n", en.T("perm.cli.category_gone", category))
	case c.CategoryID == "":
		fmt.Fprintf(&sb, ": %s\n", en.T("perm.cli.no_category"))
	default:
		fmt.Fprintf(&sb, ", %s\n", en.T("perm.cli.category", category))
	}
	for _, r := range c.Rows {
		mark := "ok     "
		if !r.OK {
			mark = "MISSING"
		}
		fmt.Fprintf(&sb, "  %s %-22s %s\n", mark, r.Name(en), r.Why(en))
		if !r.OK {
			fmt.Fprintf(&sb, "          fix: %s\n", plainMarkdown(r.Fix(en)))
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
	fixes map[int64]fix
}

// explainRefusal finds which permissions a refused call lacks: the bot's
// permissions in the server and in the channel (or the category a channel
// is created in), computed from the roles and overwrites as Discord does.
func (b *Bot) explainRefusal(ctx context.Context, guildID string, r *refusal) (missing, error) {
	out := missing{fixes: map[int64]fix{}}
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
				out.fixes[p.bit] = a.fixOnRole()
			} else {
				out.fixes[p.bit] = fixIn(ch)
			}
		case r.named&p.bit != 0 && nameable&p.bit == 0:
			out.bits |= p.bit
			out.fixes[p.bit] = a.fixOnRole()
		}
	}
	return out, nil
}

// place is where permissions are missing, as describe's first sentence
// names it: its catalog messages for one permission and for several, and
// the channel they mention.
type place struct {
	single, several string
	channelID       string
}

// inChannel is in channel id; with no channel, no place is named.
func inChannel(id string) place {
	if id == "" {
		return place{"perm.missing.single", "perm.missing.several", ""}
	}
	return place{"perm.missing.single_channel", "perm.missing.several_channel", id}
}

// inServer is in the server as a whole.
func inServer() place {
	return place{"perm.missing.single_server", "perm.missing.several_server", ""}
}

// inServerOrCategory is in the server or in its session category.
func inServerOrCategory(categoryID string) place {
	return place{"perm.missing.single_server_category", "perm.missing.several_server_category", categoryID}
}

// describe says in lang, for facilitators, what is missing where, what it
// is for and how to fix it.
func (m missing) describe(lang i18n.Locale, where place) string {
	ps := permissionsIn(m.bits)
	args := func(p permission) i18n.Args {
		return i18n.Args{"Permission": p.name(lang), "Reason": p.reason(lang), "Fix": m.fixes[p.bit].text(lang, p), "Channel": where.channelID}
	}
	if len(ps) == 1 {
		return lang.T(where.single, args(ps[0]))
	}
	var sb strings.Builder
	sb.WriteString(lang.T(where.several, i18n.Args{"Permissions": permissionNames(lang, m.bits), "Channel": where.channelID}))
	for _, p := range ps {
		sb.WriteString("\n")
		sb.WriteString(lang.T("perm.missing.item", args(p)))
	}
	return sb.String()
}
