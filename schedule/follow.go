package schedule

import (
	"context"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// PlanFollower is implemented by Actions that mirror a circle's planned
// sessions outside the store — the bot's Discord scheduled events — and
// must follow when the scheduler plans on its own: after a session opened,
// was missed, skipped or overlapped, or closed, and for every circle
// planned by Reconcile or a re-plan. FollowPlan must be idempotent, cheap
// for a circle that mirrors nothing, and return at once for one it has
// nothing to do for. A failure is tried again later (FollowLater).
type PlanFollower interface {
	FollowPlan(ctx context.Context, c circles.Circle) error
}

// follow has the Actions follow the plan of circle c, if they care; a
// failure is retried later, backing off (FollowLater).
func (s *Scheduler) follow(ctx context.Context, c circles.Circle) {
	f, ok := s.actions.(PlanFollower)
	if !ok {
		return
	}
	err := f.FollowPlan(ctx, c)
	switch {
	case err == nil:
		s.mu.Lock()
		delete(s.unfollowed, c.ID)
		if len(s.unfollowed) == 0 {
			s.followWait = 0
		}
		s.mu.Unlock()
	case ctx.Err() == nil:
		s.log.Warn("schedule: following the plan failed; trying again later", "guild", c.GuildID, "circle", c.ID, "error", err)
		s.FollowLater(c.ID)
	}
}

// FollowLater has the scheduler call PlanFollower.FollowPlan for a circle
// again after RetryDelay: the bot asks it when a sync of its own (after a
// command) failed, and follow when one the scheduler asked for did. The
// wait doubles with each round that still fails, up to an hour, and starts
// over once every circle followed.
func (s *Scheduler) FollowLater(circleID int64) {
	s.mu.Lock()
	now := s.clock.Now()
	if s.unfollowed == nil {
		s.unfollowed = map[int64]bool{}
	}
	s.unfollowed[circleID] = true
	switch {
	case s.followWait == 0:
		s.followWait = s.retry
		s.followAt = now.Add(s.followWait)
	case !now.Before(s.followAt): // a new round failed: back off
		s.followWait = min(2*s.followWait, maxReplanWait)
		s.followAt = now.Add(s.followWait)
	}
	s.mu.Unlock()
	s.Kick()
}

// followFailed follows again, once their time has come, the circles whose
// following failed (FollowLater).
func (s *Scheduler) followFailed(ctx context.Context) {
	s.mu.Lock()
	if len(s.unfollowed) == 0 || s.clock.Now().Before(s.followAt) {
		s.mu.Unlock()
		return
	}
	ids := make([]int64, 0, len(s.unfollowed))
	for id := range s.unfollowed {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		c, err := s.store.CircleByID(ctx, id)
		if circles.ErrorCode(err) == circles.ENotFound {
			s.mu.Lock()
			delete(s.unfollowed, id)
			s.mu.Unlock()
			continue
		}
		if err != nil {
			s.log.Warn("schedule: reading a circle to follow its plan", "circle", id, "error", err)
			s.FollowLater(id)
			continue
		}
		s.follow(ctx, c)
	}
}

// nextFollow is when followFailed has work, if any.
func (s *Scheduler) nextFollow() (time.Time, bool) {
	if len(s.unfollowed) == 0 {
		return time.Time{}, false
	}
	return s.followAt, true
}
