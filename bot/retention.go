package bot

import (
	"context"
	"errors"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// DefaultKeepEnded is Options.KeepEnded's default: memberships that ended
// are kept 180 days ([data] keep_ended_days).
const DefaultKeepEnded = 180 * 24 * time.Hour

// sweepEvery is how often, on the bot's clock, ended memberships are
// swept (Housekeeping).
const sweepEvery = 24 * time.Hour

// SweepEnded deletes memberships that ended more than Options.KeepEnded
// ago, with their consent events, keeping of a facilitator's removal only
// its bare marker; and RSVPs to sessions that ended as long ago. Nothing
// on Discord changes: an ended membership has no access left to take. It
// is idempotent.
//
// The sweep is of the whole database, whatever the servers' shards: when
// processes share one, only the one that runs shard 0 sweeps (as only it
// registers the commands), so that they don't repeat each other's daily
// deletes; the others return an empty Sweep.
func (b *Bot) SweepEnded(ctx context.Context) (circles.Sweep, error) {
	if !b.owned.Has(0) {
		return circles.Sweep{}, nil
	}
	now := b.clock.Now()
	sw, err := b.store.SweepEnded(ctx, now.Add(-b.opts.KeepEnded))
	if err != nil {
		return sw, err
	}
	b.sweepMu.Lock()
	b.lastSweep = now
	b.sweepMu.Unlock()
	if sw != (circles.Sweep{}) {
		b.log.Info("retention: deleted ended memberships past the horizon", "keep_ended", b.opts.KeepEnded,
			"memberships", sw.Memberships, "removals_kept", sw.RemovalsKept, "consent_events", sw.ConsentEvents, "rsvps", sw.RSVPs, "archived_memberships", sw.ArchivedMemberships)
	}
	return sw, nil
}

// Housekeeping is the bot's hourly upkeep (purgeLoop): it purges servers
// past their grace period and, once a day by the bot's clock, sweeps ended
// memberships (SweepEnded). Start does both once.
func (b *Bot) Housekeeping(ctx context.Context) error {
	purgeErr := b.PurgeRemovedGuilds(ctx)
	b.sweepMu.Lock()
	due := b.clock.Now().Sub(b.lastSweep) >= sweepEvery
	b.sweepMu.Unlock()
	if !due {
		return purgeErr
	}
	_, err := b.SweepEnded(ctx)
	return errors.Join(purgeErr, err)
}
