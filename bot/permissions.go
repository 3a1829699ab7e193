package bot

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Permissions the bot needs in a server, each for a reason:
const (
	// See the session category and the channels it creates.
	permView = discordgo.PermissionViewChannel
	// Create, rename, lock and delete session channels and set their
	// permission overwrites.
	permManageChannels = discordgo.PermissionManageChannels
	// Set per-member overwrites on its own channels (Discord requires
	// Manage Roles to edit overwrites that grant permissions).
	permManageRoles = discordgo.PermissionManageRoles
	// Post guidelines, prompts, warnings and closing notes.
	permSend = discordgo.PermissionSendMessages
	// The guidelines are an embed; without Embed Links Discord drops it
	// (and refuses the message, which has nothing else). Files are only
	// attached to interaction answers (/privacy export), which need no
	// permission, so Attach Files is not asked for.
	permEmbedLinks = discordgo.PermissionEmbedLinks
	// Pin the guidelines; let facilitators' moderation through the bot.
	permManageMessages = discordgo.PermissionManageMessages
	// Read the history of its own channels (pins, finding its messages).
	permReadHistory = discordgo.PermissionReadMessageHistory
)

// RequiredPermissions is the permission integer the invite link asks for:
// the least the bot needs. It never asks for Administrator.
const RequiredPermissions = permView | permManageChannels | permManageRoles | permSend | permEmbedLinks | permManageMessages | permReadHistory

// InviteURL returns the OAuth2 link that adds the bot to a server with the
// bot and applications.commands scopes and the permissions above.
func InviteURL(applicationID string) string {
	q := url.Values{}
	q.Set("client_id", applicationID)
	q.Set("scope", strings.Join([]string{"bot", "applications.commands"}, " "))
	q.Set("permissions", fmt.Sprint(RequiredPermissions))
	return "https://discord.com/oauth2/authorize?" + q.Encode()
}
