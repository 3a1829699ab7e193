package bot

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/i18n"
)

// PermissionPinMessages is Discord's PIN_MESSAGES (1 << 51). It was split
// from Manage Messages in August 2025, and since 23 February 2026 pinning
// and unpinning need it: Manage Messages alone no longer does (Discord's
// API change log, "Permission Split Update + Timeline"). discordgo v0.29.0
// has no constant for it.
const PermissionPinMessages int64 = 1 << 51

// Permissions the bot needs in a server, each for a reason. Discord lets a
// bot name in a channel's permission overwrites only the permissions it
// holds itself in the server, so everything the bot grants members and
// facilitators in a session channel is one it must hold too — and it names
// all of them in its own overwrite there, so that a session channel gives
// the bot what its role does even where a role overwrite would deny it.
const (
	// See the session category and the channels it creates.
	permView = discordgo.PermissionViewChannel
	// Create, rename, lock and delete session channels.
	permManageChannels = discordgo.PermissionManageChannels
	// Decide who may see each session channel, from members' consent
	// (per-member overwrites; Discord calls it Manage Permissions there).
	permManageRoles = discordgo.PermissionManageRoles
	// Post guidelines, prompts, warnings and closing notes; let members
	// who may speak send messages in session channels.
	permSend = discordgo.PermissionSendMessages
	// The guidelines are an embed; without Embed Links Discord drops it
	// (and refuses the message, which has nothing else). Files are only
	// attached to interaction answers (/privacy export), which need no
	// permission, so Attach Files is not asked for.
	permEmbedLinks = discordgo.PermissionEmbedLinks
	// Read its own opening messages back after a restart, and let members
	// and facilitators read what was said before they came in.
	permReadHistory = discordgo.PermissionReadMessageHistory
	// Let facilitators remove messages in session channels: the bot can
	// grant only what it holds. It deletes nobody's messages itself.
	permManageMessages = discordgo.PermissionManageMessages
	// Pin the guidelines at the top of each session channel, and let
	// facilitators pin messages (Manage Messages no longer covers pinning).
	permPin = PermissionPinMessages
)

// RequiredPermissions is the permission integer the invite link asks for:
// the least the bot needs. It never asks for Administrator.
const RequiredPermissions = permView | permManageChannels | permManageRoles | permSend | permEmbedLinks | permReadHistory | permManageMessages | permPin

// optionalPermissions are the ones a session can do without: lacking them,
// the bot still opens sessions — it leaves them out of the overwrites it
// writes (Discord would refuse the whole channel otherwise) and tells the
// facilitators what is missing.
const optionalPermissions = permManageMessages | permPin

// permission names one permission the bot asks for; its shown name and
// why circlebot needs it are catalog messages perm.<key>.name and
// perm.<key>.reason.
type permission struct {
	bit int64
	key string // its catalog messages' stem, under perm.
}

// name is the permission as Discord's client shows it in lang.
func (p permission) name(lang i18n.Locale) string { return lang.T("perm." + p.key + ".name") }

// reason is what circlebot needs the permission for in lang, a purpose
// clause ("to see the session category…") that follows its name.
func (p permission) reason(lang i18n.Locale) string { return lang.T("perm." + p.key + ".reason") }

// botPermissions lists RequiredPermissions, in the order people read
// them.
var botPermissions = []permission{
	{permView, "view_channel"},
	{permManageChannels, "manage_channels"},
	{permManageRoles, "manage_roles"},
	{permSend, "send_messages"},
	{permEmbedLinks, "embed_links"},
	{permReadHistory, "read_message_history"},
	{permManageMessages, "manage_messages"},
	{permPin, "pin_messages"},
	// Not in RequiredPermissions: asked for (and checked) only when a
	// circle turns on events:True (events.go).
	{PermissionCreateEvents, "create_events"},
}

// permissionsIn lists the named permissions among bits.
func permissionsIn(bits int64) []permission {
	var out []permission
	for _, p := range botPermissions {
		if bits&p.bit != 0 {
			out = append(out, p)
		}
	}
	return out
}

// permissionNames is "**A**, **B** and **C**" in lang for the named
// permissions among bits.
func permissionNames(lang i18n.Locale, bits int64) string {
	var names []string
	for _, p := range permissionsIn(bits) {
		names = append(names, "**"+p.name(lang)+"**")
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return lang.T("perm.names_and", i18n.Args{"List": strings.Join(names[:len(names)-1], ", "), "Last": names[len(names)-1]})
}

// InviteURL returns the OAuth2 link that adds the bot to a server with the
// bot and applications.commands scopes and the permissions above.
func InviteURL(applicationID string) string {
	q := url.Values{}
	q.Set("client_id", applicationID)
	q.Set("scope", strings.Join([]string{"bot", "applications.commands"}, " "))
	q.Set("permissions", fmt.Sprint(RequiredPermissions))
	return "https://discord.com/oauth2/authorize?" + q.Encode()
}
