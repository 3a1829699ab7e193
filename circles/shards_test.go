package circles

import (
	"strconv"
	"testing"
)

// A guild's shard is the timestamp part of its snowflake (the bits above
// 22) modulo the count.
func TestShardOf(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		guild string
		count int
		want  int
	}{
		{"197038439483310086", 2, 0},
		{"197038439483310086", 1, 0},
		{"197038439483310086", 0, 0},
		{strconv.FormatInt(5<<22, 10), 4, 1},
		{strconv.FormatInt(5<<22|(1<<22-1), 10), 4, 1}, // the low 22 bits don't count
		{strconv.FormatInt(6<<22, 10), 4, 2},
		{"guild-a", 4, 0}, // not a snowflake: 0, as SQLite's CAST makes it
		{"", 4, 0},
	} {
		if got := ShardOf(c.guild, c.count); got != c.want {
			t.Errorf("ShardOf(%q, %d) = %d, want %d", c.guild, c.count, got, c.want)
		}
	}
}

func TestShardsOwns(t *testing.T) {
	t.Parallel()
	guild := func(shard int64) string { return strconv.FormatInt((1000+shard)<<22, 10) } // 1000 % 4 == 0
	half := Shards{Count: 4, IDs: []int{2, 3}}
	for shard, want := range []bool{false, false, true, true} {
		if got := half.Owns(guild(int64(shard))); got != want {
			t.Errorf("shards 2-3 of 4 own a guild of shard %d: %v, want %v", shard, got, want)
		}
		if got := half.Has(shard); got != want {
			t.Errorf("shards 2-3 of 4 have shard %d: %v, want %v", shard, got, want)
		}
	}
	for _, all := range []Shards{{}, {Count: 1}, {Count: 4}, {Count: 2, IDs: []int{0, 1}}} {
		if !all.All() || !all.Owns(guild(3)) || !all.Owns("guild-a") {
			t.Errorf("%+v should be every guild", all)
		}
	}
	if half.All() {
		t.Error("shards 2-3 of 4 claim to be every guild")
	}
	if (Shards{}).Has(1) || !(Shards{}).Has(0) || !(Shards{Count: 4}).Has(3) || (Shards{Count: 4}).Has(4) {
		t.Error("Has is wrong for the shards of a process that runs them all")
	}
}
