package discordsim

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/bwmarrin/discordgo"
)

const maxCommands = 100

// commandScopeLocked checks the application id and guild and returns the
// key into s.commands ("" for global).
func (s *Sim) commandScopeLocked(c *reqCtx) (string, *apiError) {
	if c.params["application_id"] != s.appID {
		return "", errMissingAccess()
	}
	gid := c.params["guild_id"]
	if gid != "" {
		if g := s.guilds[gid]; g == nil || !g.botIn {
			return "", errMissingAccess()
		}
	}
	return gid, nil
}

func (s *Sim) storeCommandLocked(scope string, cmd *discordgo.ApplicationCommand, id string) *discordgo.ApplicationCommand {
	if cmd.Type == 0 {
		cmd.Type = discordgo.ChatApplicationCommand
	}
	if id == "" {
		id = nextID()
	}
	cmd.ID = id
	cmd.ApplicationID = s.appID
	cmd.GuildID = scope
	cmd.Version = nextID()
	return cmd
}

func findCommand(list []*discordgo.ApplicationCommand, pred func(*discordgo.ApplicationCommand) bool) int {
	return slices.IndexFunc(list, pred)
}

func sameKind(a *discordgo.ApplicationCommand) func(*discordgo.ApplicationCommand) bool {
	t := a.Type
	if t == 0 {
		t = discordgo.ChatApplicationCommand
	}
	return func(b *discordgo.ApplicationCommand) bool { return b.Name == a.Name && b.Type == t }
}

func listCommands(s *Sim, c *reqCtx) (int, any, *apiError) {
	scope, err := s.commandScopeLocked(c)
	if err != nil {
		return 0, nil, err
	}
	out := []*discordgo.ApplicationCommand{}
	out = append(out, s.commands[scope]...)
	return http.StatusOK, out, nil
}

func createCommand(s *Sim, c *reqCtx) (int, any, *apiError) {
	scope, err := s.commandScopeLocked(c)
	if err != nil {
		return 0, nil, err
	}
	var cmd discordgo.ApplicationCommand
	if err := c.decode(&cmd); err != nil {
		return 0, nil, err
	}
	var fe formErrors
	validateCommand(&fe, "", &cmd)
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	list := s.commands[scope]
	// POST with an existing name updates that command (Discord's upsert).
	if i := findCommand(list, sameKind(&cmd)); i >= 0 {
		list[i] = s.storeCommandLocked(scope, &cmd, list[i].ID)
		return http.StatusOK, list[i], nil
	}
	if len(list) >= maxCommands {
		return 0, nil, newErr(http.StatusBadRequest, 30032, "Maximum number of application commands reached (100)")
	}
	s.commands[scope] = append(list, s.storeCommandLocked(scope, &cmd, ""))
	return http.StatusCreated, &cmd, nil
}

// overwriteCommands replaces the whole set, keeping the ids of commands
// whose name and type survive, as Discord does.
func overwriteCommands(s *Sim, c *reqCtx) (int, any, *apiError) {
	scope, err := s.commandScopeLocked(c)
	if err != nil {
		return 0, nil, err
	}
	var cmds []*discordgo.ApplicationCommand
	if err := c.decode(&cmds); err != nil {
		return 0, nil, err
	}
	var fe formErrors
	fe.maxLen("", len(cmds), maxCommands)
	for i, cmd := range cmds {
		if cmd == nil {
			fe.required(join(i))
			continue
		}
		validateCommand(&fe, join(i), cmd)
		if j := findCommand(cmds[:i], sameKind(cmd)); j >= 0 {
			fe.add(join(i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
		}
	}
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	old := s.commands[scope]
	next := make([]*discordgo.ApplicationCommand, 0, len(cmds))
	for _, cmd := range cmds {
		id := ""
		if i := findCommand(old, sameKind(cmd)); i >= 0 {
			id = old[i].ID
		}
		next = append(next, s.storeCommandLocked(scope, cmd, id))
	}
	s.commands[scope] = next
	return http.StatusOK, next, nil
}

func (s *Sim) commandByIDLocked(c *reqCtx) (string, int, *apiError) {
	scope, err := s.commandScopeLocked(c)
	if err != nil {
		return "", -1, err
	}
	id := c.params["command_id"]
	i := findCommand(s.commands[scope], func(x *discordgo.ApplicationCommand) bool { return x.ID == id })
	if i < 0 {
		return "", -1, errUnknownCommand()
	}
	return scope, i, nil
}

func getCommand(s *Sim, c *reqCtx) (int, any, *apiError) {
	scope, i, err := s.commandByIDLocked(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.commands[scope][i], nil
}

func editCommand(s *Sim, c *reqCtx) (int, any, *apiError) {
	scope, i, err := s.commandByIDLocked(c)
	if err != nil {
		return 0, nil, err
	}
	cur := cloneCommand(s.commands[scope][i])
	if len(c.body) == 0 || json.Unmarshal(c.body, &cur) != nil {
		return 0, nil, errBadJSON()
	}
	var fe formErrors
	validateCommand(&fe, "", &cur)
	if e := fe.err(); e != nil {
		return 0, nil, e
	}
	s.commands[scope][i] = s.storeCommandLocked(scope, &cur, s.commands[scope][i].ID)
	return http.StatusOK, s.commands[scope][i], nil
}

func deleteCommand(s *Sim, c *reqCtx) (int, any, *apiError) {
	scope, i, err := s.commandByIDLocked(c)
	if err != nil {
		return 0, nil, err
	}
	s.commands[scope] = slices.Delete(s.commands[scope], i, i+1)
	return http.StatusNoContent, nil, nil
}
