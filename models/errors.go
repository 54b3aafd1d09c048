package models

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNotFound is returned (wrapped) when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// NotFoundError says which thing is missing. It matches ErrNotFound with
// errors.Is, and its Message is what every page and API shows for it.
type NotFoundError struct {
	What string // "event", "session", "item", ...
	Key  any    // its slug or id as the request named it; nil for none
}

// NotFound returns the error of a missing thing named by key.
func NotFound(what string, key any) error { return &NotFoundError{What: what, Key: key} }

func (e *NotFoundError) Error() string {
	if e.Key == nil {
		return e.What + ": not found"
	}
	return fmt.Sprintf("%s %s: not found", e.What, e.key())
}

// Is makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Message is the sentence shown to people: `There is no event "x".`
func (e *NotFoundError) Message() string {
	if e.Key == nil {
		return "There is no such " + e.What + "."
	}
	return fmt.Sprintf("There is no %s %s.", e.What, e.key())
}

func (e *NotFoundError) key() string {
	if s, ok := e.Key.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(e.Key)
}

// FieldError is one invalid field, with a message a person can act on.
type FieldError struct {
	Field   string
	Message string
}

// ValidationError lists every invalid field of one input.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, fmt.Sprintf("%s: %s", f.Field, f.Message))
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// Add records one invalid field.
func (e *ValidationError) Add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns e when it holds any field error, or nil.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}
