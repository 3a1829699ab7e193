package bot_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// BenchmarkShardedStart starts a bot in 10,000 servers on 4 shards (2,500
// each, the most a shard may carry) as its own OS process, with Discord's
// identify pace (max_concurrency 1: one IDENTIFY per 5 s), and reports
// how long until every shard is READY and the commands are registered
// (Start returns), how long until every server's GUILD_CREATE is stored,
// and the process's memory (RSS now and at its peak, from /proc). The
// simulator runs in the benchmark's process, so its memory is not the
// bot's.
//
//	go test -run '^$' -bench ShardedStart -benchtime 1x -timeout 20m ./bot/
func BenchmarkShardedStart(b *testing.B) {
	for _, concurrency := range []int{1, 4} {
		b.Run(fmt.Sprint("max_concurrency=", concurrency), func(b *testing.B) { benchmarkShardedStart(b, concurrency) })
	}
}

func benchmarkShardedStart(b *testing.B, concurrency int) {
	const guilds, shards = 10_000, 4
	sim, err := discordsim.New(discordsim.Options{MaxConcurrency: concurrency}) // Discord's 5 s identify window
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sim.Close)
	for i := range guilds {
		sim.AddGuildOnShard(fmt.Sprint("Server ", i), "", i%shards, shards) // no owner to welcome
	}
	// Shards identify in turns of max_concurrency, a 5.5 s gap apart.
	pace := time.Duration((shards+concurrency-1)/concurrency-1) * (5*time.Second + 500*time.Millisecond)
	for i := range b.N {
		dbPath := filepath.Join(b.TempDir(), "circlebot.db")
		began := time.Now()
		p, err := startShardProcessSpec(b, sim, shardProcessSpec{DB: dbPath, ShardCount: shards, IdentifyInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		ready := time.Since(began)
		for {
			n, err := p.do("guilds")
			if err != nil {
				b.Fatal(err)
			}
			if n == strconv.Itoa(guilds) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		stored := time.Since(began)
		rss, hwm := procMemory(b, p.cmd.Process.Pid)
		st := sim.GatewayStats()
		if !slices.Equal(st.ShardsConnected, []int{0, 1, 2, 3}) || st.Throttled != 0 {
			b.Fatalf("gateway %+v; want 4 shards in, none identified too soon", st)
		}
		b.ReportMetric(ready.Seconds(), "s-ready")
		b.ReportMetric(stored.Seconds(), "s-stored")
		b.ReportMetric(float64(rss)/1024, "MiB-rss")
		b.ReportMetric(float64(hwm)/1024, "MiB-peak")
		b.Logf("run %d: %d servers on %d shards, max_concurrency %d: every shard READY and commands registered after %s "+
			"(the identify pace alone: %s), every server stored after %s; RSS %d MiB, peak %d MiB", i, guilds, shards, concurrency,
			ready.Round(10*time.Millisecond), pace, stored.Round(10*time.Millisecond), rss/1024, hwm/1024)
		_, _ = p.do("quit") // it exits without an answer
	}
}

// procMemory reads a process's resident set now and at its peak, in KiB.
func procMemory(b *testing.B, pid int) (rss, peak int) {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		k, v, _ := strings.Cut(lines.Text(), ":")
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			peak = n
		}
	}
	return rss, peak
}
