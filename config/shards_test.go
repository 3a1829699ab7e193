package config

import (
	"slices"
	"testing"
)

func TestShardList(t *testing.T) {
	for in, want := range map[string][]int{
		"":             nil,
		"5":            {5},
		"0-3":          {0, 1, 2, 3},
		" 8, 0-2 ":     {0, 1, 2, 8},
		"10-12,4,6-6 ": {4, 6, 10, 11, 12},
	} {
		if got := (Discord{ShardIDs: in}).ShardList(); !slices.Equal(got, want) {
			t.Errorf("shard_ids = %q: %v, want %v", in, got, want)
		}
	}
	if got, err := ParseShardIDs("0-3,,4"); err == nil {
		t.Errorf("an empty item was read as %v", got)
	}
}

// A number, in quotes or not, and "auto" print back as the file has them.
func TestShardCountPrints(t *testing.T) {
	if got := formatValue(ShardCount(8)); got != "8" {
		t.Errorf("8 prints as %s", got)
	}
	if got := formatValue(ShardsAuto); got != `"auto"` {
		t.Errorf("auto prints as %s", got)
	}
	if b, _ := ShardsAuto.MarshalText(); string(b) != "auto" {
		t.Errorf("auto marshals as %s", b)
	}
}
