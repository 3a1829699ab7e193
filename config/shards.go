package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ShardCount is discord.shards: how many shards the bot's gateway is split
// into. ShardsAuto, the default, takes the count Discord recommends (a
// shard per 1,000 servers); in the file it is "auto", or a number.
type ShardCount int

// ShardsAuto is discord.shards = "auto".
const ShardsAuto ShardCount = 0

// MaxShards bounds discord.shards, against a slip of the keyboard: a bot
// needs a shard per 2,500 servers at most, so 4,096 shards serve over ten
// million.
const MaxShards = 4096

// String writes the count as the file would: "auto" in quotes, or a number.
func (n ShardCount) String() string {
	if n == ShardsAuto {
		return `"auto"`
	}
	return strconv.Itoa(int(n))
}

// MarshalText writes "auto" or the number.
func (n ShardCount) MarshalText() ([]byte, error) {
	return []byte(strings.Trim(n.String(), `"`)), nil
}

// setTOML takes "auto" or a whole number from 1 to MaxShards (in quotes or
// not).
func (n *ShardCount) setTOML(v any) string {
	const msg = `must be "auto" or a whole number of shards, like 4`
	switch v := v.(type) {
	case int64:
		if v < 1 || v > MaxShards {
			return shardsRange
		}
		*n = ShardCount(v)
	case string:
		if v == "auto" {
			*n = ShardsAuto
			return ""
		}
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return msg
		}
		return n.setTOML(int64(i))
	default:
		return msg
	}
	return ""
}

// shardsRange is what is wrong with a count of shards out of range.
var shardsRange = fmt.Sprintf(`must be "auto" (the count Discord recommends) or a number of shards from 1 to %d`, MaxShards)

// ParseShardIDs reads discord.shard_ids: shard IDs and ranges of them,
// separated by commas, like "0-3" or "0-3,8". "" is nil, every shard. The
// IDs come back ascending; one given twice (or in two ranges) is an error,
// as it is likely a mistake in splitting the shards between processes.
func ParseShardIDs(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var ids []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := shardID(lo)
		if err != nil {
			return nil, fmt.Errorf("%q is not a shard ID or a range of them", part)
		}
		last := first
		if isRange {
			if last, err = shardID(hi); err != nil || last < first {
				return nil, fmt.Errorf("%q is not a range of shard IDs, low to high", part)
			}
		}
		for id := first; id <= last; id++ {
			if slices.Contains(ids, id) {
				return nil, fmt.Errorf("shard %d is named twice", id)
			}
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func shardID(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "+-") {
		return 0, strconv.ErrSyntax
	}
	n, err := strconv.Atoi(s)
	if err != nil || n >= MaxShards {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}

// ShardList is discord.shard_ids as IDs (nil: every shard). It is only
// meaningful once Validate has passed.
func (d Discord) ShardList() []int {
	ids, _ := ParseShardIDs(d.ShardIDs)
	return ids
}
