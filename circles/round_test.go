package circles

import (
	"slices"
	"testing"
	"time"
)

func TestRoundQueue(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 19, 0, 0, 0, time.UTC)
	if _, err := NewRound(11 * time.Minute); ErrorCode(err) != EInvalid {
		t.Fatalf("11 minutes: %v", err)
	}
	r, err := NewRound(2 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"b", "a", "c", "b"} {
		if _, err := r.Raise(u, RoleSpeaker); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(r.Queue, []string{"b", "a", "c"}) {
		t.Fatalf("queue %v", r.Queue)
	}
	if _, err := r.Raise("l", RoleListener); ErrorCode(err) != EForbidden {
		t.Fatalf("a listener took a turn: %v", err)
	}
	if changed, _ := r.Pass("l", RoleListener); changed || len(r.Passed) != 0 {
		t.Fatal("a listener's pass is not silent")
	}
	if _, err := r.Raise("f", RoleFacilitator); err != nil {
		t.Fatal(err)
	}
	r.Lower("f")
	_ = r.Next(t0)
	if r.Speaker != "b" || !slices.Equal(r.Queue, []string{"a", "c"}) || r.Spoken != 0 {
		t.Fatalf("after Next: %+v", r)
	}
	if r.Tick(t0.Add(119*time.Second)) || !r.Tick(t0.Add(2*time.Minute)) || r.Tick(t0.Add(3*time.Minute)) {
		t.Fatal("time up at the wrong moment, or twice")
	}
	r.Pass("a", RoleSpeaker)
	_ = r.Skip(t0) // b's turn skipped: not counted
	if r.Speaker != "c" || r.Spoken != 0 || r.TimeUp || !slices.Equal(r.Passed, []string{"a"}) {
		t.Fatalf("after Skip: %+v", r)
	}
	_ = r.Next(t0)
	if r.Speaker != "" || r.Spoken != 1 {
		t.Fatalf("after the last Next: %+v", r)
	}
	// With nobody speaking, Skip passes over the first raised hand.
	r.Raise("d", RoleSpeaker)
	r.Raise("e", RoleSpeaker)
	_ = r.Skip(t0)
	if r.Speaker != "e" {
		t.Fatalf("skip with nobody speaking: %+v", r)
	}
	r.End()
	if _, err := r.Raise("d", RoleSpeaker); ErrorCode(err) != EConflict {
		t.Fatal("raised a hand in an ended round")
	}
	if _, ok := r.Deadline(); ok {
		t.Fatal("an ended round has a deadline")
	}
}
