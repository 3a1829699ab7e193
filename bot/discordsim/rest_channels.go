package discordsim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// flexInt64 accepts a permission bitfield as a JSON string (what Discord
// documents and discordgo sends) or a number.
type flexInt64 int64

func (f *flexInt64) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return err
		}
		*f = flexInt64(n)
	case float64:
		*f = flexInt64(int64(x))
	case nil:
		*f = 0
	}
	return nil
}

type overwriteJSON struct {
	ID    string    `json:"id"`
	Type  int       `json:"type"`
	Allow flexInt64 `json:"allow"`
	Deny  flexInt64 `json:"deny"`
}

// botChannelLocked finds a channel the bot can see.
func (s *Sim) botChannelLocked(id string) (*channel, *apiError) {
	ch := s.channels[id]
	if ch == nil {
		return nil, errUnknownChannel()
	}
	if ch.guildID != "" {
		if g := s.guilds[ch.guildID]; g == nil || !g.botIn {
			return nil, errMissingAccess()
		}
	} else if ch.recipient == "" {
		return nil, errUnknownChannel()
	}
	if s.channelPermsLocked(ch, s.botID)&discordgo.PermissionViewChannel == 0 {
		return nil, errMissingAccess()
	}
	return ch, nil
}

func (s *Sim) botHasLocked(ch *channel, perm int64) bool {
	return s.channelPermsLocked(ch, s.botID)&perm == perm
}

var spaceRun = regexp.MustCompile(`\s+`)

// normaliseName mimics Discord's text channel naming: lower case, spaces
// become dashes.
func normaliseName(typ int, name string) string {
	if typ != 0 {
		return name
	}
	return strings.ToLower(spaceRun.ReplaceAllString(strings.TrimSpace(name), "-"))
}

func (s *Sim) checkOverwritesLocked(fe *formErrors, g *guild, ows []overwriteJSON, path string) *apiError {
	base := s.basePermsLocked(g, s.botID)
	for i, o := range ows {
		if o.Type != 0 && o.Type != 1 {
			fe.add(join(path, i, "type"), "BASE_TYPE_CHOICES", "Value must be one of {0, 1}.")
		}
		if o.ID == "" {
			fe.required(join(path, i, "id"))
		}
		// A bot may only grant or deny permissions it has itself.
		if base != discordgo.PermissionAll && (int64(o.Allow)|int64(o.Deny))&^base != 0 {
			return errMissingPermissions()
		}
	}
	if len(ows) > 0 && base&discordgo.PermissionManageRoles == 0 {
		return errMissingPermissions()
	}
	return nil
}

func toOverwrites(ows []overwriteJSON) []Overwrite {
	out := make([]Overwrite, 0, len(ows))
	for _, o := range ows {
		out = append(out, Overwrite{ID: o.ID, Type: o.Type, Allow: int64(o.Allow), Deny: int64(o.Deny)})
	}
	return out
}

func (s *Sim) countChildrenLocked(g *guild, parent string) int {
	n := 0
	for _, id := range g.channels {
		if s.channels[id].parentID == parent {
			n++
		}
	}
	return n
}

func (s *Sim) checkParentLocked(fe *formErrors, g *guild, typ int, parent string) {
	if parent == "" {
		return
	}
	p := s.channels[parent]
	switch {
	case typ == int(discordgo.ChannelTypeGuildCategory):
		fe.add("parent_id", "CHANNEL_PARENT_INVALID_TYPE", "Categories cannot have subcategories")
	case p == nil || p.guildID != g.id || p.typ != int(discordgo.ChannelTypeGuildCategory):
		fe.add("parent_id", "CHANNEL_PARENT_INVALID_TYPE", "Not a category")
	case s.countChildrenLocked(g, parent) >= maxPerCategory:
		fe.add("parent_id", "CHANNEL_PARENT_MAX_CHANNELS", "Maximum number of channels in category reached (50)")
	}
}

func listGuildChannels(s *Sim, c *reqCtx) (int, any, *apiError) {
	g, err := s.botGuildLocked(c.params["guild_id"])
	if err != nil {
		return 0, nil, err
	}
	out := []any{}
	for _, id := range g.channels {
		out = append(out, s.channelJSONLocked(s.channels[id]))
	}
	return http.StatusOK, out, nil
}

func createGuildChannel(s *Sim, c *reqCtx) (int, any, *apiError) {
	g, err := s.botGuildLocked(c.params["guild_id"])
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Name                 string          `json:"name"`
		Type                 int             `json:"type"`
		Topic                string          `json:"topic"`
		ParentID             string          `json:"parent_id"`
		Position             *int            `json:"position"`
		PermissionOverwrites []overwriteJSON `json:"permission_overwrites"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	if s.basePermsLocked(g, s.botID)&discordgo.PermissionManageChannels == 0 {
		return 0, nil, errMissingPermissions()
	}
	var fe formErrors
	fe.lenBetween("name", utf8.RuneCountInString(body.Name), 1, maxChannelName)
	fe.maxLen("topic", utf8.RuneCountInString(body.Topic), maxTopic)
	switch body.Type {
	case 0, 2, 4, 5:
	default:
		fe.add("type", "BASE_TYPE_CHOICES", "Value must be one of {0, 2, 4, 5, 13, 15, 16}.")
	}
	s.checkParentLocked(&fe, g, body.Type, body.ParentID)
	if e := s.checkOverwritesLocked(&fe, g, body.PermissionOverwrites, "permission_overwrites"); e != nil {
		return 0, nil, e
	}
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	if len(g.channels) >= maxGuildChannels {
		return 0, nil, errMaxChannels()
	}
	ch := s.newChannelLocked(g, body.Type, normaliseName(body.Type, body.Name), body.Topic, body.ParentID)
	if body.PermissionOverwrites != nil {
		ch.overwrites = toOverwrites(body.PermissionOverwrites)
	} else if body.ParentID != "" {
		// Without explicit overwrites a new channel is synced to its category.
		ch.overwrites = slices.Clone(s.channels[body.ParentID].overwrites)
	}
	if body.Position != nil {
		ch.position = *body.Position
	}
	out := s.channelJSONLocked(ch)
	s.dispatchLocked(intentGuilds, "CHANNEL_CREATE", out)
	return http.StatusCreated, out, nil
}

func getChannel(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.channelJSONLocked(ch), nil
}

func editChannel(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	if ch.guildID == "" || !s.botHasLocked(ch, discordgo.PermissionManageChannels) {
		return 0, nil, errMissingPermissions()
	}
	g := s.guilds[ch.guildID]
	var raw map[string]json.RawMessage
	if err := c.decode(&raw); err != nil {
		return 0, nil, err
	}
	var fe formErrors
	var (
		name, topic, parent *string
		ows                 []overwriteJSON
		setOws              bool
		pos                 *int
	)
	str := func(k string) *string {
		v, ok := raw[k]
		if !ok {
			return nil
		}
		var s string
		_ = json.Unmarshal(v, &s) // null becomes ""
		return &s
	}
	name, topic, parent = str("name"), str("topic"), str("parent_id")
	if v, ok := raw["permission_overwrites"]; ok {
		setOws = true
		if e := json.Unmarshal(v, &ows); e != nil {
			fe.add("permission_overwrites", "BASE_TYPE_ARRAY", "Must be an array.")
		}
	}
	if v, ok := raw["position"]; ok {
		var p int
		_ = json.Unmarshal(v, &p)
		pos = &p
	}
	if name != nil {
		fe.lenBetween("name", utf8.RuneCountInString(*name), 1, maxChannelName)
	}
	if topic != nil {
		fe.maxLen("topic", utf8.RuneCountInString(*topic), maxTopic)
	}
	if parent != nil && *parent != ch.parentID {
		s.checkParentLocked(&fe, g, ch.typ, *parent)
	}
	if setOws {
		if e := s.checkOverwritesLocked(&fe, g, ows, "permission_overwrites"); e != nil {
			return 0, nil, e
		}
	}
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	if name != nil {
		ch.name = normaliseName(ch.typ, *name)
	}
	if topic != nil {
		ch.topic = *topic
	}
	if parent != nil {
		ch.parentID = *parent
	}
	if setOws {
		ch.overwrites = toOverwrites(ows)
	}
	if pos != nil {
		ch.position = *pos
	}
	out := s.channelJSONLocked(ch)
	s.dispatchLocked(intentGuilds, "CHANNEL_UPDATE", out)
	return http.StatusOK, out, nil
}

func deleteChannel(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	if ch.guildID == "" {
		return http.StatusOK, s.channelJSONLocked(ch), nil
	}
	if !s.botHasLocked(ch, discordgo.PermissionManageChannels) {
		return 0, nil, errMissingPermissions()
	}
	g := s.guilds[ch.guildID]
	out := s.channelJSONLocked(ch)
	delete(s.channels, ch.id)
	g.channels = slices.DeleteFunc(g.channels, func(id string) bool { return id == ch.id })
	for _, mid := range ch.msgs {
		if m := s.messages[mid]; m != nil {
			m.deleted = true
		}
	}
	s.dispatchLocked(intentGuilds, "CHANNEL_DELETE", out)
	// Children of a deleted category lose their parent.
	for _, id := range g.channels {
		if child := s.channels[id]; child.parentID == ch.id {
			child.parentID = ""
			s.dispatchLocked(intentGuilds, "CHANNEL_UPDATE", s.channelJSONLocked(child))
		}
	}
	return http.StatusOK, out, nil
}

func putOverwrite(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	if ch.guildID == "" {
		return 0, nil, errUnknownChannel()
	}
	var body overwriteJSON
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	body.ID = c.params["overwrite_id"]
	var fe formErrors
	if e := s.checkOverwritesLocked(&fe, s.guilds[ch.guildID], []overwriteJSON{body}, "permission_overwrites"); e != nil {
		return 0, nil, e
	}
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	o := toOverwrites([]overwriteJSON{body})[0]
	replaced := false
	for i := range ch.overwrites {
		if ch.overwrites[i].ID == o.ID {
			ch.overwrites[i], replaced = o, true
		}
	}
	if !replaced {
		ch.overwrites = append(ch.overwrites, o)
	}
	s.dispatchLocked(intentGuilds, "CHANNEL_UPDATE", s.channelJSONLocked(ch))
	return http.StatusNoContent, nil, nil
}

func deleteOverwrite(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	if ch.guildID == "" {
		return 0, nil, errUnknownChannel()
	}
	if s.basePermsLocked(s.guilds[ch.guildID], s.botID)&discordgo.PermissionManageRoles == 0 {
		return 0, nil, errMissingPermissions()
	}
	id := c.params["overwrite_id"]
	ch.overwrites = slices.DeleteFunc(ch.overwrites, func(o Overwrite) bool { return o.ID == id })
	s.dispatchLocked(intentGuilds, "CHANNEL_UPDATE", s.channelJSONLocked(ch))
	return http.StatusNoContent, nil, nil
}

// decodePayload reads a message payload and attaches uploaded files.
func (c *reqCtx) decodePayload() (*messagePayload, *apiError) {
	var p messagePayload
	if err := c.decode(&p); err != nil {
		return nil, err
	}
	p.files = c.files
	return &p, nil
}

// newMessageLocked stores a message and dispatches MESSAGE_CREATE.
func (s *Sim) newMessageLocked(ch *channel, authorID string, p *messagePayload, typ int) *message {
	m := &message{typ: typ}
	m.ID = nextID()
	m.ChannelID = ch.id
	m.GuildID = ch.guildID
	m.AuthorID = authorID
	m.Created = s.now()
	applyPayload(m, p)
	s.messages[m.ID] = m
	if m.Flags&int(discordgo.MessageFlagsEphemeral) == 0 {
		ch.msgs = append(ch.msgs, m.ID)
		s.dispatchMessageLocked("MESSAGE_CREATE", ch, m)
	}
	return m
}

func (s *Sim) dispatchMessageLocked(event string, ch *channel, m *message) {
	intent := intentGuildMessages
	if ch.guildID == "" {
		intent = intentDirectMessages
	}
	s.dispatchMessageWithIntentLocked(event, intent, m)
}

func applyPayload(m *message, p *messagePayload) {
	if p.Content != nil {
		m.Content = *p.Content
	}
	if p.Embeds != nil {
		m.Embeds = slices.Clone(*p.Embeds)
	}
	if p.Components != nil {
		m.Components = cloneComponents(*p.Components)
	}
	if p.AllowedMentions != nil {
		am := *p.AllowedMentions
		m.AllowedMentions = &am
	}
	if p.Flags != nil {
		m.Flags = *p.Flags
		m.Ephemeral = m.Flags&int(discordgo.MessageFlagsEphemeral) != 0
	}
	if len(p.files) > 0 {
		m.Attachments = slices.Clone(p.files)
	} else if p.Attachments != nil && len(*p.Attachments) == 0 {
		m.Attachments = nil
	}
}

func listMessages(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	out := []any{}
	if !s.botHasLocked(ch, discordgo.PermissionReadMessageHistory) {
		return http.StatusOK, out, nil
	}
	limit := 50
	if l := c.query.Get("limit"); l != "" {
		n, perr := strconv.Atoi(l)
		if perr != nil || n < 1 || n > 100 {
			var fe formErrors
			fe.add("limit", "NUMBER_TYPE_MAX", "int value should be less than or equal to 100.")
			return 0, nil, fe.err()
		}
		limit = n
	}
	before, _ := strconv.ParseUint(c.query.Get("before"), 10, 64)
	after, _ := strconv.ParseUint(c.query.Get("after"), 10, 64)
	// Newest first, as Discord returns them.
	for i := len(ch.msgs) - 1; i >= 0 && len(out) < limit; i-- {
		m := s.messages[ch.msgs[i]]
		if m == nil || m.deleted {
			continue
		}
		id, _ := strconv.ParseUint(m.ID, 10, 64)
		if (before != 0 && id >= before) || (after != 0 && id <= after) {
			continue
		}
		out = append(out, s.messageJSONLocked(m))
	}
	return http.StatusOK, out, nil
}

func createMessage(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	p, err := c.decodePayload()
	if err != nil {
		return 0, nil, err
	}
	var fe formErrors
	validateMessage(&fe, "", p)
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	if ch.guildID == "" {
		if u := s.users[ch.recipient]; u == nil || u.dmsClosed {
			return 0, nil, errCannotDM()
		}
	} else if !s.botHasLocked(ch, discordgo.PermissionSendMessages) {
		return 0, nil, errMissingPermissions()
	}
	s.dropEmbedsWithoutPermLocked(ch, p)
	if !p.hasBody() {
		return 0, nil, errEmptyMessage()
	}
	if ch.typ == int(discordgo.ChannelTypeGuildCategory) {
		return 0, nil, newErr(http.StatusBadRequest, 50008, "Cannot send messages in a non-text channel")
	}
	if p.Flags != nil {
		// Only SUPPRESS_EMBEDS and SUPPRESS_NOTIFICATIONS may be set here.
		f := *p.Flags & (int(discordgo.MessageFlagsSuppressEmbeds) | int(discordgo.MessageFlagsSuppressNotifications))
		p.Flags = &f
	}
	m := s.newMessageLocked(ch, s.botID, p, 0)
	return http.StatusOK, s.messageJSONLocked(m), nil
}

// dropEmbedsWithoutPermLocked does what Discord does with a bot's embeds
// in a guild channel where it lacks Embed Links: they are dropped, and a
// message left with nothing else is refused as empty (50006).
func (s *Sim) dropEmbedsWithoutPermLocked(ch *channel, p *messagePayload) {
	if ch.guildID != "" && p.Embeds != nil && len(*p.Embeds) > 0 && !s.botHasLocked(ch, discordgo.PermissionEmbedLinks) {
		p.Embeds = nil
	}
}

func (s *Sim) channelMessageLocked(c *reqCtx) (*channel, *message, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return nil, nil, err
	}
	m := s.messages[c.params["message_id"]]
	if m == nil || m.deleted || m.ChannelID != ch.id || m.Ephemeral {
		return nil, nil, errUnknownMessage()
	}
	return ch, m, nil
}

func getMessage(s *Sim, c *reqCtx) (int, any, *apiError) {
	_, m, err := s.channelMessageLocked(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.messageJSONLocked(m), nil
}

func editMessage(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, m, err := s.channelMessageLocked(c)
	if err != nil {
		return 0, nil, err
	}
	if m.AuthorID != s.botID {
		return 0, nil, newErr(http.StatusForbidden, 50005, "Cannot edit a message authored by another user")
	}
	p, err := c.decodePayload()
	if err != nil {
		return 0, nil, err
	}
	var fe formErrors
	validateMessage(&fe, "", p)
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	p.Flags = nil
	s.dropEmbedsWithoutPermLocked(ch, p)
	applyPayload(m, p)
	m.Edited = c.now
	s.dispatchMessageLocked("MESSAGE_UPDATE", ch, m)
	return http.StatusOK, s.messageJSONLocked(m), nil
}

func deleteMessage(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, m, err := s.channelMessageLocked(c)
	if err != nil {
		return 0, nil, err
	}
	if m.AuthorID != s.botID && !s.botHasLocked(ch, discordgo.PermissionManageMessages) {
		return 0, nil, errMissingPermissions()
	}
	s.deleteMessageLocked(ch, m)
	return http.StatusNoContent, nil, nil
}

func (s *Sim) deleteMessageLocked(ch *channel, m *message) {
	m.deleted = true
	ch.pins = slices.DeleteFunc(ch.pins, func(id string) bool { return id == m.ID })
	d := map[string]any{"id": m.ID, "channel_id": ch.id}
	if ch.guildID != "" {
		d["guild_id"] = ch.guildID
	}
	intent := intentGuildMessages
	if ch.guildID == "" {
		intent = intentDirectMessages
	}
	s.dispatchLocked(intent, "MESSAGE_DELETE", d)
}

func pinMessage(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, m, err := s.channelMessageLocked(c)
	if err != nil {
		return 0, nil, err
	}
	if ch.guildID != "" && !s.botHasLocked(ch, discordgo.PermissionManageMessages) {
		return 0, nil, errMissingPermissions()
	}
	if !m.Pinned {
		if len(ch.pins) >= maxPins {
			return 0, nil, errMaxPins()
		}
		m.Pinned = true
		ch.pins = append(ch.pins, m.ID)
		s.dispatchPinsLocked(ch)
	}
	return http.StatusNoContent, nil, nil
}

func unpinMessage(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, m, err := s.channelMessageLocked(c)
	if err != nil {
		return 0, nil, err
	}
	if ch.guildID != "" && !s.botHasLocked(ch, discordgo.PermissionManageMessages) {
		return 0, nil, errMissingPermissions()
	}
	if m.Pinned {
		m.Pinned = false
		ch.pins = slices.DeleteFunc(ch.pins, func(id string) bool { return id == m.ID })
		s.dispatchPinsLocked(ch)
	}
	return http.StatusNoContent, nil, nil
}

func (s *Sim) dispatchPinsLocked(ch *channel) {
	d := map[string]any{"channel_id": ch.id, "last_pin_timestamp": ts(s.now())}
	if ch.guildID != "" {
		d["guild_id"] = ch.guildID
	}
	s.dispatchLocked(intentGuilds, "CHANNEL_PINS_UPDATE", d)
}

func (s *Sim) pinnedLocked(ch *channel) []*message {
	var out []*message
	for i := len(ch.pins) - 1; i >= 0; i-- {
		if m := s.messages[ch.pins[i]]; m != nil && !m.deleted {
			out = append(out, m)
		}
	}
	return out
}

func listPins(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	out := []any{}
	for _, m := range s.pinnedLocked(ch) {
		out = append(out, s.messageJSONLocked(m))
	}
	return http.StatusOK, out, nil
}

// listPinsV2 is the newer paginated pins shape.
func listPinsV2(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	items := []any{}
	for _, m := range s.pinnedLocked(ch) {
		items = append(items, map[string]any{"pinned_at": ts(m.Created), "message": s.messageJSONLocked(m)})
	}
	return http.StatusOK, map[string]any{"items": items, "has_more": false}, nil
}

// PostUserMessage makes a user write in a channel. It fails if the user
// cannot see or send to the channel, as the Discord client would.
func (s *Sim) PostUserMessage(userID, channelID, content string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		return "", errUnknownChannel()
	}
	var need int64 = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages
	if s.channelPermsLocked(ch, userID)&need != need {
		return "", errMissingPermissions()
	}
	if utf8.RuneCountInString(content) > maxContent || content == "" {
		return "", newErr(http.StatusBadRequest, 50035, "Invalid Form Body")
	}
	m := s.newMessageLocked(ch, userID, &messagePayload{Content: &content}, 0)
	return m.ID, nil
}
