package circles

import "sort"

// Role is what someone may do in a session channel.
type Role string

// Session channel roles.
const (
	RoleFacilitator Role = "facilitator" // sees, speaks, manages messages
	RoleSpeaker     Role = "speaker"     // sees and speaks
	RoleListener    Role = "listener"    // sees, cannot speak
)

// Access is one user's access to a session channel.
type Access struct {
	UserID string
	Role   Role
}

// ConsentGrantsAccess says whether consent to guidelines version consent
// (0: none) lets a member into a session that opened under guidelines
// version sessionVersion (0: not opened yet, so the circle's current
// version, currentVersion, applies). Consent to the session's version or a
// later one does: guidelines changed during a session don't shut out the
// people in it, who stay until it ends; the next session asks everyone for
// the new version.
func ConsentGrantsAccess(consent, sessionVersion, currentVersion int) bool {
	need := sessionVersion
	if need <= 0 {
		need = currentVersion
	}
	return consent > 0 && consent >= need
}

// SessionAccess derives who may enter session s's channel from the circle
// and its memberships. Consent is the key: only active members whose
// consent covers the guidelines the session opened under (see
// ConsentGrantsAccess) get in, as speakers or listeners by mode;
// facilitators always do. Stale lists active members whose consent falls
// short, so they can be asked to consent again. Nothing else grants access.
func SessionAccess(c Circle, s Session, members []Membership) (grant []Access, stale []string) {
	seen := map[string]bool{}
	for _, f := range c.Facilitators {
		if !seen[f] {
			seen[f] = true
			grant = append(grant, Access{UserID: f, Role: RoleFacilitator})
		}
	}
	for _, m := range members {
		if m.CircleID != c.ID || m.Status != StatusActive || seen[m.UserID] {
			continue
		}
		if !ConsentGrantsAccess(m.ConsentVersion, s.GuidelinesVersion, c.Guidelines.Version) {
			stale = append(stale, m.UserID)
			continue
		}
		seen[m.UserID] = true
		role := RoleSpeaker
		if m.Mode == ModeListener {
			role = RoleListener
		}
		grant = append(grant, Access{UserID: m.UserID, Role: role})
	}
	sort.SliceStable(grant, func(i, j int) bool { return grant[i].UserID < grant[j].UserID })
	sort.Strings(stale)
	return grant, stale
}
