package discordsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Interaction types (what the user did) and callback types (the answer).
const (
	itCommand      = 2
	itComponent    = 3
	itAutocomplete = 4
	itModalSubmit  = 5

	cbMessage        = 4
	cbDeferred       = 5
	cbDeferredUpdate = 6
	cbUpdate         = 7
	cbAutocomplete   = 8
	cbModal          = 9

	msgTypeChatInput = 20
	msgFlagLoading   = 128
)

type interaction struct {
	sim       *Sim
	id, token string
	appID     string
	typ       int
	userID    string
	guildID   string
	channelID string
	sourceMsg string // component / modal-from-component: the message acted on
	created   time.Time
	deadline  time.Time
	// Wall-clock instants, for CallbackLatency: INTERACTION_CREATE handed
	// to the gateway connection, and the callback request arriving.
	dispatched, answered time.Time

	ackType   int
	ackedCh   chan struct{}
	updatedCh chan struct{} // closed on the first edit or followup after a deferral
	updated   bool
	original  string // @original message id
	followups []string
	modal     *Modal
	choices   []Choice
}

func (in *interaction) markUpdated() {
	if !in.updated {
		in.updated = true
		close(in.updatedCh)
	}
}

// Opt is a slash-command option value given by a test.
type Opt struct {
	Name  string
	Value any
}

// O builds an Opt: discordsim.O("capacity", 8).
func O(name string, value any) Opt { return Opt{Name: name, Value: value} }

// Response is the bot's answer to an interaction, as the user would see it.
type Response struct {
	InteractionID   string
	Type            int // callback type: 4, 5, 6, 7, 8 or 9
	Content         string
	Embeds          []discordgo.MessageEmbed
	Components      []Component
	Flags           int
	Ephemeral       bool
	MessageID       string // the @original message (4, 5, 7: the response; 6: the updated message)
	ChannelID       string
	Modal           *Modal
	Choices         []Choice
	Attachments     []File
	AllowedMentions *discordgo.MessageAllowedMentions
	Followups       []Message
}

// Buttons lists the buttons of the response's components.
func (r *Response) Buttons() []Button { return buttons(r.Components) }

// ErrNoAnswer is returned when the bot does not acknowledge an interaction
// within Options.InteractionDeadline: on Discord the user would see "This
// interaction failed".
var ErrNoAnswer = errors.New("discordsim: the bot did not answer the interaction in time")

// RunCommand runs a slash command as userID in the guild's #general
// channel. path is "command", "command sub" or "command group sub". Option
// types come from the registered schema; unknown options, missing required
// ones and wrong types are refused as the Discord client would.
func (s *Sim) RunCommand(ctx context.Context, userID, guildID, path string, opts ...Opt) (*Response, error) {
	return s.RunCommandIn(ctx, userID, s.GeneralChannelID(guildID), path, opts...)
}

// RunCommandIn is RunCommand in a given channel.
func (s *Sim) RunCommandIn(ctx context.Context, userID, channelID, path string, opts ...Opt) (*Response, error) {
	s.mu.Lock()
	in, err := s.commandInteractionLocked(itCommand, userID, channelID, path, "", "", opts)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.await(ctx, in)
}

// Autocomplete types `typed` into option `focused` of a command and
// returns the bot's choices.
func (s *Sim) Autocomplete(ctx context.Context, userID, guildID, path, focused, typed string, opts ...Opt) ([]Choice, error) {
	s.mu.Lock()
	in, err := s.commandInteractionLocked(itAutocomplete, userID, s.generalLocked(guildID), path, focused, typed, opts)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	r, err := s.await(ctx, in)
	if err != nil {
		return nil, err
	}
	return r.Choices, nil
}

func (s *Sim) generalLocked(guildID string) string {
	if g := s.guilds[guildID]; g != nil {
		return g.general
	}
	return ""
}

// MessageCommand runs a message context-menu command on a message.
func (s *Sim) MessageCommand(ctx context.Context, userID, guildID, name, channelID, messageID string) (*Response, error) {
	s.mu.Lock()
	in, err := func() (*interaction, error) {
		ch, g, err := s.userChannelLocked(userID, channelID)
		if err != nil {
			return nil, err
		}
		if g.id != guildID {
			return nil, fmt.Errorf("discordsim: channel %s is not in guild %s", channelID, guildID)
		}
		cmd := s.findCommandLocked(guildID, name, discordgo.MessageApplicationCommand)
		if cmd == nil {
			return nil, fmt.Errorf("discordsim: no message command %q registered", name)
		}
		if err := s.checkCommandPermsLocked(g, ch, userID, cmd); err != nil {
			return nil, err
		}
		m := s.messages[messageID]
		if m == nil || m.deleted || m.ChannelID != channelID || m.Ephemeral {
			return nil, fmt.Errorf("discordsim: no message %s in channel %s", messageID, channelID)
		}
		data := map[string]any{"id": cmd.ID, "name": cmd.Name, "type": 3, "target_id": messageID,
			"resolved": map[string]any{"messages": map[string]any{messageID: s.messageJSONLocked(m)}}}
		if cmd.GuildID != "" {
			data["guild_id"] = cmd.GuildID
		}
		return s.newInteractionLocked(itCommand, userID, ch, data, nil)
	}()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.await(ctx, in)
}

// Click presses a button on a message the bot sent (ephemeral messages
// included, but only by the user who saw them).
func (s *Sim) Click(ctx context.Context, userID, channelID, messageID, customID string) (*Response, error) {
	return s.component(ctx, userID, channelID, messageID, customID, componentButton, nil)
}

// Select picks values in a select menu on a bot message.
func (s *Sim) Select(ctx context.Context, userID, channelID, messageID, customID string, values ...string) (*Response, error) {
	return s.component(ctx, userID, channelID, messageID, customID, componentStringSelect, values)
}

func (s *Sim) component(ctx context.Context, userID, channelID, messageID, customID string, kind int, values []string) (*Response, error) {
	s.mu.Lock()
	in, err := func() (*interaction, error) {
		m := s.messages[messageID]
		if m == nil || m.deleted || m.ChannelID != channelID {
			return nil, fmt.Errorf("discordsim: no message %s in channel %s", messageID, channelID)
		}
		ch := s.channels[channelID]
		if ch == nil {
			return nil, fmt.Errorf("discordsim: no channel %s", channelID)
		}
		if m.Ephemeral {
			if m.ephemeralTo != userID {
				return nil, fmt.Errorf("discordsim: ephemeral message %s is not visible to %s", messageID, userID)
			}
		} else if ch.guildID == "" && ch.recipient != userID {
			// A DM is visible to its recipient only (and the bot).
			return nil, fmt.Errorf("discordsim: user %s cannot see the DM channel %s", userID, channelID)
		} else if s.channelPermsLocked(ch, userID)&discordgo.PermissionViewChannel == 0 {
			return nil, fmt.Errorf("discordsim: user %s cannot see channel %s", userID, channelID)
		}
		c := findComponent(m.Components, customID)
		switch {
		case c == nil:
			return nil, fmt.Errorf("discordsim: message %s has no component %q (has %v)", messageID, customID, m.Buttons())
		case c.Disabled:
			return nil, fmt.Errorf("discordsim: component %q is disabled", customID)
		case kind == componentButton && (c.Type != componentButton || c.Style == buttonStyleLink):
			return nil, fmt.Errorf("discordsim: component %q is not a clickable button", customID)
		case kind == componentStringSelect && c.Type != componentStringSelect:
			return nil, fmt.Errorf("discordsim: component %q is not a select menu", customID)
		}
		data := map[string]any{"custom_id": customID, "component_type": kind}
		if kind == componentStringSelect {
			data["values"] = values
		}
		msgJSON := s.messageJSONLocked(m)
		if m.Ephemeral {
			msgJSON["flags"] = m.Flags
		}
		in, err := s.newInteractionLocked(itComponent, userID, ch, data, msgJSON)
		if in != nil {
			in.sourceMsg = m.ID
		}
		return in, err
	}()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.await(ctx, in)
}

// SubmitModal submits a modal the bot showed this user earlier, with the
// given text input values keyed by input custom_id.
func (s *Sim) SubmitModal(ctx context.Context, userID, guildID, channelID, customID string, fields map[string]string) (*Response, error) {
	s.mu.Lock()
	in, err := func() (*interaction, error) {
		shown := s.modals[userID]
		i := slices.IndexFunc(shown, func(m *Modal) bool { return m.CustomID == customID })
		if i < 0 {
			return nil, fmt.Errorf("discordsim: no modal %q was shown to user %s", customID, userID)
		}
		modal := shown[i]
		var rows []any
		for k := range fields {
			if !slices.ContainsFunc(modal.Inputs, func(t TextInput) bool { return t.CustomID == k }) {
				return nil, fmt.Errorf("discordsim: modal %q has no input %q", customID, k)
			}
		}
		for _, t := range modal.Inputs {
			v, ok := fields[t.CustomID]
			if !ok {
				v = t.Value
			}
			n := utf8.RuneCountInString(v)
			if t.Required && n == 0 {
				return nil, fmt.Errorf("discordsim: modal input %q is required", t.CustomID)
			}
			if n > 0 && (n < t.MinLength || n > t.MaxLength) {
				return nil, fmt.Errorf("discordsim: modal input %q must be %d–%d characters", t.CustomID, t.MinLength, t.MaxLength)
			}
			rows = append(rows, map[string]any{"type": componentActionRow, "components": []any{
				map[string]any{"type": componentTextInput, "custom_id": t.CustomID, "value": v}}})
		}
		ch := s.channels[channelID]
		if ch == nil || ch.guildID != guildID {
			return nil, fmt.Errorf("discordsim: no channel %s in guild %s", channelID, guildID)
		}
		in, err := s.newInteractionLocked(itModalSubmit, userID, ch, map[string]any{"custom_id": customID, "components": rows}, nil)
		if err != nil {
			return nil, err
		}
		in.sourceMsg = modal.sourceMsg
		s.modals[userID] = slices.Delete(shown, i, i+1)
		return in, nil
	}()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.await(ctx, in)
}

// await waits for the bot's callback and, after a deferral, for the first
// edit or followup.
func (s *Sim) await(ctx context.Context, in *interaction) (*Response, error) {
	// The deadline is on the world's clock (Options.Now), which a test
	// may move, so poll it rather than set a wall-clock timer.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-in.ackedCh:
			break wait
		case <-tick.C:
			if s.now().After(in.deadline) {
				select {
				case <-in.ackedCh: // answered at the last moment
					break wait
				default:
				}
				return nil, fmt.Errorf("%w (%v)", ErrNoAnswer, s.opts.InteractionDeadline)
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	deferred := in.ackType == cbDeferred || in.ackType == cbDeferredUpdate
	s.mu.Unlock()
	if deferred {
		w := time.NewTimer(s.opts.DeferredWait)
		defer w.Stop()
		select {
		case <-in.updatedCh:
		case <-w.C:
			return nil, fmt.Errorf("discordsim: the bot deferred but sent nothing within %v", s.opts.DeferredWait)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r, _ := s.Response(in.id)
	return r, nil
}

// Response returns the current state of an interaction's answer: the
// @original message as edited so far and all followups.
func (s *Sim) Response(interactionID string) (*Response, bool) {
	in := s.srv.interactionByID(interactionID)
	if in == nil || in.sim != s {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ackType == 0 {
		return nil, false
	}
	r := &Response{InteractionID: in.id, Type: in.ackType, ChannelID: in.channelID, Modal: in.modal, Choices: slices.Clone(in.choices)}
	if m := s.messages[in.original]; m != nil {
		c := m.clone()
		r.Content, r.Embeds, r.Components, r.Flags = c.Content, c.Embeds, c.Components, c.Flags
		r.Ephemeral, r.MessageID, r.Attachments, r.AllowedMentions = c.Ephemeral, c.ID, c.Attachments, c.AllowedMentions
	}
	for _, id := range in.followups {
		if m := s.messages[id]; m != nil && !m.deleted {
			r.Followups = append(r.Followups, m.clone())
		}
	}
	return r, true
}

// Followups returns the followup messages of an interaction.
func (s *Sim) Followups(interactionID string) []Message {
	r, ok := s.Response(interactionID)
	if !ok {
		return nil
	}
	return r.Followups
}

func (s *Sim) userChannelLocked(userID, channelID string) (*channel, *guild, error) {
	ch := s.channels[channelID]
	if ch == nil || ch.guildID == "" {
		return nil, nil, fmt.Errorf("discordsim: no guild channel %s", channelID)
	}
	g := s.guilds[ch.guildID]
	if g.members[userID] == nil {
		return nil, nil, fmt.Errorf("discordsim: user %s is not a member of guild %s", userID, g.id)
	}
	if !g.botIn {
		return nil, nil, fmt.Errorf("discordsim: the bot is not in guild %s", g.id)
	}
	if s.channelPermsLocked(ch, userID)&discordgo.PermissionViewChannel == 0 {
		return nil, nil, fmt.Errorf("discordsim: user %s cannot see channel %s", userID, channelID)
	}
	return ch, g, nil
}

func (s *Sim) findCommandLocked(guildID, name string, typ discordgo.ApplicationCommandType) *discordgo.ApplicationCommand {
	for _, scope := range []string{guildID, ""} {
		for _, c := range s.commands[scope] {
			if c.Name == name && c.Type == typ {
				return c
			}
		}
	}
	return nil
}

// checkCommandPermsLocked hides commands whose default_member_permissions
// the user lacks, as the client does (administrators see everything).
func (s *Sim) checkCommandPermsLocked(g *guild, ch *channel, userID string, cmd *discordgo.ApplicationCommand) error {
	if cmd.DefaultMemberPermissions == nil {
		return nil
	}
	need := *cmd.DefaultMemberPermissions
	have := s.basePermsLocked(g, userID)
	if need == 0 && have != allPermissions {
		return fmt.Errorf("discordsim: command %q is disabled for members", cmd.Name)
	}
	if have&need != need {
		return fmt.Errorf("discordsim: user %s lacks permissions %d for command %q", userID, need, cmd.Name)
	}
	return nil
}

func (s *Sim) commandInteractionLocked(typ int, userID, channelID, path, focused, typed string, opts []Opt) (*interaction, error) {
	ch, g, err := s.userChannelLocked(userID, channelID)
	if err != nil {
		return nil, err
	}
	parts := strings.Fields(path)
	if len(parts) == 0 || len(parts) > 3 {
		return nil, fmt.Errorf("discordsim: bad command path %q", path)
	}
	cmd := s.findCommandLocked(g.id, parts[0], discordgo.ChatApplicationCommand)
	if cmd == nil {
		return nil, fmt.Errorf("discordsim: command /%s is not registered", parts[0])
	}
	if err := s.checkCommandPermsLocked(g, ch, userID, cmd); err != nil {
		return nil, err
	}
	resolved := map[string]map[string]any{}
	schema := cmd.Options
	var wrap func([]any) []any = func(o []any) []any { return o }
	for _, p := range parts[1:] {
		i := slices.IndexFunc(schema, func(o *discordgo.ApplicationCommandOption) bool {
			return o.Name == p && (o.Type == discordgo.ApplicationCommandOptionSubCommand || o.Type == discordgo.ApplicationCommandOptionSubCommandGroup)
		})
		if i < 0 {
			return nil, fmt.Errorf("discordsim: /%s has no subcommand %q", path, p)
		}
		sub := schema[i]
		outer := wrap
		wrap = func(o []any) []any {
			return outer([]any{map[string]any{"name": sub.Name, "type": int(sub.Type), "options": o}})
		}
		schema = sub.Options
	}
	for _, o := range schema {
		if o.Type == discordgo.ApplicationCommandOptionSubCommand || o.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
			return nil, fmt.Errorf("discordsim: /%s needs a subcommand", path)
		}
	}
	var values []any
	given := map[string]bool{}
	for _, op := range opts {
		o := findOption(schema, op.Name)
		if o == nil {
			return nil, fmt.Errorf("discordsim: /%s has no option %q", path, op.Name)
		}
		if op.Name == focused {
			continue
		}
		v, err := s.optionValueLocked(g, o, op.Value, resolved)
		if err != nil {
			return nil, fmt.Errorf("discordsim: /%s option %q: %w", path, op.Name, err)
		}
		given[op.Name] = true
		values = append(values, map[string]any{"name": o.Name, "type": int(o.Type), "value": v})
	}
	if typ == itAutocomplete {
		o := findOption(schema, focused)
		if o == nil || !o.Autocomplete {
			return nil, fmt.Errorf("discordsim: /%s option %q does not autocomplete", path, focused)
		}
		values = append(values, map[string]any{"name": o.Name, "type": int(o.Type), "value": typed, "focused": true})
	} else {
		for _, o := range schema {
			if o.Required && !given[o.Name] {
				return nil, fmt.Errorf("discordsim: /%s option %q is required", path, o.Name)
			}
		}
	}
	if values == nil {
		values = []any{}
	}
	data := map[string]any{"id": cmd.ID, "name": cmd.Name, "type": 1, "options": wrap(values)}
	if len(parts) == 1 && len(values) == 0 {
		delete(data, "options")
	}
	if cmd.GuildID != "" {
		data["guild_id"] = cmd.GuildID
	}
	if len(resolved) > 0 {
		data["resolved"] = resolved
	}
	return s.newInteractionLocked(typ, userID, ch, data, nil)
}

func findOption(schema []*discordgo.ApplicationCommandOption, name string) *discordgo.ApplicationCommandOption {
	for _, o := range schema {
		if o.Name == name {
			return o
		}
	}
	return nil
}

func (s *Sim) optionValueLocked(g *guild, o *discordgo.ApplicationCommandOption, v any, resolved map[string]map[string]any) (any, error) {
	put := func(kind, id string, obj any) {
		if resolved[kind] == nil {
			resolved[kind] = map[string]any{}
		}
		resolved[kind][id] = obj
	}
	var out any
	switch o.Type {
	case discordgo.ApplicationCommandOptionString:
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %T", v)
		}
		n := utf8.RuneCountInString(str)
		if (o.MinLength != nil && n < *o.MinLength) || (o.MaxLength > 0 && n > o.MaxLength) {
			return nil, fmt.Errorf("length %d outside the allowed range", n)
		}
		out = str
	case discordgo.ApplicationCommandOptionInteger, discordgo.ApplicationCommandOptionNumber:
		f, ok := toFloat(v)
		if !ok {
			return nil, fmt.Errorf("want a number, got %T", v)
		}
		if o.Type == discordgo.ApplicationCommandOptionInteger && f != math.Trunc(f) {
			return nil, fmt.Errorf("want an integer, got %v", f)
		}
		if (o.MinValue != nil && f < *o.MinValue) || (o.MaxValue != 0 && f > o.MaxValue) {
			return nil, fmt.Errorf("%v outside the allowed range", f)
		}
		out = f
	case discordgo.ApplicationCommandOptionBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want a bool, got %T", v)
		}
		out = b
	case discordgo.ApplicationCommandOptionUser, discordgo.ApplicationCommandOptionMentionable:
		id, _ := v.(string)
		if s.users[id] == nil {
			if o.Type == discordgo.ApplicationCommandOptionMentionable && g.roles[id] != nil {
				put("roles", id, roleJSON(g.roles[id]))
				return id, nil
			}
			return nil, fmt.Errorf("unknown user %q", id)
		}
		put("users", id, s.userJSONLocked(id))
		if m := g.members[id]; m != nil {
			mj := s.memberJSONLocked(g, m, false)
			delete(mj, "user")
			put("members", id, mj)
		}
		out = id
	case discordgo.ApplicationCommandOptionChannel:
		id, _ := v.(string)
		ch := s.channels[id]
		if ch == nil || ch.guildID != g.id {
			return nil, fmt.Errorf("unknown channel %q", id)
		}
		if len(o.ChannelTypes) > 0 && !slices.Contains(o.ChannelTypes, discordgo.ChannelType(ch.typ)) {
			return nil, fmt.Errorf("channel type %d not allowed", ch.typ)
		}
		put("channels", id, map[string]any{"id": id, "name": ch.name, "type": ch.typ, "parent_id": nullable(ch.parentID), "permissions": "0"})
		out = id
	case discordgo.ApplicationCommandOptionRole:
		id, _ := v.(string)
		if g.roles[id] == nil {
			return nil, fmt.Errorf("unknown role %q", id)
		}
		put("roles", id, roleJSON(g.roles[id]))
		out = id
	default:
		return nil, fmt.Errorf("option type %v is not supported by the simulator", o.Type)
	}
	if len(o.Choices) > 0 {
		ok := false
		for _, c := range o.Choices {
			if cf, isNum := toFloat(c.Value); isNum {
				f, _ := toFloat(out)
				ok = ok || cf == f
			} else {
				ok = ok || c.Value == out
			}
		}
		if !ok {
			return nil, fmt.Errorf("%v is not one of the choices", out)
		}
	}
	return out, nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// newInteractionLocked registers an interaction and sends INTERACTION_CREATE.
func (s *Sim) newInteractionLocked(typ int, userID string, ch *channel, data map[string]any, msg map[string]any) (*interaction, error) {
	if !s.receiversLocked(ch.guildID) {
		return nil, errors.New("discordsim: the bot is not connected to the gateway (on this guild's shard)")
	}
	now := s.now()
	in := &interaction{
		sim: s, id: nextID(), token: "aW50ZXJhY3Rpb24" + randomHex(40), appID: s.appID, typ: typ,
		userID: userID, guildID: ch.guildID, channelID: ch.id, created: now, deadline: now.Add(s.opts.InteractionDeadline),
		ackedCh: make(chan struct{}), updatedCh: make(chan struct{}),
	}
	payload := map[string]any{
		"id": in.id, "application_id": s.appID, "type": typ, "data": data,
		"channel_id": ch.id, "channel": s.channelJSONLocked(ch), "token": in.token,
		"version": 1, "locale": "en-US",
		"app_permissions":       itoa(s.channelPermsLocked(ch, s.botID)),
		"entitlements":          []any{},
		"attachment_size_limit": 10 << 20,
	}
	if u := s.users[userID]; u != nil {
		payload["locale"] = orDefaultLocale(u.locale)
	}
	if ch.guildID == "" {
		// In the bot's DM, as on Discord: no guild_id, no member but the
		// user, context BOT_DM, and "0" as the guild install's owner.
		payload["user"] = s.userJSONLocked(userID)
		payload["context"] = 1
		payload["authorizing_integration_owners"] = map[string]any{"0": "0"}
	} else {
		g := s.guilds[ch.guildID]
		member := s.memberJSONLocked(g, g.members[userID], false)
		member["permissions"] = itoa(s.channelPermsLocked(ch, userID))
		payload["guild_id"] = g.id
		payload["member"] = member
		payload["guild_locale"] = orDefaultLocale(g.locale)
		payload["context"] = 0
		payload["authorizing_integration_owners"] = map[string]any{"0": g.id}
		payload["guild"] = map[string]any{"id": g.id, "locale": orDefaultLocale(g.locale), "features": []any{}}
	}
	if msg != nil {
		payload["message"] = msg
	}
	s.srv.addInteraction(in)
	s.dispatchLocked(ch.guildID, intentAlways, "INTERACTION_CREATE", payload)
	in.dispatched = time.Now()
	return in, nil
}

// interactionCallback answers an interaction (POST .../callback).
func interactionCallback(s *Sim, c *reqCtx) (int, any, *apiError) {
	in := c.in
	if in.token != c.params["interaction_token"] {
		return 0, nil, errUnknownInteraction()
	}
	if in.ackType != 0 {
		return 0, nil, errAlreadyAcked()
	}
	if c.now.After(in.deadline) {
		return 0, nil, errUnknownInteraction()
	}
	var body struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	p := &messagePayload{}
	if len(body.Data) > 0 && string(body.Data) != "null" {
		if json.Unmarshal(body.Data, p) != nil {
			return 0, nil, errBadJSON()
		}
	}
	p.files = c.files
	var fe formErrors
	allowed := map[int][]int{
		itCommand:      {cbMessage, cbDeferred, cbModal},
		itComponent:    {cbMessage, cbDeferred, cbDeferredUpdate, cbUpdate, cbModal},
		itAutocomplete: {cbAutocomplete},
		itModalSubmit:  {cbMessage, cbDeferred},
	}[in.typ]
	if in.typ == itModalSubmit && in.sourceMsg != "" {
		allowed = append(allowed, cbDeferredUpdate, cbUpdate)
	}
	if !slices.Contains(allowed, body.Type) {
		fe.add("type", "INTERACTION_RESPONSE_TYPE_INVALID", "Interaction response type is invalid for this interaction")
		return 0, nil, fe.err()
	}
	ch := s.channels[in.channelID]
	if ch == nil {
		return 0, nil, errUnknownChannel()
	}
	flags := 0
	if p.Flags != nil {
		flags = *p.Flags & (int(discordgo.MessageFlagsEphemeral) | int(discordgo.MessageFlagsSuppressEmbeds) | int(discordgo.MessageFlagsSuppressNotifications))
	}
	switch body.Type {
	case cbMessage:
		validateMessage(&fe, "data", p)
		if e := fe.err(); e != nil {
			return 0, nil, e
		}
		if !p.hasBody() {
			return 0, nil, errEmptyMessage()
		}
		p.Flags = &flags
		m := s.newInteractionMessageLocked(in, ch, p)
		in.original = m.ID
	case cbDeferred:
		f := flags&int(discordgo.MessageFlagsEphemeral) | msgFlagLoading
		empty := ""
		m := s.newInteractionMessageLocked(in, ch, &messagePayload{Content: &empty, Flags: &f})
		in.original = m.ID
	case cbDeferredUpdate:
		in.original = in.sourceMsg
	case cbUpdate:
		validateMessage(&fe, "data", p)
		if e := fe.err(); e != nil {
			return 0, nil, e
		}
		m := s.messages[in.sourceMsg]
		if m == nil || m.deleted {
			return 0, nil, errUnknownMessage()
		}
		p.Flags = nil
		applyPayload(m, p)
		m.Edited = c.now
		in.original = m.ID
		if !m.Ephemeral {
			s.dispatchMessageLocked("MESSAGE_UPDATE", ch, m)
		}
	case cbAutocomplete:
		validateChoices(&fe, p.Choices)
		if e := fe.err(); e != nil {
			return 0, nil, e
		}
		in.choices = slices.Clone(p.Choices)
		if in.choices == nil {
			in.choices = []Choice{}
		}
	case cbModal:
		modal := validateModal(&fe, p)
		if e := fe.err(); e != nil {
			return 0, nil, e
		}
		modal.userID = in.userID
		modal.sourceMsg = in.sourceMsg
		in.modal = modal
		s.modals[in.userID] = append(s.modals[in.userID], modal)
	}
	in.ackType = body.Type
	in.answered = c.arrived
	close(in.ackedCh)
	return http.StatusNoContent, nil, nil
}

// CallbackLatency is how long the bot took to answer an interaction, on
// the wall clock (not Options.Now): from the simulator handing
// INTERACTION_CREATE to the gateway connection to the bot's callback
// request arriving, before its body is read. ok is false for an
// interaction not answered (yet). Benchmarks compare bots by it.
func (s *Sim) CallbackLatency(interactionID string) (d time.Duration, ok bool) {
	in := s.srv.interactionByID(interactionID)
	if in == nil || in.sim != s {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ackType == 0 {
		return 0, false
	}
	return in.answered.Sub(in.dispatched), true
}

func (s *Sim) newInteractionMessageLocked(in *interaction, ch *channel, p *messagePayload) *message {
	m := s.newMessageLocked(ch, s.botID, p, msgTypeChatInput)
	if in.typ != itCommand {
		m.typ = 0
	}
	m.webhookID = s.appID
	m.InteractionID = in.id
	if m.Ephemeral {
		m.ephemeralTo = in.userID
	}
	return m
}

// webhookLocked checks the interaction token is usable for followups.
func (s *Sim) webhookLocked(c *reqCtx) *apiError {
	in := c.in
	if c.now.After(in.created.Add(s.opts.FollowupTTL)) {
		return errInvalidWebhookToken()
	}
	if in.ackType == 0 {
		return errUnknownWebhook()
	}
	return nil
}

func (s *Sim) webhookMessageLocked(c *reqCtx) (*message, *apiError) {
	if err := s.webhookLocked(c); err != nil {
		return nil, err
	}
	in := c.in
	id := c.params["message_id"]
	if strings.HasSuffix(c.r.URL.Path, "/messages/@original") {
		id = in.original
	} else if id != in.original && !slices.Contains(in.followups, id) {
		return nil, errUnknownMessage()
	}
	m := s.messages[id]
	if m == nil || m.deleted {
		return nil, errUnknownMessage()
	}
	return m, nil
}

// webhookExecute sends a followup. After a deferred channel message the
// first followup fills in the "thinking…" message, as on Discord.
func webhookExecute(s *Sim, c *reqCtx) (int, any, *apiError) {
	if err := s.webhookLocked(c); err != nil {
		return 0, nil, err
	}
	in := c.in
	p, err := c.decodePayload()
	if err != nil {
		return 0, nil, err
	}
	var fe formErrors
	validateMessage(&fe, "", p)
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	if !p.hasBody() {
		return 0, nil, errEmptyMessage()
	}
	ch := s.channels[in.channelID]
	if ch == nil {
		return 0, nil, errUnknownChannel()
	}
	var m *message
	if orig := s.messages[in.original]; in.ackType == cbDeferred && orig != nil && orig.Flags&msgFlagLoading != 0 {
		p.Flags = nil
		applyPayload(orig, p)
		orig.Flags &^= msgFlagLoading
		orig.Edited = c.now
		m = orig
	} else {
		flags := 0
		if p.Flags != nil {
			flags = *p.Flags & (int(discordgo.MessageFlagsEphemeral) | int(discordgo.MessageFlagsSuppressEmbeds))
		}
		p.Flags = &flags
		m = s.newInteractionMessageLocked(in, ch, p)
		m.typ = 0
		in.followups = append(in.followups, m.ID)
	}
	in.markUpdated()
	if c.query.Get("wait") == "true" {
		return http.StatusOK, s.messageJSONLocked(m), nil
	}
	return http.StatusNoContent, nil, nil
}

func webhookGetMessage(s *Sim, c *reqCtx) (int, any, *apiError) {
	m, err := s.webhookMessageLocked(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.messageJSONLocked(m), nil
}

func webhookEditMessage(s *Sim, c *reqCtx) (int, any, *apiError) {
	m, err := s.webhookMessageLocked(c)
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
	p.Flags = nil
	applyPayload(m, p)
	m.Flags &^= msgFlagLoading
	m.Edited = c.now
	c.in.markUpdated()
	if !m.Ephemeral {
		if ch := s.channels[m.ChannelID]; ch != nil {
			s.dispatchMessageLocked("MESSAGE_UPDATE", ch, m)
		}
	}
	return http.StatusOK, s.messageJSONLocked(m), nil
}

func webhookDeleteMessage(s *Sim, c *reqCtx) (int, any, *apiError) {
	m, err := s.webhookMessageLocked(c)
	if err != nil {
		return 0, nil, err
	}
	if ch := s.channels[m.ChannelID]; ch != nil {
		s.deleteMessageLocked(ch, m)
	} else {
		m.deleted = true
	}
	c.in.markUpdated()
	return http.StatusNoContent, nil, nil
}
