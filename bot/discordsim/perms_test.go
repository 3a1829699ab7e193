package discordsim

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/bwmarrin/discordgo"
)

const (
	view          = discordgo.PermissionViewChannel
	send          = discordgo.PermissionSendMessages
	embed         = discordgo.PermissionEmbedLinks
	manageChans   = discordgo.PermissionManageChannels
	manageRoles   = discordgo.PermissionManageRoles
	manageMsgs    = discordgo.PermissionManageMessages
	history       = discordgo.PermissionReadMessageHistory
	webhooks      = discordgo.PermissionManageWebhooks // a bit the bot's role lacks
	roleOverwrite = int(discordgo.PermissionOverwriteTypeRole)
	userOverwrite = int(discordgo.PermissionOverwriteTypeMember)
)

func perm(v int64) string { return strconv.FormatInt(v, 10) }

// ow is an overwrite as the bot sends it (allow/deny as strings).
func ow(id string, typ int, allow, deny int64) map[string]any {
	return map[string]any{"id": id, "type": typ, "allow": perm(allow), "deny": perm(deny)}
}

// hidden is a text channel that @everyone cannot see, with extra
// overwrites, set up by hand.
func (e *rawEnv) hidden(name, parent string, extra ...Overwrite) string {
	e.t.Helper()
	id := e.AddChannel(e.guild, discordgo.ChannelTypeGuildText, name, parent)
	e.SetChannelOverwrites(id, append([]Overwrite{{ID: e.guild, Type: roleOverwrite, Deny: view}}, extra...))
	return id
}

// botRolePerms sets the bot's managed role.
func (e *rawEnv) botRolePerms(p int64) { e.SetRolePermissions(e.guild, e.BotRoleID(e.guild), p) }

func (e *rawEnv) botOverwrite(allow, deny int64) Overwrite {
	return Overwrite{ID: e.BotUserID(), Type: userOverwrite, Allow: allow, Deny: deny}
}

// post posts as the bot in a channel it may write in and returns the id.
func (e *rawEnv) post(channelID string) string {
	e.t.Helper()
	var m struct {
		ID string `json:"id"`
	}
	e.must(200, "POST", "/channels/"+channelID+"/messages", map[string]any{"content": "guidelines"}).decode(e.t, &m)
	return m.ID
}

func TestEveryonePermissionsAreANewServers(t *testing.T) {
	t.Parallel()
	if EveryonePermissions != 2248473465835073 {
		t.Errorf("EveryonePermissions = %d, want 2248473465835073", EveryonePermissions)
	}
	for name, p := range map[string]int64{"MANAGE_MESSAGES": manageMsgs, "PIN_MESSAGES": PermissionPinMessages,
		"MANAGE_CHANNELS": manageChans, "MANAGE_ROLES": manageRoles, "ADMINISTRATOR": discordgo.PermissionAdministrator} {
		if EveryonePermissions&p != 0 {
			t.Errorf("@everyone has %s", name)
		}
	}
	if BotPermissions&PermissionPinMessages == 0 || PermissionPinMessages != 1<<51 {
		t.Errorf("BotPermissions %d lacks PIN_MESSAGES", BotPermissions)
	}
	w := newBotlessWorld(t, Options{})
	if got := w.BasePermissions(w.guild, w.member); got != EveryonePermissions {
		t.Errorf("a member without roles has %d", got)
	}
	if got := w.BasePermissions(w.guild, w.owner); got != allPermissions || got&PermissionPinMessages == 0 {
		t.Errorf("the owner has %d", got)
	}
}

// TestPermissionRulesRaw pins down, with plain HTTP under both API
// versions, what Discord refuses for lack of permission and how: 50001
// Missing Access where the bot cannot see the channel (or is not in the
// guild), 50013 Missing Permissions where it sees it but lacks the bit.
func TestPermissionRulesRaw(t *testing.T) {
	t.Parallel()
	type permCase struct {
		name   string
		bot    bool
		do     func(t *testing.T, e *rawEnv) rawResp
		status int
		code   int
		check  func(t *testing.T, e *rawEnv, r rawResp)
	}
	noPin := BotPermissions &^ PermissionPinMessages
	pinRoutes := func(ch, msg string) []string {
		return []string{"/channels/" + ch + "/messages/pins/" + msg, "/channels/" + ch + "/pins/" + msg}
	}
	cases := []permCase{
		{
			name: "posting where the bot cannot see the channel: 50001",
			do: func(t *testing.T, e *rawEnv) rawResp {
				return e.do("POST", "/channels/"+e.hidden("secret", "")+"/messages", map[string]any{"content": "hi"})
			},
			status: 403, code: 50001,
		},
		{
			name: "posting where the bot sees the channel but may not send: 50013",
			do: func(t *testing.T, e *rawEnv) rawResp {
				ch := e.AddChannel(e.guild, discordgo.ChannelTypeGuildText, "announcements", "")
				e.SetChannelOverwrites(ch, []Overwrite{{ID: e.guild, Type: roleOverwrite, Deny: send}})
				return e.do("POST", "/channels/"+ch+"/messages", map[string]any{"content": "hi"})
			},
			status: 403, code: 50013,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if len(e.Requests()) != 1 {
					t.Errorf("requests %d", len(e.Requests()))
				}
			},
		},
		{
			name: "a guild the bot is no longer in: 50001 on its channels and the guild",
			do: func(t *testing.T, e *rawEnv) rawResp {
				e.RemoveBotFromGuild(e.guild)
				if r := e.do("GET", "/guilds/"+e.guild, nil); r.status != 403 || r.code() != 50001 {
					t.Errorf("GET guild: %d %s", r.status, r.body)
				}
				if r := e.do("GET", "/guilds/"+nextID(), nil); r.code() != 10004 {
					t.Errorf("GET unknown guild: %d %s", r.status, r.body)
				}
				return e.do("POST", "/channels/"+e.general+"/messages", map[string]any{"content": "hi"})
			},
			status: 403, code: 50001,
		},
		{
			name: "pinning with Manage Messages but not Pin Messages is refused on both routes",
			do: func(t *testing.T, e *rawEnv) rawResp {
				msg := e.post(e.general)
				e.botRolePerms(noPin)
				for _, p := range pinRoutes(e.general, msg) {
					for _, m := range []string{"PUT", "DELETE"} {
						if r := e.do(m, p, nil); r.status != 403 || r.code() != 50013 {
							t.Errorf("%s %s: %d %s", m, p, r.status, r.body)
						}
					}
				}
				// Manage Messages granted in the channel does not help either.
				e.SetChannelOverwrites(e.general, []Overwrite{e.botOverwrite(manageMsgs, 0)})
				return e.do("PUT", pinRoutes(e.general, msg)[0], nil)
			},
			status: 403, code: 50013,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if len(e.Pins(e.general)) != 0 {
					t.Error("a message was pinned")
				}
			},
		},
		{
			name: "pinning with Pin Messages works on both routes",
			do: func(t *testing.T, e *rawEnv) rawResp {
				a, b := e.post(e.general), e.post(e.general)
				e.must(204, "PUT", pinRoutes(e.general, a)[0], nil)
				e.must(204, "PUT", pinRoutes(e.general, b)[1], nil)
				if ps := e.Pins(e.general); len(ps) != 2 {
					t.Fatalf("pins %+v", ps)
				}
				e.must(204, "DELETE", pinRoutes(e.general, a)[1], nil)
				return e.do("DELETE", pinRoutes(e.general, b)[0], nil)
			},
			status: 204,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if len(e.Pins(e.general)) != 0 {
					t.Error("still pinned")
				}
			},
		},
		{
			name: "Pin Messages granted by a channel overwrite is enough",
			do: func(t *testing.T, e *rawEnv) rawResp {
				msg := e.post(e.general)
				e.botRolePerms(noPin)
				e.SetChannelOverwrites(e.general, []Overwrite{e.botOverwrite(PermissionPinMessages, 0)})
				return e.do("PUT", pinRoutes(e.general, msg)[0], nil)
			},
			status: 204,
		},
		{
			name: "pinning where the bot cannot see the channel: 50001",
			do: func(t *testing.T, e *rawEnv) rawResp {
				msg := e.post(e.general)
				e.SetChannelOverwrites(e.general, []Overwrite{e.botOverwrite(0, view)})
				return e.do("PUT", pinRoutes(e.general, msg)[0], nil)
			},
			status: 403, code: 50001,
		},
		{
			name: "creating a channel with an overwrite naming a bit the bot lacks: 50013",
			do: func(t *testing.T, e *rawEnv) rawResp {
				return e.do("POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "session",
					"permission_overwrites": []any{ow(e.member, userOverwrite, view|webhooks, 0)}})
			},
			status: 403, code: 50013,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if _, ok := e.ChannelByName(e.guild, "session"); ok {
					t.Error("the channel was created")
				}
				// Denying a bit it lacks is refused too.
				if r := e.do("POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "session",
					"permission_overwrites": []any{ow(e.guild, roleOverwrite, 0, webhooks)}}); r.code() != 50013 {
					t.Errorf("deny: %d %s", r.status, r.body)
				}
			},
		},
		{
			name: "creating a channel with MANAGE_ROLES in an overwrite: 50013 even though the bot has it",
			do: func(t *testing.T, e *rawEnv) rawResp {
				return e.do("POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "session",
					"permission_overwrites": []any{ow(e.BotUserID(), userOverwrite, view|manageRoles, 0)}})
			},
			status: 403, code: 50013,
		},
		{
			name: "an administrator bot may name MANAGE_ROLES and any bit at creation",
			do: func(t *testing.T, e *rawEnv) rawResp {
				e.botRolePerms(discordgo.PermissionAdministrator)
				return e.do("POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "session",
					"permission_overwrites": []any{ow(e.member, userOverwrite, view|manageRoles|webhooks, 0)}})
			},
			status: 201,
		},
		{
			name: "administrator bypasses every overwrite: posts and pins where it is denied everything",
			do: func(t *testing.T, e *rawEnv) rawResp {
				e.botRolePerms(discordgo.PermissionAdministrator)
				ch := e.hidden("locked", "", e.botOverwrite(0, view|send|PermissionPinMessages))
				msg := e.post(ch)
				if got := e.Permissions(e.BotUserID(), ch); got != allPermissions {
					t.Errorf("Permissions = %d", got)
				}
				return e.do("PUT", pinRoutes(ch, msg)[0], nil)
			},
			status: 204,
		},
		{
			name: "a bit held only through the parent category: refused at creation, allowed on PATCH and PUT",
			do: func(t *testing.T, e *rawEnv) rawResp {
				cat := e.AddCategory(e.guild, "Circles")
				e.SetChannelOverwrites(cat, []Overwrite{e.botOverwrite(webhooks, 0)})
				r := e.do("POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "session", "parent_id": cat,
					"permission_overwrites": []any{ow(e.member, userOverwrite, view|webhooks, 0)}})
				if r.status != 403 || r.code() != 50013 {
					t.Fatalf("create: %d %s, want 50013: creation only counts guild permissions", r.status, r.body)
				}
				var ch struct {
					ID string `json:"id"`
				}
				e.must(201, "POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "session", "parent_id": cat,
					"permission_overwrites": []any{ow(e.member, userOverwrite, view, 0)}}).decode(t, &ch)
				e.must(204, "PUT", "/channels/"+ch.ID+"/permissions/"+e.owner, map[string]any{"type": 1, "allow": perm(webhooks), "deny": "0"})
				return e.do("PATCH", "/channels/"+ch.ID, map[string]any{
					"permission_overwrites": []any{ow(e.member, userOverwrite, view|webhooks, 0)}})
			},
			status: 200,
		},
		{
			name: "a bit held only in the channel itself does not let the bot grant it",
			do: func(t *testing.T, e *rawEnv) rawResp {
				e.SetChannelOverwrites(e.general, []Overwrite{e.botOverwrite(webhooks, 0)})
				return e.do("PUT", "/channels/"+e.general+"/permissions/"+e.member, map[string]any{"type": 1, "allow": perm(webhooks), "deny": "0"})
			},
			status: 403, code: 50013,
		},
		{
			name: "a MANAGE_ROLES overwrite for the bot in the channel lifts that limit",
			do: func(t *testing.T, e *rawEnv) rawResp {
				e.SetChannelOverwrites(e.general, []Overwrite{e.botOverwrite(manageRoles, 0)})
				return e.do("PUT", "/channels/"+e.general+"/permissions/"+e.member, map[string]any{"type": 1, "allow": perm(webhooks), "deny": "0"})
			},
			status: 204,
		},
		{
			name: "editing an overwrite checks only the bits it changes",
			do: func(t *testing.T, e *rawEnv) rawResp {
				// An admin denied Manage Webhooks to the member by hand; the
				// bot may still add View Channel to that overwrite.
				e.SetChannelOverwrites(e.general, []Overwrite{{ID: e.member, Type: userOverwrite, Deny: webhooks}})
				return e.do("PATCH", "/channels/"+e.general, map[string]any{
					"permission_overwrites": []any{ow(e.member, userOverwrite, view, webhooks)}})
			},
			status: 200,
		},
		{
			name: "overwrites without MANAGE_ROLES: 50013 on create, PATCH, PUT and DELETE",
			do: func(t *testing.T, e *rawEnv) rawResp {
				e.SetChannelOverwrites(e.general, []Overwrite{{ID: e.member, Type: userOverwrite, Allow: view}})
				e.botRolePerms(BotPermissions &^ manageRoles)
				for _, r := range []rawResp{
					e.do("POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "x", "permission_overwrites": []any{ow(e.member, userOverwrite, view, 0)}}),
					e.do("PATCH", "/channels/"+e.general, map[string]any{"permission_overwrites": []any{}}),
					e.do("PUT", "/channels/"+e.general+"/permissions/"+e.member, map[string]any{"type": 1, "allow": perm(view), "deny": "0"}),
				} {
					if r.status != 403 || r.code() != 50013 {
						t.Errorf("%d %s", r.status, r.body)
					}
				}
				e.must(201, "POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "plain"})
				return e.do("DELETE", "/channels/"+e.general+"/permissions/"+e.member, nil)
			},
			status: 403, code: 50013,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if c, _ := e.Channel(e.general); len(c.Overwrites) != 1 {
					t.Errorf("overwrites %+v", c.Overwrites)
				}
			},
		},
		{
			name: "editing or deleting a channel needs Manage Channels in that channel",
			do: func(t *testing.T, e *rawEnv) rawResp {
				e.SetChannelOverwrites(e.general, []Overwrite{e.botOverwrite(0, manageChans)})
				if r := e.do("PATCH", "/channels/"+e.general, map[string]any{"name": "renamed"}); r.code() != 50013 {
					t.Errorf("PATCH: %d %s", r.status, r.body)
				}
				return e.do("DELETE", "/channels/"+e.general, nil)
			},
			status: 403, code: 50013,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if c, ok := e.Channel(e.general); !ok || c.Name != "general" {
					t.Errorf("channel %+v %v", c, ok)
				}
				// A channel it cannot see is Missing Access.
				hid := e.hidden("hidden", "")
				if r := e.do("DELETE", "/channels/"+hid, nil); r.code() != 50001 {
					t.Errorf("DELETE hidden: %d %s", r.status, r.body)
				}
			},
		},
		{
			name: "creating a channel needs Manage Channels in the guild",
			do: func(t *testing.T, e *rawEnv) rawResp {
				e.botRolePerms(BotPermissions &^ manageChans)
				// Granted in a category is not enough for the guild check.
				cat := e.AddCategory(e.guild, "Circles")
				e.SetChannelOverwrites(cat, []Overwrite{e.botOverwrite(manageChans, 0)})
				return e.do("POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "session", "parent_id": cat})
			},
			status: 403, code: 50013,
		},
		{
			name: "creating a channel in a category the bot cannot see: 50001; sees but may not manage: 50013",
			do: func(t *testing.T, e *rawEnv) rawResp {
				cat := e.AddCategory(e.guild, "Private")
				e.SetChannelOverwrites(cat, []Overwrite{{ID: e.guild, Type: roleOverwrite, Deny: view}})
				if r := e.do("POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "session", "parent_id": cat}); r.status != 403 || r.code() != 50001 {
					t.Errorf("hidden category: %d %s", r.status, r.body)
				}
				e.SetChannelOverwrites(cat, []Overwrite{e.botOverwrite(0, manageChans)})
				return e.do("POST", "/guilds/"+e.guild+"/channels", map[string]any{"name": "session", "parent_id": cat})
			},
			status: 403, code: 50013,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if _, ok := e.ChannelByName(e.guild, "session"); ok {
					t.Error("the channel was created")
				}
			},
		},
		{
			name: "without Send Messages, Embed Links and the rest are implicitly denied",
			bot:  true,
			do: func(t *testing.T, e *rawEnv) rawResp {
				ch := e.AddChannel(e.guild, discordgo.ChannelTypeGuildText, "read-only", "")
				e.SetChannelOverwrites(ch, []Overwrite{e.botOverwrite(embed|discordgo.PermissionAttachFiles, send)})
				in, done := e.interact(func(ctx context.Context) (*Response, error) { return e.RunCommandIn(ctx, e.member, ch, "ping") })
				implicit := int64(embed | discordgo.PermissionAttachFiles | discordgo.PermissionMentionEveryone | discordgo.PermissionSendTTSMessages)
				if in.AppPermissions&implicit != 0 || in.AppPermissions&view == 0 {
					t.Errorf("app_permissions %d include what Send Messages would allow", in.AppPermissions)
				}
				if got := e.Permissions(e.BotUserID(), ch); got&implicit != 0 {
					t.Errorf("Permissions %d", got)
				}
				e.must(204, "POST", "/interactions/"+in.ID+"/"+in.Token+"/callback", map[string]any{"type": 4, "data": map[string]any{"content": "pong"}})
				e.wait(done)
				return e.do("POST", "/channels/"+ch+"/messages", map[string]any{"content": "x", "embeds": []any{map[string]any{"title": "t"}}})
			},
			status: 403, code: 50013,
		},
		{
			name: "without Read Message History: no messages and no pins, but no error",
			do: func(t *testing.T, e *rawEnv) rawResp {
				msg := e.post(e.general)
				e.must(204, "PUT", pinRoutes(e.general, msg)[0], nil)
				e.SetChannelOverwrites(e.general, []Overwrite{e.botOverwrite(0, history)})
				var pins struct {
					Items []json.RawMessage `json:"items"`
				}
				e.must(200, "GET", "/channels/"+e.general+"/messages/pins", nil).decode(t, &pins)
				var old []json.RawMessage
				e.must(200, "GET", "/channels/"+e.general+"/pins", nil).decode(t, &old)
				if len(pins.Items) != 0 || len(old) != 0 {
					t.Errorf("pins %d, %d", len(pins.Items), len(old))
				}
				return e.do("GET", "/channels/"+e.general+"/messages", nil)
			},
			status: 200,
			check: func(t *testing.T, e *rawEnv, r rawResp) {
				if string(r.body) != "[]\n" {
					t.Errorf("messages %s", r.body)
				}
			},
		},
	}
	for _, ver := range []string{"v9", "v10"} {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					e := newRawEnv(t, ver, Options{}, tc.bot)
					r := tc.do(t, e)
					if r.status != tc.status || r.code() != tc.code {
						t.Fatalf("got %d code %d (%s), want %d code %d", r.status, r.code(), r.body, tc.status, tc.code)
					}
					if tc.check != nil {
						tc.check(t, e, r)
					}
				})
			}
		})
	}
}

// TestAdminEditsByHand: what a person does in the client reaches the bot
// as gateway events, and a category's synced children follow it.
func TestAdminEditsByHand(t *testing.T) {
	t.Parallel()
	w := newBotlessWorld(t, Options{})
	cat := w.AddCategory(w.guild, "Circles")
	synced := w.AddChannel(w.guild, discordgo.ChannelTypeGuildText, "synced", cat)
	own := w.AddChannel(w.guild, discordgo.ChannelTypeGuildText, "own", cat)
	w.SetChannelOverwrites(own, []Overwrite{{ID: w.member, Type: userOverwrite, Allow: view}})
	g := dialRaw(t, w.Sim)
	g.identify(w.Sim, intentGuilds)

	hide := []Overwrite{{ID: w.guild, Type: roleOverwrite, Deny: view}}
	if !w.SetChannelOverwrites(cat, hide) {
		t.Fatal("SetChannelOverwrites failed")
	}
	updated := map[string]bool{}
	for range 2 {
		f := g.next()
		var ch struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(f.D, &ch)
		if f.T != "CHANNEL_UPDATE" {
			t.Fatalf("got %s", f.T)
		}
		updated[ch.ID] = true
	}
	if !updated[cat] || !updated[synced] || w.CanView(w.member, synced) || w.CanView(w.member, cat) {
		t.Errorf("updated %v; the synced child must follow its category", updated)
	}
	if c, _ := w.Channel(own); len(c.Overwrites) != 1 || !w.CanView(w.member, own) {
		t.Errorf("a channel with its own overwrites changed: %+v", c.Overwrites)
	}
	w.SetEveryonePermissions(w.guild, EveryonePermissions&^send)
	if f := g.next(); f.T != "GUILD_ROLE_UPDATE" || w.CanSend(w.member, w.general) {
		t.Errorf("got %s; member can send %v", f.T, w.CanSend(w.member, w.general))
	}

	if !w.DeleteChannel(cat) {
		t.Fatal("DeleteChannel failed")
	}
	if f := g.next(); f.T != "CHANNEL_DELETE" {
		t.Fatalf("got %s, want CHANNEL_DELETE", f.T)
	}
	for range 2 {
		if f := g.next(); f.T != "CHANNEL_UPDATE" {
			t.Fatalf("got %s, want CHANNEL_UPDATE for an orphaned child", f.T)
		}
	}
	if c, _ := w.Channel(synced); c.ParentID != "" {
		t.Errorf("child still has parent %q", c.ParentID)
	}
	if _, ok := w.Channel(cat); ok || w.DeleteChannel(cat) {
		t.Error("the category still exists")
	}
}
