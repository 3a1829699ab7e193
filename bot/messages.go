package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"

	"github.com/bwmarrin/discordgo"
)

// The bot's own messages go through send, not discordgo's
// ChannelMessageSendComplex, for one field discordgo v0.29.0 lacks: a
// nonce with enforce_nonce. Discord then de-duplicates the message for a
// few minutes by author and nonce, returning the first one instead of
// posting again — which makes a post safe to repeat when its answer was
// lost (the retrying transport, a step retried a minute later).

// maxNonce is Discord's limit on a string nonce.
const maxNonce = 25

// nonceKey names one of a session's own messages, the same on every try:
// "what" (the guidelines, the welcome…) and n (a version, a prompt's
// index). Nonces are unique per author, so the key includes the session.
func nonceKey(sessionID int64, what string, n int) string {
	return fmt.Sprintf("session %d %s %d", sessionID, what, n)
}

// nonceFor turns a key into a nonce within Discord's 25 characters; an
// empty key gets a random one, which still de-duplicates the transport's
// retries of the same request.
func nonceFor(key string) string {
	if key == "" {
		var b [9]byte
		_, _ = rand.Read(b[:])
		return "cb" + hex.EncodeToString(b[:])
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return fmt.Sprintf("cb%016x", h.Sum64())
}

// send posts a message with a nonce Discord enforces (see above). key
// names the message for a nonce that is the same on every try; "" gets a
// fresh one.
func (b *Bot) send(ctx context.Context, channelID, key string, msg *discordgo.MessageSend) (*discordgo.Message, error) {
	return channelMessageSendOnce(b.dg, channelID, nonceFor(key), msg, discordgo.WithContext(ctx))
}

// nonceMessage is a message with a nonce Discord enforces: a second POST
// with the same nonce within a few minutes returns the first message
// instead of posting again, which makes the POST safe to retry.
type nonceMessage struct {
	*discordgo.MessageSend
	Nonce        string `json:"nonce"`
	EnforceNonce bool   `json:"enforce_nonce"`
}

// channelMessageSendOnce is ChannelMessageSendComplex with an enforced
// nonce (at most 25 characters), so that the transport may retry it. Use a
// nonce that names the message — the same message gets the same nonce, a
// different one a different nonce — e.g. "s123-prompt-2": then a step
// repeated after a restart within minutes doesn't post twice either.
func channelMessageSendOnce(dg *discordgo.Session, channelID, nonce string, msg *discordgo.MessageSend, options ...discordgo.RequestOption) (*discordgo.Message, error) {
	if nonce == "" || len(nonce) > 25 {
		return nil, fmt.Errorf("bot: message nonce %q: must be 1 to 25 characters", nonce)
	}
	if msg.Embed != nil || msg.File != nil {
		return nil, errors.New("bot: channelMessageSendOnce takes Embeds and Files, not Embed or File")
	}
	for _, e := range msg.Embeds {
		if e.Type == "" {
			e.Type = discordgo.EmbedTypeRich
		}
	}
	data := nonceMessage{MessageSend: msg, Nonce: nonce, EnforceNonce: true}
	endpoint := discordgo.EndpointChannelMessages(channelID)
	var (
		body []byte
		err  error
	)
	if len(msg.Files) > 0 {
		contentType, payload, merr := discordgo.MultipartBodyWithJSON(data, msg.Files)
		if merr != nil {
			return nil, merr
		}
		body, err = dg.RequestRaw(http.MethodPost, endpoint, contentType, payload, endpoint, 0, options...)
	} else {
		body, err = dg.RequestWithBucketID(http.MethodPost, endpoint, data, endpoint, options...)
	}
	if err != nil {
		return nil, err
	}
	var m discordgo.Message
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: %s", discordgo.ErrJSONUnmarshal, err)
	}
	return &m, nil
}

// post sends one of the bot's messages to a session channel, pinging only
// the users listed (the welcome's attendees), never roles or @everyone.
// what names it ("welcome", "prompt"): in logs, and in the sentence that
// tells the facilitators when Discord refuses it (doingPost).
func (b *Bot) post(ctx context.Context, channelID, what, key string, msg *discordgo.MessageSend, mention ...string) (*discordgo.Message, error) {
	msg.AllowedMentions = noMentions(mention...)
	m, err := b.send(ctx, channelID, key, msg)
	if err != nil {
		var need int64 = permView | permSend
		if len(msg.Embeds) > 0 {
			need |= permEmbedLinks
		}
		return nil, refused(fmt.Errorf("posting %s: %w", what, err), doingPost(what), channelID, need, 0)
	}
	return m, nil
}

// pin pins a message through Discord's current route, PUT
// /channels/{id}/messages/pins/{id} (operation create_pin);
// /channels/{id}/pins/{id}, which discordgo v0.29.0 calls, is deprecated.
// The bucket is the route's, as discordgo keys its own pin bucket.
func (b *Bot) pin(ctx context.Context, channelID, messageID string) error {
	pins := discordgo.EndpointChannel(channelID) + "/messages/pins/"
	_, err := b.dg.RequestWithBucketID(http.MethodPut, pins+messageID, nil, pins, discordgo.WithContext(ctx))
	if err != nil {
		return refused(fmt.Errorf("pinning the guidelines: %w", err), doingPinGuidelines, channelID, permView|permPin, 0)
	}
	return nil
}
