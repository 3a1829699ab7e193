package demo

import (
	"fmt"
	"os"
	"testing"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// TestMain fails the package when the walkthrough made the bot call an
// operation Discord's spec marks deprecated, or one circlebot's record of
// the operations it uses doesn't list (bot/testdata/discord-operations.txt).
func TestMain(m *testing.M) {
	code := m.Run()
	if err := discordsim.CheckOperationsServed("../bot/testdata/discord-operations.txt", false); err != nil {
		fmt.Fprintf(os.Stderr, "Discord operations:\n%v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
