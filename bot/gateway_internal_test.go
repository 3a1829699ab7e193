package bot

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/circlebot/circlebot/bot/discordsim"
)

func TestCloseAdviceForEachFatalCode(t *testing.T) {
	t.Parallel()
	for code, want := range map[int][]string{
		4004: {"did not accept the bot token", "Developer Portal", "Bot → Reset Token", "DISCORD_TOKEN"},
		4014: {"Server Members Intent", "Developer Portal", "Bot → Privileged Gateway Intents"},
		4013: {"bug in circlebot", "report it"},
		4012: {"API version", "Upgrade circlebot"},
		4011: {"2,500 servers", "discord.shards", "auto"},
		4010: {"discord.shard_ids", "discord.shards"},
	} {
		advice := closeAdvice(code)
		for _, w := range want {
			if !strings.Contains(advice, w) {
				t.Errorf("advice for %d doesn't say %q: %q", code, w, advice)
			}
		}
	}
	// Codes discordgo is right to reconnect after, and normal closes.
	for _, code := range []int{1000, 1001, 1006, 4000, 4001, 4007, 4008, 4009} {
		if advice := closeAdvice(code); advice != "" {
			t.Errorf("%d is not fatal, but has advice %q", code, advice)
		}
	}
}

func TestPrivilegedIntentNames(t *testing.T) {
	t.Parallel()
	for intents, want := range map[discordgo.Intent]string{
		Intents:                 "Server Members Intent",
		discordgo.IntentsGuilds: "privileged intents",
		discordgo.IntentsAllWithoutPrivileged | discordgo.IntentsGuildPresences: "Presence Intent",
		discordgo.IntentsAll: "Server Members Intent, Presence Intent and Message Content Intent",
	} {
		if got := privilegedIntentNames(intents); got != want {
			t.Errorf("privilegedIntentNames(%d) = %q, want %q", intents, got, want)
		}
	}
}

func TestGatewayErrorIn(t *testing.T) {
	t.Parallel()
	closed := &websocket.CloseError{Code: 4014, Text: "Disallowed intent(s)."}
	e := gatewayErrorIn(fmt.Errorf("reconnecting: %w", closed))
	if e == nil || e.Code != 4014 || e.Reason != "Disallowed intent(s)." || e.Advice != closeAdvice(4014) {
		t.Fatalf("gatewayErrorIn = %+v", e)
	}
	if got, want := e.Error(), "bot: Discord closed the gateway with 4014 (Disallowed intent(s))"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var ce *websocket.CloseError
	if !errors.As(e, &ce) || ce != closed {
		t.Error("a GatewayError doesn't unwrap to the close it came from")
	}
	for _, err := range []error{nil, errors.New("EOF"), &websocket.CloseError{Code: 4009, Text: "Session timed out."}} {
		if e := gatewayErrorIn(err); e != nil {
			t.Errorf("gatewayErrorIn(%v) = %+v, want nil", err, e)
		}
	}
}

// A bot's dialer reaches the gateway until the bot stops; then discordgo's
// reconnect loop gets errGatewayStopped without touching the network.
func TestDialerRefusesOnceStopped(t *testing.T) {
	t.Parallel()
	sim, err := discordsim.New(discordsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	w := newGatewayWatch()
	d := w.dialer()
	url := sim.GatewayURL() + "?v=10&encoding=json"
	conn, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial before stop: %v", err)
	}
	conn.Close()
	w.stop()
	if _, _, err := d.Dial(url, nil); !errors.Is(err, errGatewayStopped) {
		t.Fatalf("dial after stop: %v, want errGatewayStopped", err)
	}
}
