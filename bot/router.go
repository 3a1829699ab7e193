package bot

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
	"github.com/circlebot/circlebot/metrics"
)

// Request is one interaction, decoded for a handler.
type Request struct {
	Interaction *discordgo.Interaction
	GuildID     string // from Discord, never from a custom_id; "" in DMs
	UserID      string
	Member      *discordgo.Member // nil in DMs
	Now         time.Time
	Lang        i18n.Locale // the language to answer in (locale.go)

	Path     string // command path: "circle create"
	Options  map[string]*discordgo.ApplicationCommandInteractionDataOption
	Focused  string // autocomplete: the option being typed
	CustomID CustomID
	Fields   map[string]string // modal text inputs by ID

	received time.Time // when the router got the interaction (wall clock): Discord's 3 s count from about then
	// metric names the route in the metrics: routeName for an interaction
	// with a handler, "unknown" for anything else, so that what a client
	// makes up can't add label values.
	metric string
}

// HandlerFunc answers one interaction.
type HandlerFunc func(ctx context.Context, r *Request) (*Response, error)

// Responder sends interaction callbacks. *discordgo.Session is one.
type Responder interface {
	InteractionRespond(i *discordgo.Interaction, resp *discordgo.InteractionResponse, options ...discordgo.RequestOption) error
	InteractionResponseEdit(i *discordgo.Interaction, edit *discordgo.WebhookEdit, options ...discordgo.RequestOption) (*discordgo.Message, error)
	FollowupMessageCreate(i *discordgo.Interaction, wait bool, data *discordgo.WebhookParams, options ...discordgo.RequestOption) (*discordgo.Message, error)
}

// Router sends each interaction to its handler by command path, custom_id
// action or modal action, answers within Discord's deadline (deferring when
// a handler is slow), turns errors into kind ephemeral replies and recovers
// panics.
type Router struct {
	commands     map[string]HandlerFunc
	autocomplete map[string]HandlerFunc
	components   map[string]HandlerFunc
	modals       map[string]HandlerFunc
	deferNow     map[string]bool // command paths acknowledged before their handler runs
	log          *slog.Logger
	now          func() time.Time
	metrics      *metrics.Metrics // nil: none
	// DeferAfter is how long a handler may run before the router defers.
	// Discord allows 3 s for the first answer; we leave room for latency.
	DeferAfter time.Duration
	// Timeout bounds a deferred handler; Discord's token lives 15 minutes.
	Timeout time.Duration
	// AutocompleteTimeout bounds an autocomplete handler: its answer can't
	// be deferred, so when it runs out the user gets no suggestions rather
	// than a failed interaction.
	AutocompleteTimeout time.Duration
}

// NewRouter returns an empty router.
func NewRouter(log *slog.Logger, now func() time.Time) *Router {
	return &Router{
		commands:     map[string]HandlerFunc{},
		autocomplete: map[string]HandlerFunc{},
		components:   map[string]HandlerFunc{},
		modals:       map[string]HandlerFunc{},
		deferNow:     map[string]bool{},
		log:          log,
		now:          now,
		DeferAfter:   1500 * time.Millisecond,
		Timeout:      10 * time.Minute,

		AutocompleteTimeout: 2500 * time.Millisecond,
	}
}

// Command routes a slash or message command by path ("circle create", "Flag to facilitators").
func (rt *Router) Command(path string, h HandlerFunc) { rt.commands[path] = h }

// SlowCommand routes a command whose handler always works on Discord
// (creates channels, rewrites overwrites, posts several messages): the
// router acknowledges it before the handler runs, so the user sees "thinking…"
// at once and a slow Discord can't eat the 3 seconds.
func (rt *Router) SlowCommand(path string, h HandlerFunc) {
	rt.commands[path] = h
	rt.deferNow[path] = true
}

// Autocomplete routes autocomplete for an option of a command path.
func (rt *Router) Autocomplete(path, option string, h HandlerFunc) {
	rt.autocomplete[path+"#"+option] = h
}

// Component routes buttons by custom_id action.
func (rt *Router) Component(action string, h HandlerFunc) { rt.components[action] = h }

// Modal routes modal submissions by custom_id action.
func (rt *Router) Modal(action string, h HandlerFunc) { rt.modals[action] = h }

// Handle answers one interaction and returns when its handler has, even
// one answered for already (deferred, or an autocomplete out of time), so
// that whoever waits for Handle waits for the handler's work too. It is
// safe to call from discordgo's event goroutines.
func (rt *Router) Handle(ctx context.Context, s Responder, i *discordgo.Interaction) {
	req := &Request{Interaction: i, GuildID: i.GuildID, Now: rt.now(), Member: i.Member, Lang: requestLang(i), received: time.Now()}
	req.UserID = interactionUser(i)
	log := rt.log.With("interaction", i.ID, "guild", i.GuildID, "user", req.UserID)

	var h HandlerFunc
	var err error
	switch i.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		d := i.ApplicationCommandData()
		req.Path, req.Options, req.Focused = commandPath(d)
		if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
			h = rt.autocomplete[req.Path+"#"+req.Focused]
		} else {
			h = rt.commands[req.Path]
		}
	case discordgo.InteractionMessageComponent:
		req.CustomID, err = DecodeCustomID(i.MessageComponentData().CustomID)
		if err == nil {
			h = rt.components[req.CustomID.Action]
		}
	case discordgo.InteractionModalSubmit:
		d := i.ModalSubmitData()
		req.CustomID, err = DecodeCustomID(d.CustomID)
		req.Fields = modalFields(d)
		if err == nil {
			h = rt.modals[req.CustomID.Action]
		}
	}
	log = log.With("route", routeName(i.Type, req))
	req.metric = "unknown"
	if err == nil && h != nil {
		req.metric = routeName(i.Type, req)
	}
	if err == nil && h == nil {
		err = errBadCustomID
		if i.Type == discordgo.InteractionApplicationCommand {
			// Registered with Discord but not here: an older or newer
			// release is running than the one that registered commands.
			err = lerr(circles.EInvalid, "error.unknown_command", i18n.Args{"Command": req.Path})
		}
	}
	if err != nil {
		h = func(context.Context, *Request) (*Response, error) { return nil, err }
	}

	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		rt.answerAutocomplete(ctx, s, i, req, h, log)
		return
	}
	rt.answer(ctx, s, i, req, h, log)
}

type result struct {
	resp *Response
	err  error
}

func (rt *Router) run(ctx context.Context, h HandlerFunc, req *Request, log *slog.Logger) (res result) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res = result{err: circles.Internal(fmt.Errorf("panic: %v", p))}
		}
	}()
	resp, err := h(ctx, req)
	return result{resp, err}
}

// Retry budgets of the router's calls (retry.go): the handler's context
// carries budgetHandler (budgetInteraction for autocomplete, which has no
// time for more); the answer goes with callbackContext, and what follows a
// deferral with followupContext. Neither is cancelled with the handler's
// context, so an answer is still sent when the handler ran out of time or
// the bot is closing (Close waits for it).

// callbackContext is for the interaction callback: the answer, a modal,
// autocomplete choices, the deferral. Discord wants it within 3 s of the
// interaction, which arrived at received: the callback is retried until
// callbackWindow after that — a quick handler's answer has most of the 3 s,
// not just the second one that is made late gets — and for at least
// budgetInteraction. The budget counts from now: make the context just
// before the call.
func callbackContext(ctx context.Context, received time.Time) context.Context {
	budget := max(budgetInteraction, time.Until(received.Add(callbackWindow)))
	return withRetryBudget(context.WithoutCancel(ctx), budget)
}

// followupContext is for editing a deferred answer in and follow-ups.
func followupContext(ctx context.Context) context.Context {
	return withRetryBudget(context.WithoutCancel(ctx), budgetFollowup)
}

func (rt *Router) answerAutocomplete(ctx context.Context, s Responder, i *discordgo.Interaction, req *Request, h HandlerFunc, log *slog.Logger) {
	base := ctx
	ctx, cancel := context.WithTimeout(withRetryBudget(ctx, budgetInteraction), rt.AutocompleteTimeout)
	defer cancel()
	done := make(chan result, 1)
	go func() { done <- rt.run(ctx, h, req, log) }()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		// A handler that ignores its context must not cost the answer;
		// it is waited for once the answer is sent.
		res = result{err: fmt.Errorf("autocomplete: %w", ctx.Err())}
		defer func() { <-done }()
	}
	var choices []*discordgo.ApplicationCommandOptionChoice
	outcome := metrics.OutcomeOK
	if res.err != nil {
		log.Warn("autocomplete failed", "err", res.err)
		outcome = metrics.OutcomeError
	} else if res.resp != nil {
		choices = res.resp.Choices
	}
	if len(choices) > 25 {
		choices = choices[:25]
	}
	if choices == nil {
		choices = []*discordgo.ApplicationCommandOptionChoice{}
	}
	err := s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	}, discordgo.WithContext(callbackContext(base, req.received)))
	if err != nil {
		log.Warn("could not answer autocomplete", "err", errText(err))
		outcome = metrics.OutcomeUndelivered
	}
	rt.metrics.Interaction(req.metric, outcome, time.Since(req.received))
}

func (rt *Router) answer(ctx context.Context, s Responder, i *discordgo.Interaction, req *Request, h HandlerFunc, log *slog.Logger) {
	start := time.Now()
	base := ctx
	ctx, cancel := context.WithTimeout(withRetryBudget(ctx, budgetHandler), rt.Timeout)
	defer cancel()

	// The handler runs here, on the event's goroutine, which waits for it
	// anyway: a quick answer costs no hand-over to another goroutine and
	// back. Whichever comes first claims the answer: the handler returning,
	// or a timer at DeferAfter that acknowledges the interaction (the
	// handler is slow: store, Discord) so that the answer can be edited in
	// when it is ready.
	deferNow := i.Type == discordgo.InteractionApplicationCommand && rt.deferNow[req.Path]
	var claimed atomic.Bool
	deferSent := make(chan struct{})
	deferral := func() {
		defer close(deferSent)
		typ := discordgo.InteractionResponseDeferredChannelMessageWithSource
		data := &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
		if i.Type == discordgo.InteractionMessageComponent {
			// We don't know yet whether the answer updates the message;
			// a deferred update keeps the original intact either way.
			typ = discordgo.InteractionResponseDeferredMessageUpdate
			data = nil
		}
		if err := s.InteractionRespond(i, &discordgo.InteractionResponse{Type: typ, Data: data}, discordgo.WithContext(callbackContext(base, req.received))); err != nil {
			// The answer is still tried when the handler is done, in case
			// the deferral reached Discord after all.
			log.Error("could not defer: the user will likely see \"This interaction failed\"", "err", errText(err))
		}
	}
	if deferNow {
		claimed.Store(true)
		deferral()
	} else {
		timer := time.AfterFunc(rt.DeferAfter, func() {
			if claimed.CompareAndSwap(false, true) {
				deferral()
			}
		})
		defer timer.Stop()
	}
	res := rt.run(ctx, h, req, log)
	deferred := !claimed.CompareAndSwap(false, true)
	if deferred {
		<-deferSent
	}

	resp, err := res.resp, res.err
	outcome := metrics.OutcomeOK
	if err != nil {
		resp = errorResponse(err, req.Lang)
		if circles.ErrorCode(err) == circles.EInternal {
			log.Error("handler failed", "err", err)
			outcome = metrics.OutcomeError
		} else {
			log.Info("refused", "code", circles.ErrorCode(err), "reason", circles.ErrorMessage(err))
			outcome = metrics.OutcomeRefused
		}
	}
	if resp == nil {
		resp = &Response{Content: req.T("common.done")}
	}
	log.Debug("answered", "deferred", deferred, "took", time.Since(start).Round(time.Millisecond))
	var delivered bool
	if deferred {
		delivered = rt.sendDeferred(base, s, i, req, resp, log)
	} else {
		delivered = rt.send(base, s, i, req, resp, log)
	}
	if !delivered {
		outcome = metrics.OutcomeUndelivered
	}
	rt.metrics.Interaction(req.metric, outcome, time.Since(req.received))
}

// send answers with the interaction callback; false if it didn't get there.
func (rt *Router) send(ctx context.Context, s Responder, i *discordgo.Interaction, req *Request, resp *Response, log *slog.Logger) bool {
	out := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: resp.data()}
	switch {
	case resp.Modal != nil:
		out = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal, Data: resp.Modal.data()}
	case resp.Update && i.Type == discordgo.InteractionMessageComponent:
		out.Type = discordgo.InteractionResponseUpdateMessage
		out.Data.Flags = 0 // an update keeps the message's own flags
	}
	if err := s.InteractionRespond(i, out, discordgo.WithContext(callbackContext(ctx, req.received))); err != nil {
		log.Error("could not answer interaction: the user sees \"This interaction failed\"", "err", errText(err))
		return false
	}
	return true
}

// sendDeferred delivers the answer to a deferred interaction. One that
// can't be delivered leaves the user with "thinking…" (or, for a click,
// no answer at all) and is logged as an error saying so; it returns
// whether the answer was delivered.
func (rt *Router) sendDeferred(ctx context.Context, s Responder, i *discordgo.Interaction, req *Request, resp *Response, log *slog.Logger) bool {
	opt := discordgo.WithContext(followupContext(ctx))
	if resp.Modal != nil {
		// A modal can't follow a deferral; handlers that open modals must be quick.
		log.Error("modal after deferral; the user saw no form")
		resp = errorResponse(circles.Internal(fmt.Errorf("modal after deferral")), req.Lang)
	}
	if i.Type == discordgo.InteractionMessageComponent && !resp.Update {
		// A component was deferred as an update: @original is the message
		// that was clicked (a reminder DM, a circle card). Only an Update
		// may replace it; anything else, errors included (errorResponse is
		// never an Update), is a new message, private unless the handler
		// made it public.
		_, err := s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
			Content:         resp.Content,
			Embeds:          resp.Embeds,
			Components:      resp.Components,
			Files:           resp.Files,
			Flags:           resp.flags(),
			AllowedMentions: noMentions(resp.Mention...),
		}, opt)
		if err != nil {
			log.Error("deferred answer not delivered: the click got no answer", "via", "follow-up", "err", errText(err))
			return false
		}
		return true
	}
	content := resp.Content
	edit := &discordgo.WebhookEdit{
		Content:         &content,
		Embeds:          &resp.Embeds,
		Components:      &resp.Components,
		Files:           resp.Files,
		AllowedMentions: noMentions(resp.Mention...),
	}
	if _, err := s.InteractionResponseEdit(i, edit, opt); err != nil {
		log.Error("deferred answer not delivered: the user is left with \"thinking…\"", "via", "edit", "err", errText(err))
		return false
	}
	return true
}

func errorResponse(err error, lang i18n.Locale) *Response {
	prefix := "⚠️ "
	switch circles.ErrorCode(err) {
	case circles.EForbidden:
		prefix = "🔒 "
	case circles.ENotFound:
		prefix = "🔎 "
	}
	return &Response{Content: prefix + errorText(err, lang)}
}

// interactionUser is who sent i: the member in a server, the user in a DM.
func interactionUser(i *discordgo.Interaction) string {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User.ID
	}
	if i.User != nil {
		return i.User.ID
	}
	return ""
}

// commandPath flattens subcommands: "circle create" with its options.
func commandPath(d discordgo.ApplicationCommandInteractionData) (string, map[string]*discordgo.ApplicationCommandInteractionDataOption, string) {
	path := []string{d.Name}
	opts := d.Options
	for len(opts) == 1 && (opts[0].Type == discordgo.ApplicationCommandOptionSubCommand || opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
		path = append(path, opts[0].Name)
		opts = opts[0].Options
	}
	m := make(map[string]*discordgo.ApplicationCommandInteractionDataOption, len(opts))
	focused := ""
	for _, o := range opts {
		m[o.Name] = o
		if o.Focused {
			focused = o.Name
		}
	}
	return strings.Join(path, " "), m, focused
}

func modalFields(d discordgo.ModalSubmitInteractionData) map[string]string {
	out := map[string]string{}
	for _, row := range d.Components {
		r, ok := row.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, c := range r.Components {
			if ti, ok := c.(*discordgo.TextInput); ok {
				out[ti.CustomID] = ti.Value
			}
		}
	}
	return out
}

func routeName(t discordgo.InteractionType, r *Request) string {
	switch t {
	case discordgo.InteractionMessageComponent:
		return "button:" + r.CustomID.Action
	case discordgo.InteractionModalSubmit:
		return "modal:" + r.CustomID.Action
	case discordgo.InteractionApplicationCommandAutocomplete:
		return "autocomplete:" + r.Path + "#" + r.Focused
	}
	return "/" + r.Path
}

// Option accessors: the client validated types, but values are still input.

// String returns a string option, trimmed, or "".
func (r *Request) String(name string) string {
	if o, ok := r.Options[name]; ok {
		if s, ok := o.Value.(string); ok {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// Int returns an integer option and whether it was given.
func (r *Request) Int(name string) (int, bool) {
	if o, ok := r.Options[name]; ok {
		if f, ok := o.Value.(float64); ok {
			return int(f), true
		}
	}
	return 0, false
}

// Bool returns a boolean option and whether it was given.
func (r *Request) Bool(name string) (bool, bool) {
	if o, ok := r.Options[name]; ok {
		if b, ok := o.Value.(bool); ok {
			return b, true
		}
	}
	return false, false
}

// Snowflake returns a user, role or channel option's ID, or "".
func (r *Request) Snowflake(name string) string {
	if o, ok := r.Options[name]; ok {
		if s, ok := o.Value.(string); ok && isSnowflakeOrEmpty(s) {
			return s
		}
	}
	return ""
}
