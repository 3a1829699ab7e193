package bot

import (
	"context"

	"github.com/bwmarrin/discordgo"
)

// guildsPerPage is the most servers GET /users/@me/guilds returns at once.
const guildsPerPage = 200

// ListGuilds returns every server the bot is in, by REST (GET
// /users/@me/guilds, 200 at a time, paging with after).
func ListGuilds(ctx context.Context, dg *discordgo.Session) ([]*discordgo.UserGuild, error) {
	return listGuilds(func(after string) ([]*discordgo.UserGuild, error) {
		return dg.UserGuilds(guildsPerPage, "", after, false, discordgo.WithContext(ctx))
	})
}

// listGuilds pages through the servers page returns, each page the ones
// after the last of the one before (in ID order, as Discord sorts them).
// A page that brings none it hasn't seen ends it too, so that a server
// ignoring after can't keep it going round.
func listGuilds(page func(after string) ([]*discordgo.UserGuild, error)) ([]*discordgo.UserGuild, error) {
	var all []*discordgo.UserGuild
	seen := map[string]bool{}
	after := ""
	for {
		gs, err := page(after)
		if err != nil {
			return nil, err
		}
		fresh := 0
		for _, g := range gs {
			if !seen[g.ID] {
				seen[g.ID] = true
				all = append(all, g)
				fresh++
			}
		}
		if len(gs) < guildsPerPage || fresh == 0 {
			return all, nil
		}
		after = gs[len(gs)-1].ID
	}
}
