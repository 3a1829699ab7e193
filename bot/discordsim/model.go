package discordsim

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Overwrite is a channel permission overwrite (type 0 role, 1 member).
type Overwrite struct {
	ID    string
	Type  int
	Allow int64
	Deny  int64
}

// Channel is a copy of a channel's state.
type Channel struct {
	ID         string
	GuildID    string
	Name       string
	Type       int
	ParentID   string
	Topic      string
	Position   int
	Overwrites []Overwrite
	Recipient  string // DM channels
}

// Overwrite returns the overwrite for id, if any.
func (c Channel) Overwrite(id string) (Overwrite, bool) {
	for _, o := range c.Overwrites {
		if o.ID == id {
			return o, true
		}
	}
	return Overwrite{}, false
}

// File is an attachment uploaded with a message or interaction response.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Message is a copy of a message.
type Message struct {
	ID              string
	ChannelID       string
	GuildID         string
	AuthorID        string
	Content         string
	Embeds          []discordgo.MessageEmbed
	Components      []Component
	Pinned          bool
	AllowedMentions *discordgo.MessageAllowedMentions
	Attachments     []File
	Flags           int
	Ephemeral       bool
	InteractionID   string // set for interaction responses and followups
	Created         time.Time
	Edited          time.Time
	// Nonce is the nonce the message was created with (POST
	// /channels/{id}/messages), an integer nonce in decimal; "" if none.
	Nonce string
}

// Buttons lists the buttons of the message's components.
func (m Message) Buttons() []Button { return buttons(m.Components) }

type message struct {
	Message
	ephemeralTo string // the only user who can see an ephemeral message
	webhookID   string
	deleted     bool
	typ         int
	nonceRaw    json.RawMessage // the nonce as sent, echoed as sent
}

func (m *message) clone() Message {
	c := m.Message
	c.Embeds = slices.Clone(m.Embeds)
	c.Components = cloneComponents(m.Components)
	c.Attachments = slices.Clone(m.Attachments)
	if m.AllowedMentions != nil {
		am := *m.AllowedMentions
		c.AllowedMentions = &am
	}
	return c
}

func (c *channel) clone() Channel {
	return Channel{ID: c.id, GuildID: c.guildID, Name: c.name, Type: c.typ, ParentID: c.parentID,
		Topic: c.topic, Position: c.position, Overwrites: slices.Clone(c.overwrites), Recipient: c.recipient}
}

// Request is one REST call as the simulator saw it.
type Request struct {
	Method string
	Route  string // template, e.g. "/channels/{channel_id}/messages"
	// Operation is the spec's operationId ("create_message"); Deprecated
	// is set when the spec marks it deprecated (the old pin routes).
	Operation  string
	Deprecated bool
	Path       string // without the /api/vN prefix
	Query      string
	Body       []byte // JSON body (payload_json for multipart)
	Time       time.Time
	Status     int // what the client saw
	// Lost is set when the request was carried out but its response was
	// lost (LoseNext, SetLossRate): Status is the failure the client saw.
	Lost bool
}

// Stats counts a world's REST traffic.
type Stats struct {
	Requests     int
	RateLimited  int // 429 responses
	Invalid      int // 4xx responses, 429 included (Discord's "invalid requests")
	ServerErrors int // injected 5xx (FailNext, SetFailureRate): nothing was done
	Lost         int // carried out, then the response lost (LoseNext, SetLossRate)
	Deprecated   int // requests for an operation the spec marks deprecated
}

// Channels lists a guild's channels in creation order.
func (s *Sim) Channels(guildID string) []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil {
		return nil
	}
	out := make([]Channel, 0, len(g.channels))
	for _, id := range g.channels {
		out = append(out, s.channels[id].clone())
	}
	return out
}

// Channel returns one channel.
func (s *Sim) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[id]
	if ch == nil {
		return Channel{}, false
	}
	return ch.clone(), true
}

// ChannelByName finds a guild channel by name.
func (s *Sim) ChannelByName(guildID, name string) (Channel, bool) {
	for _, c := range s.Channels(guildID) {
		if c.Name == name {
			return c, true
		}
	}
	return Channel{}, false
}

// Messages lists a channel's (non-ephemeral, not deleted) messages, oldest first.
func (s *Sim) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		return nil
	}
	var out []Message
	for _, id := range ch.msgs {
		if m := s.messages[id]; m != nil && !m.deleted {
			out = append(out, m.clone())
		}
	}
	return out
}

// Message returns any message by id, ephemeral ones included.
func (s *Sim) Message(id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messages[id]
	if m == nil || m.deleted {
		return Message{}, false
	}
	return m.clone(), true
}

// Pins lists a channel's pinned messages, most recently pinned first.
func (s *Sim) Pins(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		return nil
	}
	var out []Message
	for i := len(ch.pins) - 1; i >= 0; i-- {
		if m := s.messages[ch.pins[i]]; m != nil && !m.deleted {
			out = append(out, m.clone())
		}
	}
	return out
}

// DMs lists the messages the bot sent to the user's DM channel.
func (s *Sim) DMs(userID string) []Message {
	s.mu.Lock()
	u := s.users[userID]
	var chID string
	if u != nil {
		chID = u.dmChannel
	}
	s.mu.Unlock()
	if chID == "" {
		return nil
	}
	var out []Message
	for _, m := range s.Messages(chID) {
		if m.AuthorID == s.botID {
			out = append(out, m)
		}
	}
	return out
}

// Commands returns the registered commands of a guild ("" = global).
func (s *Sim) Commands(guildID string) []discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []discordgo.ApplicationCommand
	for _, c := range s.commands[guildID] {
		out = append(out, cloneCommand(c))
	}
	return out
}

// Requests returns every REST request the world has seen.
func (s *Sim) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Stats returns the world's request counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// IsMember reports whether the user is in the guild.
func (s *Sim) IsMember(guildID, userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	return g != nil && g.members[userID] != nil
}

// BotInGuild reports whether the bot is (still) in the guild.
func (s *Sim) BotInGuild(guildID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	return g != nil && g.botIn
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
