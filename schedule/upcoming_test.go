package schedule

import (
	"slices"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// UpcomingAfter applies the rule to what it is given and reads nothing.
func TestUpcomingAfter(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // a Wednesday, 13:00 in Berlin
	c := circles.NewCircle("g", "Grief", circles.KindPeer, circles.Weekly(time.Wednesday, 19, 0, "Europe/Berlin", time.Hour), "f", now)
	wed := func(week int) time.Time { return time.Date(2026, 11, 25+7*week, 19, 0, 0, 0, berlin) }
	starts := func(os []Occurrence) []time.Time {
		var out []time.Time
		for _, o := range os {
			out = append(out, o.Start)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		skipped []time.Time
		busy    time.Time
		want    []time.Time
	}{
		{"plain", nil, time.Time{}, []time.Time{wed(0), wed(1), wed(2)}},
		{"skipped", []time.Time{wed(0), wed(2)}, time.Time{}, []time.Time{wed(1), wed(3), wed(4)}},
		{"busy until after tonight", nil, wed(0).Add(time.Minute), []time.Time{wed(1), wed(2), wed(3)}},
		{"busy until tonight's start", nil, wed(0), []time.Time{wed(0), wed(1), wed(2)}},
		{"busy in the past", nil, now.Add(-time.Hour), []time.Time{wed(0), wed(1), wed(2)}},
	} {
		got, err := UpcomingAfter(c, now, tc.skipped, tc.busy, 3)
		if err != nil || !slices.EqualFunc(starts(got), tc.want, time.Time.Equal) {
			t.Errorf("%s: %v, %v; want %v", tc.name, starts(got), err, tc.want)
		}
	}
	c.Archived = true
	if got, err := UpcomingAfter(c, now, nil, time.Time{}, 3); err != nil || len(got) != 0 {
		t.Errorf("archived: %v, %v", got, err)
	}
}

func TestBusyUntil(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := func(state circles.SessionState, start, end time.Duration) circles.SessionBrief {
		return circles.SessionBrief{State: state, Start: now.Add(start), End: now.Add(end)}
	}
	for _, tc := range []struct {
		name     string
		sessions []circles.SessionBrief
		want     time.Time
	}{
		{"none", nil, time.Time{}},
		{"open", []circles.SessionBrief{s(circles.SessionOpen, -time.Hour, 30*time.Minute)}, now.Add(30 * time.Minute)},
		{"planned, begun", []circles.SessionBrief{s(circles.SessionPlanned, -10*time.Minute, time.Hour), s(circles.SessionOpen, -time.Hour, 30*time.Minute)}, now.Add(time.Hour)},
		{"starting now", []circles.SessionBrief{s(circles.SessionPlanned, 0, time.Hour)}, now.Add(time.Hour)},
		{"ahead", []circles.SessionBrief{s(circles.SessionPlanned, time.Millisecond, time.Hour)}, time.Time{}},
		{"over", []circles.SessionBrief{s(circles.SessionClosed, -time.Hour, time.Hour), s(circles.SessionSkipped, -time.Hour, time.Hour)}, time.Time{}},
	} {
		if got := BusyUntil(tc.sessions, now); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
