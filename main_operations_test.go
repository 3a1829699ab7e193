package main

import (
	"os"
	"testing"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// TestMain fails the package when a test made the bot call an
// operation Discord's spec marks deprecated, or one circlebot's record of
// the operations it uses doesn't list (bot/testdata/discord-operations.txt).
func TestMain(m *testing.M) {
	os.Exit(discordsim.AfterTests(m.Run(), "bot/testdata/discord-operations.txt", false))
}
