package bot

import (
	"sync"
	"time"
)

// defaultEditInterval is how often the bot edits one of its live messages
// (a round, a circle card) at most. Discord limits message edits per
// channel; twenty people raising their hands at once must not make twenty
// edits.
const defaultEditInterval = 2 * time.Second

// coalescer runs an edit per key at most once per interval: the first
// change is edited in at once, and every change within the interval after
// an edit is folded into one edit at its end. The edit always renders the
// state as it is when it runs, so nothing is lost by folding. Intervals
// are wall-clock time, as Discord's limits are.
type coalescer struct {
	interval time.Duration
	// run starts f in the background so that Close waits for it; false
	// once the bot is closing.
	run func(f func()) bool

	mu   sync.Mutex
	keys map[string]*coalesced
}

type coalesced struct {
	last    time.Time // when the last edit began
	edit    func()    // the edit to run next
	pending bool      // a run is scheduled or under way
	dirty   bool      // a change came in while one was under way
}

func newCoalescer(interval time.Duration, run func(func()) bool) *coalescer {
	if interval <= 0 {
		interval = defaultEditInterval
	}
	return &coalescer{interval: interval, run: run, keys: map[string]*coalesced{}}
}

// touch says key's message must be edited with edit (the latest edit
// given wins).
func (c *coalescer) touch(key string, edit func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.keys[key]
	if k == nil {
		c.sweep()
		k = &coalesced{}
		c.keys[key] = k
	}
	k.edit = edit
	if k.pending {
		k.dirty = true
		return
	}
	k.pending = true
	wait := time.Until(k.last.Add(c.interval))
	c.schedule(key, k, wait)
}

// sweep forgets, now and then, the keys whose last edit is over an
// interval old and none pending (channels of ended sessions, say): they
// may be edited at once anyway. c.mu is held.
func (c *coalescer) sweep() {
	if len(c.keys) < 256 {
		return
	}
	for key, k := range c.keys {
		if !k.pending && time.Since(k.last) > c.interval {
			delete(c.keys, key)
		}
	}
}

// schedule runs key's edit after wait (at once when it is not
// positive), in a goroutine of its own: c.mu is held.
func (c *coalescer) schedule(key string, k *coalesced, wait time.Duration) {
	fire := func() {
		if !c.run(func() { c.fire(key, k) }) {
			c.mu.Lock()
			k.pending = false
			c.mu.Unlock()
		}
	}
	time.AfterFunc(max(wait, 0), fire)
}

func (c *coalescer) fire(key string, k *coalesced) {
	c.mu.Lock()
	k.last, k.dirty = time.Now(), false
	edit := k.edit
	c.mu.Unlock()

	edit()

	c.mu.Lock()
	defer c.mu.Unlock()
	if k.dirty {
		// Changed while the edit ran: once more, an interval after it began.
		c.schedule(key, k, time.Until(k.last.Add(c.interval)))
		return
	}
	k.pending = false
}
