package bot

import (
	"errors"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/metrics"
)

// dm sends a direct message. Failures (a user who closed their DMs, a
// deleted account) are logged and returned, never retried in a loop: a DM
// is a courtesy, and the same information is available through commands.
// DMs run under the bot's own context, so Close cancels one that is
// waiting for the rate limiter or Discord instead of waiting for it.
func (b *Bot) dm(userID string, msg *discordgo.MessageSend) error {
	msg.AllowedMentions = noMentions()
	ch, err := b.dg.UserChannelCreate(userID, discordgo.WithContext(b.ctx))
	if err == nil {
		_, err = b.send(b.ctx, ch.ID, "", msg)
	}
	if err != nil && b.ctx.Err() != nil {
		b.log.Debug("DM dropped: shutting down", "user", userID)
		return err
	}
	if err != nil {
		var rest *discordgo.RESTError
		closed := errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode == http.StatusForbidden
		b.log.Warn("could not DM user", "user", userID, "dms_closed", closed, "err", err)
		reason := metrics.DMError
		if closed {
			reason = metrics.DMClosed
			b.noteReachable(userID, false)
		}
		b.opts.Metrics.DMFailed(reason)
		return err
	}
	b.noteReachable(userID, true)
	return nil
}

// noteReachable records whether a DM reached userID (the roster marks
// members with closed DMs), logging a failure to record it: the DM itself
// is what matters.
func (b *Bot) noteReachable(userID string, reachable bool) {
	if err := b.store.SetDMReachable(b.ctx, userID, reachable, b.clock.Now()); err != nil && b.ctx.Err() == nil {
		b.log.Warn("recording whether a DM got through", "user", userID, "err", err)
	}
}
