package bot

import (
	"context"

	"github.com/circlebot/circlebot/circles"
)

// Session channel work the scheduler asks for (schedule.Actions). (Stub: being built.)

func (b *Bot) SendReminders(ctx context.Context, c circles.Circle, s circles.Session) error {
	return nil
}
func (b *Bot) NotifyShift(ctx context.Context, c circles.Circle, s circles.Session) error { return nil }
func (b *Bot) OpenSession(ctx context.Context, c circles.Circle, s circles.Session) (circles.Session, error) {
	return s, nil
}
func (b *Bot) PostPrompt(ctx context.Context, c circles.Circle, s circles.Session, index int) error {
	return nil
}
func (b *Bot) WarnEnding(ctx context.Context, c circles.Circle, s circles.Session) error { return nil }
func (b *Bot) CloseSession(ctx context.Context, c circles.Circle, s circles.Session, next *circles.Session) error {
	return nil
}
func (b *Bot) DeleteChannel(ctx context.Context, c circles.Circle, s circles.Session) error {
	return nil
}
func (b *Bot) MissedSession(ctx context.Context, c circles.Circle, s circles.Session) error {
	return nil
}
