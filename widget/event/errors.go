package event

import "fmt"

// Error codes of a rejected batch. They are the strings the server's error
// table uses, so it maps an *Error to a status without a second table.
const (
	EInvalid  = "invalid"   // 400: malformed JSON, unknown field, invalid value
	ETooLarge = "too_large" // 413: body over MaxBodyBytes, or over MaxEvents events
)

// Error is why a batch was rejected: a code and a message safe to show the
// client. Field, when set, is the path of the offending value, such as
// "events[3].data.option".
type Error struct {
	Code    string
	Field   string
	Message string
}

// Error returns the message, which starts with the field when there is one.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// invalid returns an EInvalid error about one field.
func invalid(field, format string, args ...any) *Error {
	return fieldError(EInvalid, field, format, args...)
}

func fieldError(code, field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &Error{Code: code, Field: field, Message: msg}
}
