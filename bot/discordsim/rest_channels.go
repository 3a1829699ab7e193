package discordsim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
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

// botChannelLocked finds a channel the bot can see: 10003 Unknown Channel
// when there is none; 50001 Missing Access when the bot is not in its
// guild or lacks VIEW_CHANNEL there (Discord answers 50001 for a channel
// the bot cannot see, and 50013 for one it sees but lacks a permission in).
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

// botNeedsLocked is 50013 Missing Permissions unless the bot has perm in ch.
func (s *Sim) botNeedsLocked(ch *channel, perm int64) *apiError {
	if !s.botHasLocked(ch, perm) {
		return errMissingPermissions()
	}
	return nil
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

// checkOverwriteShapes adds the form errors of a list of overwrites.
func checkOverwriteShapes(fe *formErrors, ows []overwriteJSON, path string) {
	for i, o := range ows {
		if o.Type != 0 && o.Type != 1 {
			fe.add(join(path, i, "type"), "BASE_TYPE_CHOICES", "Value must be one of {0, 1}.")
		}
		if o.ID == "" {
			fe.required(join(path, i, "id"))
		}
	}
}

// checkCreateOverwritesLocked applies Create Guild Channel's rules to the
// overwrites of a new channel: "If setting permission overwrites, only
// permissions your bot has in the guild can be allowed/denied. Setting
// MANAGE_ROLES permission in channels is only possible for guild
// administrators." Setting overwrites at all needs MANAGE_ROLES in the
// guild. Owner and administrators may set anything.
func (s *Sim) checkCreateOverwritesLocked(g *guild, ows []Overwrite) *apiError {
	if len(ows) == 0 || s.isAdminLocked(g, s.botID) {
		return nil
	}
	base := s.basePermsLocked(g, s.botID)
	if base&discordgo.PermissionManageRoles == 0 {
		return errMissingPermissions()
	}
	for _, o := range ows {
		named := o.Allow | o.Deny
		if named&discordgo.PermissionManageRoles != 0 || named&^base != 0 {
			return errMissingPermissions()
		}
	}
	return nil
}

// checkEditOverwritesLocked applies Modify Channel's and Edit Channel
// Permissions' rules to overwrites set on an existing channel: they need
// MANAGE_ROLES in the channel, and "Only permissions your bot has in the
// guild or parent channel (if applicable) can be allowed/denied (unless
// your bot has a MANAGE_ROLES overwrite in the channel)". "In the guild or
// parent channel" is the bot's base permissions OR its computed
// permissions in the parent category — not in the channel itself
// (discord-api-docs#3450). The bits checked are the ones the request
// changes: all of a new overwrite's, and those of an existing overwrite
// that differ. Owner and administrators may set anything.
func (s *Sim) checkEditOverwritesLocked(ch *channel, ows []Overwrite) *apiError {
	g := s.guilds[ch.guildID]
	if s.isAdminLocked(g, s.botID) {
		return nil
	}
	if err := s.botNeedsLocked(ch, discordgo.PermissionManageRoles); err != nil {
		return err
	}
	if s.botManageRolesOverwriteLocked(g, ch) {
		return nil
	}
	held := s.basePermsLocked(g, s.botID)
	if ch.parentID != "" {
		held |= s.channelPermsLocked(s.channels[ch.parentID], s.botID)
	}
	for _, o := range ows {
		var old Overwrite
		for _, x := range ch.overwrites {
			if x.ID == o.ID {
				old = x
			}
		}
		changed := (o.Allow ^ old.Allow) | (o.Deny ^ old.Deny)
		if changed&^held != 0 {
			return errMissingPermissions()
		}
	}
	return nil
}

// botManageRolesOverwriteLocked reports whether one of the channel's
// overwrites that apply to the bot (its own, one of its roles', or
// @everyone's) allows MANAGE_ROLES.
func (s *Sim) botManageRolesOverwriteLocked(g *guild, ch *channel) bool {
	m := g.members[s.botID]
	if m == nil {
		return false
	}
	for _, o := range ch.overwrites {
		applies := (o.Type == int(discordgo.PermissionOverwriteTypeMember) && o.ID == s.botID) ||
			(o.Type == int(discordgo.PermissionOverwriteTypeRole) && (o.ID == g.id || contains(m.roles, o.ID)))
		if applies && o.Allow&discordgo.PermissionManageRoles != 0 {
			return true
		}
	}
	return false
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

// createGuildChannel is Create Guild Channel: "Requires the
// MANAGE_CHANNELS permission" in the guild; a channel created in a
// category also needs VIEW_CHANNEL (50001 without it) and MANAGE_CHANNELS
// (50013) computed in that category; overwrites follow
// checkCreateOverwritesLocked.
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
	checkOverwriteShapes(&fe, body.PermissionOverwrites, "permission_overwrites")
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	if body.ParentID != "" {
		parent := s.channels[body.ParentID]
		if !s.botHasLocked(parent, discordgo.PermissionViewChannel) {
			return 0, nil, errMissingAccess()
		}
		if e := s.botNeedsLocked(parent, discordgo.PermissionManageChannels); e != nil {
			return 0, nil, e
		}
	}
	ows := toOverwrites(body.PermissionOverwrites)
	if e := s.checkCreateOverwritesLocked(g, ows); e != nil {
		return 0, nil, e
	}
	if len(g.channels) >= maxGuildChannels {
		return 0, nil, errMaxChannels()
	}
	ch := s.newChannelLocked(g, body.Type, normaliseName(body.Type, body.Name), body.Topic, body.ParentID)
	if body.PermissionOverwrites != nil {
		ch.overwrites = ows
	} else if body.ParentID != "" {
		// Without explicit overwrites a new channel is synced to its category.
		ch.overwrites = slices.Clone(s.channels[body.ParentID].overwrites)
	}
	if body.Position != nil {
		ch.position = *body.Position
	}
	out := s.channelJSONLocked(ch)
	s.dispatchLocked(g.id, intentGuilds, "CHANNEL_CREATE", out)
	return http.StatusCreated, out, nil
}

func getChannel(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.channelJSONLocked(ch), nil
}

// editChannel is Modify Channel: VIEW_CHANNEL and MANAGE_CHANNELS in the
// channel ("Requires the MANAGE_CHANNELS permission"); new
// permission_overwrites also follow checkEditOverwritesLocked ("If
// modifying permission overwrites, the MANAGE_ROLES permission is
// required"). A category's synced children change with it.
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
		checkOverwriteShapes(&fe, ows, "permission_overwrites")
	}
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	if setOws {
		if e := s.checkEditOverwritesLocked(ch, toOverwrites(ows)); e != nil {
			return 0, nil, e
		}
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
	if pos != nil {
		ch.position = *pos
	}
	if setOws {
		s.setOverwritesLocked(ch, toOverwrites(ows))
	} else {
		s.dispatchChannelUpdateLocked(ch)
	}
	return http.StatusOK, s.channelJSONLocked(ch), nil
}

// deleteChannel is Delete/Close Channel: VIEW_CHANNEL and MANAGE_CHANNELS
// in the channel ("Requires the MANAGE_CHANNELS permission for the
// guild"). Closing a DM needs nothing.
func deleteChannel(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	if ch.guildID == "" {
		return http.StatusOK, s.channelJSONLocked(ch), nil
	}
	if e := s.botNeedsLocked(ch, discordgo.PermissionManageChannels); e != nil {
		return 0, nil, e
	}
	out := s.channelJSONLocked(ch)
	s.deleteChannelLocked(ch)
	return http.StatusOK, out, nil
}

// deleteChannelLocked removes a guild channel and its messages, sends
// CHANNEL_DELETE, and orphans a category's children ("Deleting a category
// does not delete its child channels; they will have their parent_id
// removed and a Channel Update Gateway event will fire for each of them").
func (s *Sim) deleteChannelLocked(ch *channel) {
	g := s.guilds[ch.guildID]
	out := s.channelJSONLocked(ch)
	delete(s.channels, ch.id)
	g.channels = slices.DeleteFunc(g.channels, func(id string) bool { return id == ch.id })
	for _, mid := range ch.msgs {
		if m := s.messages[mid]; m != nil {
			m.deleted = true
		}
	}
	if g.botIn {
		s.dispatchLocked(g.id, intentGuilds, "CHANNEL_DELETE", out)
	}
	for _, id := range g.channels {
		if child := s.channels[id]; child.parentID == ch.id {
			child.parentID = ""
			s.dispatchChannelUpdateLocked(child)
		}
	}
}

// putOverwrite is Edit Channel Permissions: "Requires the MANAGE_ROLES
// permission. Only permissions your bot has in the guild or parent channel
// (if applicable) can be allowed/denied" — see checkEditOverwritesLocked.
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
	if body.Type != 0 && body.Type != 1 {
		fe.add("type", "BASE_TYPE_CHOICES", "Value must be one of {0, 1}.")
	}
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	o := toOverwrites([]overwriteJSON{body})[0]
	if e := s.checkEditOverwritesLocked(ch, []Overwrite{o}); e != nil {
		return 0, nil, e
	}
	ows := slices.Clone(ch.overwrites)
	replaced := false
	for i := range ows {
		if ows[i].ID == o.ID {
			ows[i], replaced = o, true
		}
	}
	if !replaced {
		ows = append(ows, o)
	}
	s.setOverwritesLocked(ch, ows)
	return http.StatusNoContent, nil, nil
}

// deleteOverwrite is Delete Channel Permission: "Requires the MANAGE_ROLES
// permission", in the channel.
func deleteOverwrite(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return 0, nil, err
	}
	if ch.guildID == "" {
		return 0, nil, errUnknownChannel()
	}
	if e := s.botNeedsLocked(ch, discordgo.PermissionManageRoles); e != nil {
		return 0, nil, e
	}
	id := c.params["overwrite_id"]
	s.setOverwritesLocked(ch, slices.DeleteFunc(slices.Clone(ch.overwrites), func(o Overwrite) bool { return o.ID == id }))
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
	if p.nonce != "" {
		m.Nonce, m.nonceRaw = p.nonce, slices.Clone(p.Nonce)
	}
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

// listMessages is Get Channel Messages: VIEW_CHANNEL (50001 without it),
// and "If the current user is missing the READ_MESSAGE_HISTORY permission
// in the channel, then no messages will be returned."
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

// createMessage is Create Message: in a guild channel VIEW_CHANNEL (50001
// without it) and "the current user must have the SEND_MESSAGES
// permission" (50013). Embeds are dropped without EMBED_LINKS.
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
	p.nonce = validateNonce(&fe, p.Nonce)
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
	if p.EnforceNonce && p.nonce != "" {
		if prev := s.nonceMessageLocked(s.botID, p.nonce, c.now); prev != nil {
			return http.StatusOK, s.messageCreateJSONLocked(prev), nil
		}
	}
	m := s.newMessageLocked(ch, s.botID, p, 0)
	s.rememberNonceLocked(m)
	return http.StatusOK, s.messageCreateJSONLocked(m), nil
}

// nonceWindow is how long Create Message remembers a nonce for
// enforce_nonce: "checked for uniqueness in the past few minutes".
const nonceWindow = 5 * time.Minute

// maxNonceLen is Create Message's limit on a nonce: "up to 25 characters".
const maxNonceLen = 25

// nonceSeen is the first message an author created with a nonce.
type nonceSeen struct {
	msgID string
	at    time.Time
}

func nonceKey(authorID, nonce string) string { return authorID + "\x00" + nonce }

// validateNonce checks a Create Message nonce, "integer or string", a
// string "up to 25 characters" (a longer one is a 50035 on nonce), and
// returns it as a string: an integer in decimal, so 7 and "7" are the same
// nonce. "" means none.
func validateNonce(fe *formErrors, raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		fe.maxLen("nonce", utf8.RuneCountInString(str), maxNonceLen)
		return str
	}
	var n int64
	if json.Unmarshal(raw, &n) == nil {
		return strconv.FormatInt(n, 10)
	}
	fe.add("nonce", "NONCE_TYPE_INVALID", "Nonce must be an integer or a string.")
	return ""
}

// nonceMessageLocked finds the message authorID created with nonce within
// nonceWindow of now (Create Message, enforce_nonce: "If another message
// was created by the same author with the same nonce, that message will
// be returned and no new message will be created"). A deleted message
// does not count.
func (s *Sim) nonceMessageLocked(authorID, nonce string, now time.Time) *message {
	seen, ok := s.nonces[nonceKey(authorID, nonce)]
	if !ok || now.Sub(seen.at) >= nonceWindow {
		return nil
	}
	if m := s.messages[seen.msgID]; m != nil && !m.deleted {
		return m
	}
	return nil
}

// rememberNonceLocked records m's nonce, with or without enforce_nonce:
// a later request that enforces it is deduplicated against m. The first
// message with a nonce is kept until its window ends.
func (s *Sim) rememberNonceLocked(m *message) {
	if m.Nonce == "" || s.nonceMessageLocked(m.AuthorID, m.Nonce, m.Created) != nil {
		return
	}
	s.nonces[nonceKey(m.AuthorID, m.Nonce)] = nonceSeen{msgID: m.ID, at: m.Created}
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
	s.dispatchLocked(ch.guildID, intent, "MESSAGE_DELETE", d)
}

// pinChannelMessageLocked finds the channel and message of a pin or
// unpin, which need VIEW_CHANNEL and PIN_MESSAGES in a guild channel:
// "Requires the PIN_MESSAGES permission" (Pin Message, Unpin Message);
// since 23 February 2026 MANAGE_MESSAGES alone no longer grants it. The
// deprecated /channels/{id}/pins/{id} routes follow the same rule.
func (s *Sim) pinChannelMessageLocked(c *reqCtx) (*channel, *message, *apiError) {
	ch, err := s.botChannelLocked(c.params["channel_id"])
	if err != nil {
		return nil, nil, err
	}
	if ch.guildID != "" {
		if e := s.botNeedsLocked(ch, PermissionPinMessages); e != nil {
			return nil, nil, e
		}
	}
	return s.channelMessageLocked(c)
}

func pinMessage(s *Sim, c *reqCtx) (int, any, *apiError) {
	ch, m, err := s.pinChannelMessageLocked(c)
	if err != nil {
		return 0, nil, err
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
	ch, m, err := s.pinChannelMessageLocked(c)
	if err != nil {
		return 0, nil, err
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
	s.dispatchLocked(ch.guildID, intentGuilds, "CHANNEL_PINS_UPDATE", d)
}

// pinnedLocked lists the pins the bot can read, most recent first: none
// without READ_MESSAGE_HISTORY ("If the user is missing the
// READ_MESSAGE_HISTORY permission in the channel, then no pins will be
// returned", Get Channel Pins).
func (s *Sim) pinnedLocked(ch *channel) []*message {
	var out []*message
	if !s.botHasLocked(ch, discordgo.PermissionReadMessageHistory) {
		return nil
	}
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
