package circles

import (
	"errors"
	"fmt"
)

// Code classifies an error so adapters can map it to their world (an
// ephemeral reply, an exit code, a log level).
type Code string

// Error codes.
const (
	EInvalid   Code = "invalid"   // the input is wrong; the message says what to fix
	ENotFound  Code = "not_found" // the thing asked for does not exist (here)
	EConflict  Code = "conflict"  // the request clashes with current state
	EForbidden Code = "forbidden" // the caller may not do this
	EInternal  Code = "internal"  // our fault; details are logged, never shown
)

// Error is an application error with a code and a message that is safe to
// show to the user who caused it. Err, if set, is the underlying cause and is
// only logged.
type Error struct {
	Code    Code
	Message string
	Err     error
	// Format and Args are what Errorf made Message of, so that an adapter
	// can say the same in another language (the bot's catalogs map each
	// format to a message).
	Format string
	Args   []any
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("circles: %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("circles: %s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted user message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Internal wraps an unexpected failure. The cause is kept for the logs; the
// user sees only that nothing changed.
func Internal(err error) *Error {
	return &Error{Code: EInternal, Message: internalMessage, Err: err}
}

const internalMessage = "Something went wrong on our side and nothing was changed. Please try again in a moment."

// ErrorCode returns the code of err: "" for nil, EInternal for errors that are
// not an *Error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-safe message of err. Errors that are not an
// *Error never leak their text.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		return e.Message
	}
	return internalMessage
}
