package circles

import (
	"strings"
	"time"
)

// Guild settings limits.
const (
	MaxRetentionHours   = 720   // 30 days
	MaxReminderMinutes  = 10080 // one week
	MaxCrisisTextLength = 1500
)

// DefaultCrisisResources is shown by /helpnow until a server admin sets its own.
const DefaultCrisisResources = "If you or someone else is in immediate danger, call your local emergency number now (112 in the EU, 911 in the US and Canada, 999 in the UK, 000 in Australia).\n" +
	"• Find a crisis line in your country: https://findahelpline.com\n" +
	"• International list of suicide crisis lines: https://www.iasp.info/suicidalthoughts/\n" +
	"• If you are in the US, call or text 988 (Suicide & Crisis Lifeline)."

// GuildSettings is what a server admin configures with /setup, plus what the
// bot tracks about its presence in the server.
type GuildSettings struct {
	GuildID           string    `json:"guild_id"`
	OwnerID           string    `json:"-"`
	FacilitatorRoleID string    `json:"facilitator_role_id,omitempty"`
	CategoryID        string    `json:"category_id,omitempty"`
	CrisisResources   string    `json:"crisis_resources,omitempty"`
	RetentionHours    int       `json:"retention_hours"`
	ReminderMinutes   int       `json:"reminder_minutes"`
	Configured        bool      `json:"configured"` // /setup has been run
	JoinedAt          time.Time `json:"joined_at"`
	RemovedAt         time.Time `json:"removed_at,omitzero"` // the bot was removed; data is purged after a grace period
}

// Crisis returns the crisis resources to show: the server's own, or the default.
func (g GuildSettings) Crisis() string {
	if strings.TrimSpace(g.CrisisResources) == "" {
		return DefaultCrisisResources
	}
	return g.CrisisResources
}

// Retention is how long a closed session channel is kept before deletion.
func (g GuildSettings) Retention() time.Duration {
	return time.Duration(g.RetentionHours) * time.Hour
}

// ReminderLead is how long before a session members get a reminder DM; 0 means none.
func (g GuildSettings) ReminderLead() time.Duration {
	return time.Duration(g.ReminderMinutes) * time.Minute
}

// Validate checks the settings an admin can change.
func (g GuildSettings) Validate() error {
	switch {
	case g.GuildID == "":
		return Errorf(EInvalid, "This only works inside a server.")
	case g.RetentionHours < 0 || g.RetentionHours > MaxRetentionHours:
		return Errorf(EInvalid, "Retention must be between 0 and %d hours (0 deletes the channel when the session closes).", MaxRetentionHours)
	case g.ReminderMinutes < 0 || g.ReminderMinutes > MaxReminderMinutes:
		return Errorf(EInvalid, "Reminder lead time must be between 0 and %d minutes (0 turns reminders off).", MaxReminderMinutes)
	case len([]rune(g.CrisisResources)) > MaxCrisisTextLength:
		return Errorf(EInvalid, "Crisis resources can be at most %d characters; yours has %d.", MaxCrisisTextLength, len([]rune(g.CrisisResources)))
	}
	return nil
}
