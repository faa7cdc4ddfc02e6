package members

import (
	"errors"
	"strings"

	"membership/db"
)

var (
	// ErrNotFound means no row has the given id (or name).
	ErrNotFound = errors.New("not found")
	// ErrConflict means the row changed since the caller read it (a stale version), or is in a
	// state that forbids the change (marking a paid fee overdue).
	ErrConflict = errors.New("conflict")
	// ErrDiskFull means a write found the app database's disk full: nothing was written, and
	// the same write succeeds once space is freed.
	ErrDiskFull = db.ErrDiskFull
	// ErrBusy means a write waited its whole busy timeout for the app database's write lock
	// (a long import ahead of it): nothing was written; the same write a moment later succeeds.
	ErrBusy = db.ErrBusy
	// ErrOwnApproval means an admin tried to approve or reject a campaign they planned
	// themselves: approval is a second person's.
	ErrOwnApproval = errors.New("a campaign is approved by an admin other than its author")
)

// FieldError is one invalid input field. Field is the JSON (snake_case) name, so the API can
// answer it as is and a form can put the message next to its input. Message is English, as the
// API and the logs keep it; Code names the rule the field broke and Args the values the message
// names, so that a page can say the same in its reader's language.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Code    string `json:"-"`
	Args    []any  `json:"-"`
}

// Problem is a message a person reads, as English text and as a stable code with the values it
// names (name, value pairs: "Max", 100). Codes never change: pages translate them as
// "validation."+Code; the English text is what the API, the CLI and the logs say.
type Problem struct {
	Code    string
	Args    []any
	Message string
}

// Error is the English text.
func (p *Problem) Error() string { return p.Message }

func problem(code, message string, args ...any) *Problem {
	return &Problem{Code: code, Args: args, Message: message}
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

// Add records that field broke the rule code; message is its English text, args the values
// it names.
func (e *ValidationError) Add(field, code, message string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: message, Code: code, Args: args})
}

// addProblem records that field has problem p; an error without a code keeps its text.
func (e *ValidationError) addProblem(field string, err error) {
	var p *Problem
	if !errors.As(err, &p) {
		p = problem("", err.Error())
	}
	e.Add(field, p.Code, p.Message, p.Args...)
}

// first is the first error recorded for field, or nil.
func (e *ValidationError) first(field string) *FieldError {
	for i := range e.Fields {
		if e.Fields[i].Field == field {
			return &e.Fields[i]
		}
	}
	return nil
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
func invalid(field, code, message string, args ...any) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: message, Code: code, Args: args}}}
}
