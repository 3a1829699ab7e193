package circles

import (
	"slices"
	"strconv"
)

// A bot in many servers splits its work between shards, and may run them
// in several processes over one store. A process must then do the work of
// its own servers only — the sessions of a server opened by one process,
// never by two — and its own servers are those whose events reach it,
// which is Discord's gateway sharding: a server belongs to shard
// (guild_id >> 22) % shard_count. The scheduler and the store use Shards
// to keep to a process's part.

// ShardOf is the shard of count that a guild belongs to: Discord's formula,
// (guild_id >> 22) % count. A count below 2 is one shard, 0; so is an ID
// that is not a snowflake (a test's placeholder), as SQLite's CAST makes it
// 0 too (data's due queries apply the same formula in SQL).
func ShardOf(guildID string, count int) int {
	if count < 2 {
		return 0
	}
	id, err := strconv.ParseInt(guildID, 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return int((id >> 22) % int64(count))
}

// Shards is the part of the bot's guilds that one process runs: the guilds
// of the listed shards, out of Count. The zero value is every guild (one
// process running the whole bot, sharded or not).
type Shards struct {
	Count int   // shards in all; below 2, unsharded
	IDs   []int // the shards run here: distinct, ascending, each below Count; empty: all
}

// All reports whether s is every guild: nothing is filtered out.
func (s Shards) All() bool {
	return s.Count < 2 || len(s.IDs) == 0 || len(s.IDs) >= s.Count
}

// Owns reports whether guildID is one of s's guilds.
func (s Shards) Owns(guildID string) bool {
	return s.All() || slices.Contains(s.IDs, ShardOf(guildID, s.Count))
}

// Has reports whether shard id is run here.
func (s Shards) Has(id int) bool {
	if len(s.IDs) == 0 {
		return id >= 0 && id < max(s.Count, 1)
	}
	return slices.Contains(s.IDs, id)
}
