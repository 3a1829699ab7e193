package discordsim

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Discord's limits, from the API documentation.
const (
	maxContent        = 2000
	maxEmbeds         = 10
	maxEmbedTotal     = 6000
	maxCustomID       = 100
	maxRows           = 5
	maxButtonsPerRow  = 5
	maxButtonLabel    = 80
	maxChannelName    = 100
	maxTopic          = 1024
	maxGuildChannels  = 500
	maxPerCategory    = 50
	maxOptions        = 25
	maxChoices        = 25
	maxModalTitle     = 45
	maxTextInput      = 4000
	maxTextInputLabel = 45
	maxPins           = 50
)

// messagePayload is the union of what message-creating endpoints accept
// (channel messages, interaction callback data, webhook execute/edit).
// Pointer fields distinguish "absent" from "empty" for PATCH.
type messagePayload struct {
	Content         *string                           `json:"content"`
	Embeds          *[]discordgo.MessageEmbed         `json:"embeds"`
	Components      *[]Component                      `json:"components"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Flags           *int                              `json:"flags"`
	Attachments     *[]json.RawMessage                `json:"attachments"`
	TTS             bool                              `json:"tts"`

	// Create Message only
	Nonce        json.RawMessage `json:"nonce"`
	EnforceNonce bool            `json:"enforce_nonce"`
	nonce        string          // Nonce, validated, as a string

	// interaction callback data only
	Choices  []Choice `json:"choices"`
	CustomID string   `json:"custom_id"`
	Title    string   `json:"title"`

	files []File // from multipart
}

func (p *messagePayload) content() string {
	if p.Content == nil {
		return ""
	}
	return *p.Content
}

func (p *messagePayload) hasBody() bool {
	return p.content() != "" || (p.Embeds != nil && len(*p.Embeds) > 0) ||
		(p.Components != nil && len(*p.Components) > 0) || len(p.files) > 0
}

// validateMessage checks content, embeds, components and allowed_mentions.
// prefix is the path of the payload in the request ("" or "data").
func validateMessage(fe *formErrors, prefix string, p *messagePayload) {
	path := func(s ...any) string {
		if prefix == "" {
			return join(s...)
		}
		return join(append([]any{prefix}, s...)...)
	}
	if p.Content != nil {
		fe.maxLen(path("content"), utf8.RuneCountInString(*p.Content), maxContent)
	}
	if p.Embeds != nil {
		es := *p.Embeds
		fe.maxLen(path("embeds"), len(es), maxEmbeds)
		total := 0
		for i, e := range es {
			n := embedSize(fe, path("embeds", i), e)
			total += n
		}
		if total > maxEmbedTotal {
			fe.add(path("embeds"), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
		}
	}
	if p.Components != nil {
		validateComponents(fe, path("components"), *p.Components)
	}
	if am := p.AllowedMentions; am != nil {
		for i, t := range am.Parse {
			switch t {
			case discordgo.AllowedMentionTypeUsers, discordgo.AllowedMentionTypeRoles, discordgo.AllowedMentionTypeEveryone:
			default:
				fe.add(path("allowed_mentions", "parse", i), "BASE_TYPE_CHOICES", "Value must be one of {'users', 'roles', 'everyone'}.")
			}
			if t == discordgo.AllowedMentionTypeUsers && len(am.Users) > 0 {
				fe.add(path("allowed_mentions"), "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", `parse:["users"] and users: [ids...] are mutually exclusive.`)
			}
			if t == discordgo.AllowedMentionTypeRoles && len(am.Roles) > 0 {
				fe.add(path("allowed_mentions"), "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", `parse:["roles"] and roles: [ids...] are mutually exclusive.`)
			}
		}
		fe.maxLen(path("allowed_mentions", "users"), len(am.Users), 100)
		fe.maxLen(path("allowed_mentions", "roles"), len(am.Roles), 100)
	}
}

func embedSize(fe *formErrors, p string, e discordgo.MessageEmbed) int {
	n := 0
	count := func(field string, s string, max int) {
		l := utf8.RuneCountInString(s)
		fe.maxLen(join(p, field), l, max)
		n += l
	}
	count("title", e.Title, 256)
	count("description", e.Description, 4096)
	if e.Footer != nil {
		count("footer.text", e.Footer.Text, 2048)
	}
	if e.Author != nil {
		count("author.name", e.Author.Name, 256)
	}
	fe.maxLen(join(p, "fields"), len(e.Fields), 25)
	for i, f := range e.Fields {
		if f == nil {
			continue
		}
		count(join("fields", i, "name"), f.Name, 256)
		count(join("fields", i, "value"), f.Value, 1024)
		if f.Name == "" {
			fe.required(join(p, "fields", i, "name"))
		}
		if f.Value == "" {
			fe.required(join(p, "fields", i, "value"))
		}
	}
	return n
}

func validateComponents(fe *formErrors, p string, rows []Component) {
	fe.maxLen(p, len(rows), maxRows)
	seen := map[string]bool{}
	for i, row := range rows {
		rp := join(p, i)
		if row.Type != componentActionRow {
			// Components v2 layouts are out of scope; Discord rejects
			// them without the IS_COMPONENTS_V2 flag anyway.
			fe.add(join(rp, "type"), "UNION_TYPE_CHOICES", "Value of field \"type\" must be one of (1,).")
			continue
		}
		fe.lenBetween(join(rp, "components"), len(row.Components), 1, maxButtonsPerRow)
		hasSelect := false
		for j, c := range row.Components {
			cp := join(rp, "components", j)
			switch c.Type {
			case componentButton:
				if c.Style < 1 || c.Style > 6 {
					fe.add(join(cp, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}.")
				}
				if c.Style == buttonStyleLink {
					if c.URL == "" {
						fe.add(cp, "BUTTON_COMPONENT_URL_REQUIRED", "A url is required")
					}
					if c.CustomID != "" {
						fe.add(cp, "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED", "A custom id cannot be specified")
					}
				} else if c.Style != 6 && c.CustomID == "" {
					fe.add(cp, "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED", "A custom id is required")
				}
				fe.maxLen(join(cp, "label"), utf8.RuneCountInString(c.Label), maxButtonLabel)
			case componentStringSelect, 5, 6, 7, 8:
				hasSelect = true
				if c.CustomID == "" {
					fe.required(join(cp, "custom_id"))
				}
				fe.maxLen(join(cp, "options"), len(c.Options), 25)
			default:
				fe.add(join(cp, "type"), "COMPONENT_TYPE_INVALID", "Component type is invalid in this context")
			}
			fe.maxLen(join(cp, "custom_id"), utf8.RuneCountInString(c.CustomID), maxCustomID)
			if c.CustomID != "" {
				if seen[c.CustomID] {
					fe.add(join(cp, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
				}
				seen[c.CustomID] = true
			}
		}
		if hasSelect && len(row.Components) > 1 {
			fe.add(join(rp, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width")
		}
	}
}

// validateModal checks a type 9 callback's data and returns the modal.
func validateModal(fe *formErrors, p *messagePayload) *Modal {
	m := &Modal{CustomID: p.CustomID, Title: p.Title}
	if p.CustomID == "" {
		fe.required("data.custom_id")
	}
	fe.maxLen("data.custom_id", utf8.RuneCountInString(p.CustomID), maxCustomID)
	if p.Title == "" {
		fe.required("data.title")
	}
	fe.maxLen("data.title", utf8.RuneCountInString(p.Title), maxModalTitle)
	var rows []Component
	if p.Components != nil {
		rows = *p.Components
	}
	fe.lenBetween("data.components", len(rows), 1, 5)
	seen := map[string]bool{}
	for i, row := range rows {
		rp := join("data.components", i)
		if row.Type != componentActionRow || len(row.Components) != 1 {
			fe.add(rp, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A modal action row holds exactly one text input")
			continue
		}
		c := row.Components[0]
		cp := join(rp, "components.0")
		if c.Type != componentTextInput {
			fe.add(join(cp, "type"), "COMPONENT_TYPE_INVALID", "Component type is invalid in this context")
			continue
		}
		if c.CustomID == "" {
			fe.required(join(cp, "custom_id"))
		}
		fe.maxLen(join(cp, "custom_id"), utf8.RuneCountInString(c.CustomID), maxCustomID)
		if seen[c.CustomID] {
			fe.add(join(cp, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
		}
		seen[c.CustomID] = true
		if c.Label == "" {
			fe.required(join(cp, "label"))
		}
		fe.maxLen(join(cp, "label"), utf8.RuneCountInString(c.Label), maxTextInputLabel)
		if c.Style != 1 && c.Style != 2 {
			fe.add(join(cp, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
		}
		in := TextInput{CustomID: c.CustomID, Label: c.Label, Style: c.Style, Required: true, MaxLength: maxTextInput, Value: c.Value}
		if c.Required != nil {
			in.Required = *c.Required
		}
		if c.MaxLength != nil {
			if *c.MaxLength < 1 || *c.MaxLength > maxTextInput {
				fe.add(join(cp, "max_length"), "NUMBER_TYPE_MAX", "int value should be less than or equal to 4000.")
			}
			in.MaxLength = *c.MaxLength
		}
		if c.MinLength != nil {
			if *c.MinLength < 0 || *c.MinLength > maxTextInput {
				fe.add(join(cp, "min_length"), "NUMBER_TYPE_MAX", "int value should be less than or equal to 4000.")
			}
			in.MinLength = *c.MinLength
		}
		fe.maxLen(join(cp, "value"), utf8.RuneCountInString(c.Value), maxTextInput)
		m.Inputs = append(m.Inputs, in)
	}
	return m
}

func validateChoices(fe *formErrors, choices []Choice) {
	fe.maxLen("data.choices", len(choices), maxChoices)
	for i, c := range choices {
		fe.lenBetween(join("data.choices", i, "name"), utf8.RuneCountInString(c.Name), 1, 100)
		if s, ok := c.Value.(string); ok {
			fe.maxLen(join("data.choices", i, "value"), utf8.RuneCountInString(s), 100)
		}
	}
}

// Command names: Discord's documented pattern. \p{sc=Deva} and
// \p{sc=Thai} are spelled as Go's script classes.
var commandNameRE = regexp.MustCompile(`^[-_\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

func validateCommand(fe *formErrors, p string, c *discordgo.ApplicationCommand) {
	typ := c.Type
	if typ == 0 {
		typ = discordgo.ChatApplicationCommand
	}
	switch typ {
	case discordgo.ChatApplicationCommand:
		validateName(fe, join(p, "name"), c.Name)
		fe.lenBetween(join(p, "description"), utf8.RuneCountInString(c.Description), 1, 100)
		validateOptions(fe, join(p, "options"), c.Options, 0)
	case discordgo.UserApplicationCommand, discordgo.MessageApplicationCommand:
		fe.lenBetween(join(p, "name"), utf8.RuneCountInString(c.Name), 1, 32)
		if c.Description != "" {
			fe.add(join(p, "description"), "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION", "Context menu commands cannot have description")
		}
		if len(c.Options) > 0 {
			fe.add(join(p, "options"), "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS", "Context menu commands cannot have options")
		}
	default:
		fe.add(join(p, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}.")
	}
}

func validateName(fe *formErrors, p, name string) {
	if !commandNameRE.MatchString(name) {
		fe.add(p, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
	} else if strings.ToLower(name) != name {
		fe.add(p, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
	}
}

// validateOptions enforces the nesting rules: a command holds either
// subcommands/groups or plain options; a group holds only subcommands; a
// subcommand holds only plain options.
func validateOptions(fe *formErrors, p string, opts []*discordgo.ApplicationCommandOption, depth int) {
	fe.maxLen(p, len(opts), maxOptions)
	names := map[string]bool{}
	seenOptional, hasSub, hasPlain := false, false, false
	for i, o := range opts {
		if o == nil {
			continue
		}
		op := join(p, i)
		validateName(fe, join(op, "name"), o.Name)
		fe.lenBetween(join(op, "description"), utf8.RuneCountInString(o.Description), 1, 100)
		if names[o.Name] {
			fe.add(join(op, "name"), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique")
		}
		names[o.Name] = true
		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommandGroup:
			hasSub = true
			if depth != 0 {
				fe.add(join(op, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommand groups can only be top-level options")
			}
			for j, sub := range o.Options {
				if sub != nil && sub.Type != discordgo.ApplicationCommandOptionSubCommand {
					fe.add(join(op, "options", j, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommand groups can only contain subcommands")
				}
			}
			validateOptions(fe, join(op, "options"), o.Options, depth+1)
		case discordgo.ApplicationCommandOptionSubCommand:
			hasSub = true
			if depth > 1 {
				fe.add(join(op, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommands cannot be nested this deep")
			}
			for j, sub := range o.Options {
				if sub != nil && (sub.Type == discordgo.ApplicationCommandOptionSubCommand || sub.Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
					fe.add(join(op, "options", j, "type"), "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommands cannot contain subcommands")
				}
			}
			validateOptions(fe, join(op, "options"), o.Options, depth+1)
		default:
			hasPlain = true
			if o.Type < 3 || o.Type > 11 {
				fe.add(join(op, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}.")
			}
			if o.Required && seenOptional {
				fe.add(join(op, "required"), "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
			}
			if !o.Required {
				seenOptional = true
			}
			fe.maxLen(join(op, "choices"), len(o.Choices), maxChoices)
			for j, ch := range o.Choices {
				if ch != nil {
					fe.lenBetween(join(op, "choices", j, "name"), utf8.RuneCountInString(ch.Name), 1, 100)
				}
			}
			if o.Autocomplete && len(o.Choices) > 0 {
				fe.add(join(op, "autocomplete"), "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_AND_CHOICES", "Autocomplete cannot be set with choices")
			}
			if o.MaxLength > 6000 {
				fe.add(join(op, "max_length"), "NUMBER_TYPE_MAX", "int value should be less than or equal to 6000.")
			}
		}
	}
	if hasSub && hasPlain {
		fe.add(p, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Sub-command and sub-command group option types are mutually exclusive to all other types")
	}
}

func cloneCommand(c *discordgo.ApplicationCommand) discordgo.ApplicationCommand {
	b, _ := json.Marshal(c)
	var out discordgo.ApplicationCommand
	_ = json.Unmarshal(b, &out)
	return out
}
