package discordsim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type nonceMsg struct {
	ID    string          `json:"id"`
	Nonce json.RawMessage `json:"nonce"`
}

// send posts content with a nonce (nil: none) and enforce_nonce.
func (e *rawEnv) send(content string, nonce any, enforce bool) (nonceMsg, rawResp) {
	e.t.Helper()
	body := map[string]any{"content": content}
	if nonce != nil {
		body["nonce"] = nonce
	}
	if enforce {
		body["enforce_nonce"] = true
	}
	r := e.do("POST", "/channels/"+e.general+"/messages", body)
	var m nonceMsg
	if r.status == 200 {
		r.decode(e.t, &m)
	}
	return m, r
}

// TestNonceRaw: Create Message dedupes by author and nonce for five
// minutes of the world's clock when enforce_nonce is set, and only then.
func TestNonceRaw(t *testing.T) {
	t.Parallel()
	for _, ver := range []string{"v9", "v10"} {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			t.Run("enforced: the same message back, nothing created or dispatched", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, false)
				g := dialRaw(t, e.Sim)
				g.identify(e.Sim, intentGuilds|intentGuildMessages)
				first, _ := e.send("Guidelines", "session-42", true)
				again, r := e.send("Guidelines (retry)", "session-42", true)
				if r.status != 200 || again.ID != first.ID || string(again.Nonce) != `"session-42"` {
					t.Fatalf("retry: %d %s, first %s", r.status, r.body, first.ID)
				}
				other, _ := e.send("Welcome", "session-43", true)
				if ms := e.Messages(e.general); len(ms) != 2 || ms[0].Nonce != "session-42" || ms[0].Content != "Guidelines" {
					t.Errorf("messages %+v", ms)
				}
				for _, want := range []string{first.ID, other.ID} {
					f := g.next()
					var m nonceMsg
					_ = json.Unmarshal(f.D, &m)
					if f.T != "MESSAGE_CREATE" || m.ID != want || m.Nonce == nil {
						t.Fatalf("got %s %s, want MESSAGE_CREATE %s with its nonce", f.T, f.D, want)
					}
				}
				// Later reads do not echo the nonce.
				var got nonceMsg
				e.must(200, "GET", "/channels/"+e.general+"/messages/"+first.ID, nil).decode(t, &got)
				if got.Nonce != nil {
					t.Errorf("GET echoes nonce %s", got.Nonce)
				}
			})
			t.Run("five minutes later the nonce is new again", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, false)
				first, _ := e.send("a", "n", true)
				e.clock.Advance(nonceWindow - time.Second)
				if m, _ := e.send("a", "n", true); m.ID != first.ID {
					t.Errorf("4:59 later: a new message %s", m.ID)
				}
				e.clock.Advance(time.Second)
				if m, _ := e.send("a", "n", true); m.ID == "" || m.ID == first.ID {
					t.Errorf("5:00 later: %q, want a new message", m.ID)
				}
				if n := len(e.Messages(e.general)); n != 2 {
					t.Errorf("%d messages", n)
				}
			})
			t.Run("without enforce_nonce nothing is deduplicated", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, false)
				a, _ := e.send("a", "n", false)
				b, _ := e.send("a", "n", false)
				if a.ID == b.ID || len(e.Messages(e.general)) != 2 || string(b.Nonce) != `"n"` {
					t.Errorf("%s %s, %d messages", a.ID, b.ID, len(e.Messages(e.general)))
				}
				// A message sent without enforcing still counts for one that does.
				if c, _ := e.send("a", "n", true); c.ID != a.ID {
					t.Errorf("enforced after unenforced: %s, want %s", c.ID, a.ID)
				}
			})
			t.Run("an integer nonce is echoed as an integer and equals its string", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, false)
				a, _ := e.send("a", 1234567890123, true)
				b, _ := e.send("a", "1234567890123", true)
				if string(a.Nonce) != "1234567890123" || b.ID != a.ID {
					t.Errorf("nonce %s; ids %s %s", a.Nonce, a.ID, b.ID)
				}
			})
			t.Run("a deleted message is not returned", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, false)
				a, _ := e.send("a", "n", true)
				e.must(204, "DELETE", "/channels/"+e.general+"/messages/"+a.ID, nil)
				if b, _ := e.send("a", "n", true); b.ID == "" || b.ID == a.ID {
					t.Errorf("got %q", b.ID)
				}
			})
			t.Run("a nonce of 26 characters is refused, 25 accepted", func(t *testing.T) {
				t.Parallel()
				e := newRawEnv(t, ver, Options{}, false)
				if m, r := e.send("a", strings.Repeat("n", 25), true); m.ID == "" {
					t.Errorf("25: %d %s", r.status, r.body)
				}
				_, r := e.send("a", strings.Repeat("n", 26), true)
				if r.status != 400 || r.code() != 50035 || !strings.Contains(string(r.body), `"nonce":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH"`) {
					t.Errorf("26: %d %s", r.status, r.body)
				}
				if _, r := e.send("a", true, false); r.code() != 50035 || !strings.Contains(string(r.body), `"nonce"`) {
					t.Errorf("a boolean nonce: %d %s", r.status, r.body)
				}
				if n := len(e.Messages(e.general)); n != 1 {
					t.Errorf("%d messages", n)
				}
			})
		})
	}
}
