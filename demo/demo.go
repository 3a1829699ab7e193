// Package demo runs circlebot against the in-repo Discord simulator with a
// sample server and a scripted walkthrough, so anyone can see the bot work
// without a Discord application or token.
package demo

import (
	"context"
	"fmt"
	"io"
)

// Options configure the demo.
type Options struct {
	Out  io.Writer
	Keep bool // keep the database for inspection
}

// Run plays the walkthrough.
func Run(ctx context.Context, o Options) error {
	fmt.Fprintln(o.Out, "The demo walkthrough is being built.")
	return nil
}
