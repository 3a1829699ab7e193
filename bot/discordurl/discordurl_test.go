package discordurl

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// apiStringVars lists every package-level string variable in discordgo
// v0.29.0 endpoints.go that is derived from EndpointAPI (found with
// `grep -n 'EndpointAPI\|= Endpoint[A-Za-z0-9]* *+' endpoints.go`), plus
// EndpointDiscord. CDN and status-page URLs are not part of the API and are
// deliberately left alone.
func apiStringVars() map[string]string {
	return map[string]string{
		"EndpointDiscord":            discordgo.EndpointDiscord,
		"EndpointAPI":                discordgo.EndpointAPI,
		"EndpointGuilds":             discordgo.EndpointGuilds,
		"EndpointChannels":           discordgo.EndpointChannels,
		"EndpointUsers":              discordgo.EndpointUsers,
		"EndpointGateway":            discordgo.EndpointGateway,
		"EndpointGatewayBot":         discordgo.EndpointGatewayBot,
		"EndpointWebhooks":           discordgo.EndpointWebhooks,
		"EndpointStickers":           discordgo.EndpointStickers,
		"EndpointStageInstances":     discordgo.EndpointStageInstances,
		"EndpointSKUs":               discordgo.EndpointSKUs,
		"EndpointVoice":              discordgo.EndpointVoice,
		"EndpointVoiceRegions":       discordgo.EndpointVoiceRegions,
		"EndpointNitroStickersPacks": discordgo.EndpointNitroStickersPacks,
		"EndpointGuildCreate":        discordgo.EndpointGuildCreate,
		"EndpointApplications":       discordgo.EndpointApplications,
		"EndpointOAuth2":             discordgo.EndpointOAuth2,
		"EndpointOAuth2Applications": discordgo.EndpointOAuth2Applications,
		"EndpointOauth2":             discordgo.EndpointOauth2,
		"EndpointOauth2Applications": discordgo.EndpointOauth2Applications,
	}
}

// The test mutates process globals, so it is not parallel and restores the
// original values afterwards.
func TestRedirect(t *testing.T) {
	orig := discordgo.EndpointAPI
	origVersion := discordgo.APIVersion
	t.Cleanup(func() {
		if err := Redirect(orig); err != nil {
			t.Fatal(err)
		}
		discordgo.APIVersion = origVersion
	})

	base := "http://127.0.0.1:1234/api/v10/"
	if err := Redirect(strings.TrimSuffix(base, "/")); err != nil {
		t.Fatal(err)
	}
	if discordgo.APIVersion != "10" {
		t.Errorf("APIVersion = %q, want 10", discordgo.APIVersion)
	}
	if Current() != base {
		t.Errorf("Current() = %q, want %q", Current(), base)
	}
	urls := []string{
		discordgo.EndpointChannel("1"),
		discordgo.EndpointChannelMessages("1"),
		discordgo.EndpointChannelMessagePin("1", "2"),
		discordgo.EndpointChannelPermission("1", "2"),
		discordgo.EndpointApplicationGlobalCommands("a"),
		discordgo.EndpointApplicationGuildCommand("a", "g", "c"),
		discordgo.EndpointInteractionResponse("i", "tok"),
		discordgo.EndpointInteractionResponseActions("a", "tok"),
		discordgo.EndpointFollowupMessage("a", "tok"),
		discordgo.EndpointWebhookMessage("w", "tok", "m"),
		discordgo.EndpointGatewayBot,
		discordgo.EndpointGateway,
		discordgo.EndpointUserChannels("@me"),
		discordgo.EndpointUserGuild("@me", "g"),
		discordgo.EndpointGuildChannels("g"),
		discordgo.EndpointGuildMember("g", "u"),
		discordgo.EndpointOAuth2Application("@me"),
		discordgo.EndpointOauth2Application("@me"),
		discordgo.EndpointApplication("@me"),
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, base) {
			t.Errorf("%q does not start with %q", u, base)
		}
	}
	if got, want := discordgo.EndpointInteractionResponse("i", "tok"), base+"interactions/i/tok/callback"; got != want {
		t.Errorf("EndpointInteractionResponse = %q, want %q", got, want)
	}
	if got, want := discordgo.EndpointGatewayBot, base+"gateway/bot"; got != want {
		t.Errorf("EndpointGatewayBot = %q, want %q", got, want)
	}
	if got := discordgo.EndpointDiscord; got != "http://127.0.0.1:1234/" {
		t.Errorf("EndpointDiscord = %q", got)
	}
	for name, v := range apiStringVars() {
		if strings.Contains(v, "discord.com") {
			t.Errorf("%s = %q still names discord.com", name, v)
		}
		if !strings.HasPrefix(v, "http://127.0.0.1:1234/") {
			t.Errorf("%s = %q not redirected", name, v)
		}
	}
}

func TestRedirectRejectsRelative(t *testing.T) {
	if err := Redirect("api/v10"); err == nil {
		t.Fatal("want error for relative URL")
	}
}
