package bot

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"unicode/utf8"

	"github.com/circlebot/circlebot/circles"
)

// Guidelines and prompts are edited in modals. The modal's custom_id says
// which circle it was opened for and what it showed (the guidelines
// version, a digest of the prompts), so a save over someone else's change
// is refused instead of silently undoing it. It comes back from the
// client: on submit the guild comes from the interaction, the circle is
// looked up again and the caller authorised again.

const (
	guidelinesInput = "text"
	promptsInput    = "prompts"
	maxModalTitle   = 45
)

// circleGuidelines: /circle guidelines opens the editor.
func (b *Bot) circleGuidelines(ctx context.Context, r *Request) (*Response, error) {
	c, _, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	if err := c.Editable(); err != nil {
		return nil, err
	}
	id := CustomID{Action: "guidelines", GuildID: r.GuildID, CircleID: c.ID, Version: c.Guidelines.Version, UserID: r.UserID}
	return &Response{Modal: &Modal{
		CustomID: id.Encode(),
		Title:    truncate("Guidelines of "+c.Name, maxModalTitle),
		Inputs: []TextInput{{
			ID: guidelinesInput, Label: "Guidelines members agree to", Value: c.Guidelines.Text,
			Paragraph: true, Required: true, MaxLength: circles.MaxGuidelinesLength,
		}},
	}}, nil
}

// reauthoriseModal re-checks a modal submission: it must be the caller's
// own, from this server, and the caller must still facilitate the circle.
func (b *Bot) reauthoriseModal(ctx context.Context, r *Request) (circles.Circle, error) {
	if err := checkButtonOwner(r); err != nil {
		return circles.Circle{}, err
	}
	if _, err := b.requireFacilitator(ctx, r); err != nil {
		return circles.Circle{}, err
	}
	c, err := b.store.Circle(ctx, r.GuildID, r.CustomID.CircleID)
	if err != nil {
		if circles.ErrorCode(err) == circles.ENotFound {
			return c, circles.Errorf(circles.ENotFound, "That circle no longer exists in this server. Nothing was saved.")
		}
		return c, err
	}
	if !c.IsFacilitator(r.UserID) && !isAdmin(r) {
		return c, circles.Errorf(circles.EForbidden, "Only the facilitators of %s (or a server admin) can change it. Nothing was saved.", c.EscapedName())
	}
	return c, c.Editable()
}

// guidelinesSubmit saves new guidelines as a new version.
func (b *Bot) guidelinesSubmit(ctx context.Context, r *Request) (*Response, error) {
	c, err := b.reauthoriseModal(ctx, r)
	if err != nil {
		return nil, err
	}
	text := r.Fields[guidelinesInput]
	if n := utf8.RuneCountInString(text); n > circles.MaxGuidelinesLength {
		return nil, circles.Errorf(circles.EInvalid, "Guidelines can be at most %d characters (Discord's limit for a form); yours have %d. Please shorten them by %d and save again. Nothing was changed.", circles.MaxGuidelinesLength, n, n-circles.MaxGuidelinesLength)
	}
	changed := false
	updated, promoted, err := b.store.UpdateCircle(ctx, r.GuildID, c.ID, func(cur *circles.Circle) error {
		if cur.Guidelines.Version != r.CustomID.Version {
			return circles.Errorf(circles.EConflict, "Someone else changed the guidelines of %s meanwhile (they are now at version %d), so nothing was saved. Run /circle guidelines again to edit the current text.", cur.EscapedName(), cur.Guidelines.Version)
		}
		var err error
		changed, err = cur.SetGuidelines(text)
		return err
	})
	if err != nil {
		return nil, err
	}
	b.afterCircleUpdate(ctx, updated, promoted, false)
	if !changed {
		return Reply("The guidelines of **%s** are unchanged (still version %d).", updated.EscapedName(), updated.Guidelines.Version), nil
	}
	members, err := b.store.Memberships(ctx, updated.ID)
	if err != nil {
		return nil, err
	}
	stale := 0
	for _, m := range members {
		if m.Status == circles.StatusActive && m.ConsentVersion != updated.Guidelines.Version {
			stale++
		}
	}
	b.log.Info("guidelines changed", "guild", r.GuildID, "circle", updated.ID, "version", updated.Guidelines.Version, "by", r.UserID, "reconsent", stale)
	msg := fmt.Sprintf("Saved version %d of the guidelines of **%s**.", updated.Guidelines.Version, updated.EscapedName())
	switch stale {
	case 0:
		msg += " Nobody has joined yet, so there's nobody to ask again."
	case 1:
		msg += " 1 member will be asked to agree to the new guidelines before their next session; anyone in a session now stays until it ends. They keep their place meanwhile."
	default:
		msg += fmt.Sprintf(" %d members will be asked to agree to the new guidelines before their next session; anyone in a session now stays until it ends. They keep their places meanwhile.", stale)
	}
	return Reply("%s", msg), nil
}

// circlePrompts: /circle prompts opens the editor.
func (b *Bot) circlePrompts(ctx context.Context, r *Request) (*Response, error) {
	c, _, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	if err := c.Editable(); err != nil {
		return nil, err
	}
	id := CustomID{Action: "prompts", GuildID: r.GuildID, CircleID: c.ID, UserID: r.UserID, Arg: promptsDigest(c.Prompts)}
	return &Response{Modal: &Modal{
		CustomID: id.Encode(),
		Title:    truncate("Prompts of "+c.Name, maxModalTitle),
		Inputs: []TextInput{{
			ID: promptsInput, Label: fmt.Sprintf("One prompt per line (up to %d)", circles.MaxPrompts),
			Value: strings.Join(c.Prompts, "\n"), Placeholder: "What helped you this week?\nWhat are you carrying into next week?",
			Paragraph: true, MaxLength: circles.MaxGuidelinesLength,
		}},
	}}, nil
}

// promptsSubmit saves the prompts.
func (b *Bot) promptsSubmit(ctx context.Context, r *Request) (*Response, error) {
	c, err := b.reauthoriseModal(ctx, r)
	if err != nil {
		return nil, err
	}
	prompts, err := circles.ParsePrompts(r.Fields[promptsInput])
	if err != nil {
		return nil, err
	}
	updated, promoted, err := b.store.UpdateCircle(ctx, r.GuildID, c.ID, func(cur *circles.Circle) error {
		if promptsDigest(cur.Prompts) != r.CustomID.Arg {
			return circles.Errorf(circles.EConflict, "Someone else changed the prompts of %s while you were editing them, so nothing was saved. Run /circle prompts again to see the current prompts, and make your change there.", cur.EscapedName())
		}
		cur.Prompts = prompts
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.afterCircleUpdate(ctx, updated, promoted, false)
	b.log.Info("prompts changed", "guild", r.GuildID, "circle", updated.ID, "prompts", len(prompts), "by", r.UserID)
	switch len(prompts) {
	case 0:
		return Reply("Cleared the prompts of **%s**. Sessions will open with the guidelines and a welcome only.", updated.EscapedName()), nil
	case 1:
		return Reply("Saved 1 prompt for **%s**. It is posted when a session opens.", updated.EscapedName()), nil
	}
	times := circles.PromptTimes(r.Now, r.Now.Add(updated.Schedule.Duration), len(prompts))
	offsets := make([]string, 0, len(times)-1)
	for _, t := range times[1:] {
		offsets = append(offsets, fmt.Sprintf("%d", int(t.Sub(r.Now).Minutes())))
	}
	return Reply("Saved %d prompts for **%s**. The first is posted when a session opens; the rest follow %s minutes in (spread out before the 5-minute warning of a %d-minute session).",
		len(prompts), updated.EscapedName(), strings.Join(offsets, ", "), int(updated.Schedule.Duration.Minutes())), nil
}

// promptsDigest fingerprints a circle's prompts for the prompts form's
// custom_id, in letters as its Arg takes them (at most 14).
func promptsDigest(prompts []string) string {
	h := fnv.New64a()
	for _, p := range prompts {
		h.Write([]byte(p))
		h.Write([]byte{0}) // "ab","c" is not "a","bc"
	}
	return letters(h.Sum64())
}
