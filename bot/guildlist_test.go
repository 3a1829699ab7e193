package bot_test

import (
	"context"
	"slices"
	"testing"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
)

// A REST session logs in as the bot and lists the servers it is in.
func TestListGuildsOverREST(t *testing.T) {
	t.Parallel()
	sim, err := discordsim.New(discordsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	owner := sim.AddUser("owner")
	var want []string
	for _, name := range []string{"Harbour Community", "Quiet Corner", "Left Behind"} {
		want = append(want, sim.AddGuild(name, owner))
	}
	sim.RemoveBotFromGuild(want[2])
	want = want[:2]

	dg, err := bot.RESTSession(sim.Token(), sim.APIURL(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if me, err := dg.User("@me"); err != nil || me.ID != sim.BotUserID() {
		t.Fatalf("GET /users/@me: %v, %v; want the bot user", me, err)
	}
	guilds, err := bot.ListGuilds(context.Background(), dg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range guilds {
		got = append(got, g.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListGuilds = %v, want %v", got, want)
	}
}
