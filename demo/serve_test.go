package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// With --serve the demo keeps running until its context ends (SIGTERM in
// a container or under systemd), then stops cleanly.
func TestServeUntilStopped(t *testing.T) {
	t.Parallel()
	sim, err := discordsim.New(discordsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	var out bytes.Buffer
	d := &demo{out: &out, sim: sim}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.serve(ctx); close(done) }()
	select {
	case <-done:
		t.Fatal("serve returned before it was stopped")
	default:
	}
	cancel()
	<-done
	if s := out.String(); !strings.Contains(s, "Serving:") || !strings.HasSuffix(s, "Stopping.\n") {
		t.Errorf("output %q", s)
	}
}
