package discordsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// apiError is an error response in Discord's JSON shape.
type apiError struct {
	status  int
	code    int
	message string
	fields  map[string]any // nested "errors" object for 50035
	headers map[string]string
	extra   map[string]any // extra top-level JSON members (429: retry_after, global)
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %d %s", e.status, e.code, e.message)
}

func (e *apiError) body() map[string]any {
	b := map[string]any{"message": e.message, "code": e.code}
	if e.fields != nil {
		b["errors"] = e.fields
	}
	for k, v := range e.extra {
		b[k] = v
	}
	return b
}

func newErr(status, code int, msg string) *apiError {
	return &apiError{status: status, code: code, message: msg}
}

func errNotFound() *apiError     { return newErr(http.StatusNotFound, 0, "404: Not Found") }
func errUnauthorized() *apiError { return newErr(http.StatusUnauthorized, 0, "401: Unauthorized") }
func errUnknownChannel() *apiError {
	return newErr(http.StatusNotFound, 10003, "Unknown Channel")
}
func errUnknownGuild() *apiError   { return newErr(http.StatusNotFound, 10004, "Unknown Guild") }
func errUnknownMessage() *apiError { return newErr(http.StatusNotFound, 10008, "Unknown Message") }
func errUnknownUser() *apiError    { return newErr(http.StatusNotFound, 10013, "Unknown User") }
func errUnknownMember() *apiError  { return newErr(http.StatusNotFound, 10007, "Unknown Member") }
func errUnknownWebhook() *apiError { return newErr(http.StatusNotFound, 10015, "Unknown Webhook") }
func errUnknownCommand() *apiError {
	return newErr(http.StatusNotFound, 10063, "Unknown application command")
}
func errUnknownInteraction() *apiError {
	return newErr(http.StatusNotFound, 10062, "Unknown interaction")
}
func errAlreadyAcked() *apiError {
	return newErr(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
}
func errMissingAccess() *apiError { return newErr(http.StatusForbidden, 50001, "Missing Access") }
func errMissingPermissions() *apiError {
	return newErr(http.StatusForbidden, 50013, "Missing Permissions")
}
func errCannotDM() *apiError {
	return newErr(http.StatusForbidden, 50007, "Cannot send messages to this user")
}
func errEmptyMessage() *apiError {
	return newErr(http.StatusBadRequest, 50006, "Cannot send an empty message")
}
func errMaxChannels() *apiError {
	return newErr(http.StatusBadRequest, 30013, "Maximum number of guild channels reached (500)")
}
func errMaxPins() *apiError {
	return newErr(http.StatusBadRequest, 30003, "Maximum number of pins reached (50)")
}
func errInvalidWebhookToken() *apiError {
	return newErr(http.StatusUnauthorized, 50027, "Invalid Webhook Token")
}
func errBadJSON() *apiError {
	return newErr(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
}

// formErrors collects field errors for a 50035 "Invalid Form Body" reply.
// Paths use dots ("data.components.0.custom_id"), as Discord nests them.
type formErrors struct {
	root map[string]any
}

func (f *formErrors) add(path, code, msg string) {
	if f.root == nil {
		f.root = map[string]any{}
	}
	node := f.root
	if path != "" {
		for _, p := range strings.Split(path, ".") {
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
	}
	errs, _ := node["_errors"].([]any)
	node["_errors"] = append(errs, map[string]any{"code": code, "message": msg})
}

func (f *formErrors) maxLen(path string, n, max int) {
	if n > max {
		f.add(path, "BASE_TYPE_MAX_LENGTH", "Must be "+strconv.Itoa(max)+" or fewer in length.")
	}
}

func (f *formErrors) lenBetween(path string, n, min, max int) {
	if n < min || n > max {
		f.add(path, "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between %d and %d in length.", min, max))
	}
}

func (f *formErrors) required(path string) {
	f.add(path, "BASE_TYPE_REQUIRED", "This field is required")
}

func (f *formErrors) empty() bool { return len(f.root) == 0 }

// err returns nil when nothing was added.
func (f *formErrors) err() *apiError {
	if f.empty() {
		return nil
	}
	e := newErr(http.StatusBadRequest, 50035, "Invalid Form Body")
	e.fields = f.root
	return e
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v == nil || status == http.StatusNoContent {
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

func join(parts ...any) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ".")
}
