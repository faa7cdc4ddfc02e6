package members

import (
	"errors"
	"strings"
)

var (
	// ErrNotFound means no row has the given id (or name).
	ErrNotFound = errors.New("not found")
	// ErrConflict means the row changed since the caller read it (a stale version), or is in a
	// state that forbids the change (marking a paid fee overdue).
	ErrConflict = errors.New("conflict")
)

// FieldError is one invalid input field. Field is the JSON (snake_case) name, so the API can
// answer it as is and a form can put the message next to its input.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field of one input, not just the first, so a form can
// show them all at once.
type ValidationError struct {
	Fields []FieldError
}

// Error joins the fields' messages; it holds no input values, so it is safe to log.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records that field is invalid.
func (e *ValidationError) Add(field, message string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: message})
}

// Message is the first message recorded for field, or "".
func (e *ValidationError) Message(field string) string {
	for _, f := range e.Fields {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

// err is nil when no field was added, so callers can write `return v.err()` without handing
// back a non-nil interface that holds a nil pointer.
func (e *ValidationError) err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// invalid is a ValidationError with a single field.
func invalid(field, message string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: message}}}
}
