package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/data"
)

// Start returns a GatewayError, with the advice, when Discord closes the
// first connection with a code no retry gets past.
func TestStartRefusedForGood(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(*discordsim.Sim)
		token string
		code  int
		want  string
	}{
		{name: "wrong token", token: "MTIz.not-the.right-token", code: 4004, want: "Reset Token"},
		{name: "members intent not enabled", setup: func(sim *discordsim.Sim) { sim.SetPrivilegedIntentsEnabled(false, true, true) },
			code: 4014, want: "Server Members Intent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim, err := discordsim.New(discordsim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			if tc.setup != nil {
				tc.setup(sim)
			}
			token := tc.token
			if token == "" {
				token = sim.Token()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			store, err := data.Open(ctx, filepath.Join(t.TempDir(), "circlebot.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			b, err := bot.New(bot.Options{Token: token, ApplicationID: sim.ApplicationID(), APIURL: sim.APIURL(), Store: store, Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()

			err = b.Start(ctx)
			var refused *bot.GatewayError
			if !errors.As(err, &refused) {
				t.Fatalf("Start: %v, want a GatewayError", err)
			}
			if refused.Code != tc.code || !strings.Contains(refused.Advice, tc.want) {
				t.Errorf("Start: code %d, advice %q; want %d, advice naming %q", refused.Code, refused.Advice, tc.code, tc.want)
			}
		})
	}
}
