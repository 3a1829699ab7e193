package bot

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"unicode/utf8"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
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
		Title:    truncate(r.T("guidelines.form_title", i18n.Args{"Circle": c.Name}), maxModalTitle),
		Inputs: []TextInput{{
			ID: guidelinesInput, Label: r.T("guidelines.input"), Value: c.Guidelines.Text,
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
			return c, lerr(circles.ENotFound, "guidelines.circle_gone")
		}
		return c, err
	}
	if !c.IsFacilitator(r.UserID) && !isAdmin(r) {
		return c, lerr(circles.EForbidden, "guidelines.not_facilitator", i18n.Args{"Circle": c.EscapedName()})
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
		return nil, lerr(circles.EInvalid, "guidelines.too_long", i18n.Args{"Max": circles.MaxGuidelinesLength, "Have": n, "Over": n - circles.MaxGuidelinesLength})
	}
	changed := false
	updated, promoted, err := b.store.UpdateCircle(ctx, r.GuildID, c.ID, func(cur *circles.Circle) error {
		if cur.Guidelines.Version != r.CustomID.Version {
			return lerr(circles.EConflict, "guidelines.changed_meanwhile", i18n.Args{"Circle": cur.EscapedName(), "Version": cur.Guidelines.Version})
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
		return &Response{Content: r.T("guidelines.unchanged", i18n.Args{"Circle": updated.EscapedName(), "Version": updated.Guidelines.Version})}, nil
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
	msg := r.T("guidelines.saved", i18n.Args{"Version": updated.Guidelines.Version, "Circle": updated.EscapedName()})
	if stale == 0 {
		msg += " " + r.T("guidelines.nobody_to_ask")
	} else {
		msg += " " + r.T("guidelines.reconsent", i18n.Args{"Count": stale})
	}
	return &Response{Content: msg}, nil
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
		Title:    truncate(r.T("prompts.form_title", i18n.Args{"Circle": c.Name}), maxModalTitle),
		Inputs: []TextInput{{
			ID: promptsInput, Label: r.T("prompts.input", i18n.Args{"Max": circles.MaxPrompts}),
			Value: strings.Join(c.Prompts, "\n"), Placeholder: r.T("prompts.placeholder"),
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
			return lerr(circles.EConflict, "prompts.changed_meanwhile", i18n.Args{"Circle": cur.EscapedName()})
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
		return &Response{Content: r.T("prompts.cleared", i18n.Args{"Circle": updated.EscapedName()})}, nil
	case 1:
		return &Response{Content: r.T("prompts.saved_one", i18n.Args{"Circle": updated.EscapedName()})}, nil
	}
	times := circles.PromptTimes(r.Now, r.Now.Add(updated.Schedule.Duration), len(prompts))
	offsets := make([]string, 0, len(times)-1)
	for _, t := range times[1:] {
		offsets = append(offsets, fmt.Sprintf("%d", int(t.Sub(r.Now).Minutes())))
	}
	return &Response{Content: r.T("prompts.saved", i18n.Args{"Count": len(prompts), "Circle": updated.EscapedName(),
		"Offsets": strings.Join(offsets, ", "), "Minutes": int(updated.Schedule.Duration.Minutes())})}, nil
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
