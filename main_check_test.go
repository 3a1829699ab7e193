package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/data"
)

// setCategory stores a server's session category, as /setup would.
func setCategory(t *testing.T, dbPath, guildID, categoryID string) {
	t.Helper()
	ctx := context.Background()
	store, err := data.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	g := circles.GuildSettings{GuildID: guildID, CategoryID: categoryID, RetentionHours: 24, ReminderMinutes: 60}
	if err := store.SaveGuildSettings(ctx, g); err != nil {
		t.Fatal(err)
	}
}

func TestCheckAllGood(t *testing.T) {
	sim, guild := newSim(t)
	other := sim.AddGuild("Quiet Corner", sim.AddUser("owner2"))
	category := sim.AddCategory(guild, "Circles")
	t.Setenv("DISCORD_TOKEN", sim.Token())
	cfg, db := simConfig(t, sim, "")
	setCategory(t, db, guild, category)

	code, out, errOut := cli(t, "check", "--config", cfg)
	if code != exitOK {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, out, errOut)
	}
	wantIn(t, "stdout", out, "Logged in as circlebot ("+sim.BotUserID()+"), in 2 servers",
		"Harbour Community ("+guild+"), session category "+category,
		"Quiet Corner ("+other+"): no session category yet (run /setup there)",
		"ok      Pin Messages", "ok      Manage Roles",
		"All good: circlebot has every permission it needs in the 2 servers it is in.")
	if strings.Contains(out, "MISSING") {
		t.Errorf("something is MISSING although nothing is:\n%s", out)
	}
	if strings.Contains(out+errOut, sim.Token()) {
		t.Error("the token was printed")
	}
}

func TestCheckRoleWithoutPinMessages(t *testing.T) {
	sim, guild := newSim(t)
	sim.AddGuild("Quiet Corner", sim.AddUser("owner2"))
	sim.SetRolePermissions(guild, sim.BotRoleID(guild), bot.RequiredPermissions&^bot.PermissionPinMessages)
	t.Setenv("DISCORD_TOKEN", sim.Token())
	cfg, db := simConfig(t, sim, "")

	code, out, errOut := cli(t, "check", "--config", cfg)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailure, out, errOut)
	}
	wantIn(t, "stdout", out, "MISSING Pin Messages",
		"fix: turn on Pin Messages for the circlebot role (Server Settings → Roles → circlebot)",
		"No database at "+db+" yet",
		"Needs attention: 1 of 2 servers.")
	if strings.Count(out, "  MISSING ") != 1 {
		t.Errorf("want exactly one permission MISSING:\n%s", out)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("check created a database")
	}
}

func TestCheckCategoryHiddenFromTheBot(t *testing.T) {
	sim, guild := newSim(t)
	category := sim.AddCategory(guild, "Circles")
	sim.SetChannelOverwrites(category, []discordsim.Overwrite{
		{ID: sim.BotUserID(), Type: int(discordgo.PermissionOverwriteTypeMember), Deny: discordgo.PermissionViewChannel},
	})
	t.Setenv("DISCORD_TOKEN", sim.Token())
	cfg, db := simConfig(t, sim, "")
	setCategory(t, db, guild, category)

	code, out, errOut := cli(t, "check", "--config", cfg)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailure, out, errOut)
	}
	wantIn(t, "stdout", out, "session category "+category, "MISSING View Channel",
		"fix: allow View Channel for circlebot in the permissions of the category #"+category+" (Edit Category → Permissions)",
		"Needs attention: 1 of 1 server.")
}

func TestCheckRefusesWithoutAGoodToken(t *testing.T) {
	sim, _ := newSim(t)
	cfg, _ := simConfig(t, sim, "")

	t.Setenv("DISCORD_TOKEN", "")
	code, _, errOut := cli(t, "check", "--config", cfg)
	if code != exitUsage {
		t.Fatalf("no token: exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	wantIn(t, "stderr", errOut, "DISCORD_TOKEN is not set")

	t.Setenv("DISCORD_TOKEN", "MTIz.not-the.right-token")
	code, _, errOut = cli(t, "check", "--config", cfg)
	if code != exitUsage {
		t.Fatalf("wrong token: exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	wantIn(t, "stderr", errOut, "circlebot check: logging in: Discord did not accept the bot token", "Bot → Reset Token", "DISCORD_TOKEN")
	if strings.Contains(errOut, "MTIz.not-the.right-token") {
		t.Error("the token was printed")
	}
}
