package data

import (
	"context"
	"database/sql"
	"strings"

	"github.com/circlebot/circlebot/circles"
)

// UserRSVPs lists one user's answers for the given sessions, in one query
// on the rsvps key (what /mycircles shows), rather than every answer of
// each session.
func (s *Store) UserRSVPs(ctx context.Context, userID string, sessionIDs []int64) ([]circles.RSVP, error) {
	if len(sessionIDs) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(sessionIDs)+1)
	for _, id := range sessionIDs {
		args = append(args, id)
	}
	args = append(args, userID)
	var out []circles.RSVP
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = queryRSVPs(ctx, tx, userRSVPsWhere(len(sessionIDs)), args...)
		return err
	})
	return out, err
}

// userRSVPsWhere is UserRSVPs' condition for n sessions.
func userRSVPsWhere(n int) string {
	return `WHERE session_id IN (?` + strings.Repeat(`, ?`, n-1) + `) AND user_id = ?`
}
