// Package httpjson is the JSON side of the reference services' HTTP APIs:
// strict request decoding with a body limit, errors that name the offending
// field, and the caller identity the gateway forwards.
package httpjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode"

	"github.com/google/uuid"
)

// DefaultMaxBody is the request body limit Decode applies when given 0.
const DefaultMaxBody = 64 << 10

// HeaderUserID carries the authenticated customer; the gateway sets it from
// the JWT subject.
const HeaderUserID = "X-User-Id"

// FieldError is a client error about one request field. Its JSON form is
// {"error": Message, "field": Field}.
type FieldError struct {
	// Status is the HTTP status to answer (400 when zero).
	Status int `json:"-"`
	// Field names the field, e.g. "items[0].quantity" or "body".
	Field string `json:"field,omitempty"`
	// Message says what is wrong with it.
	Message string `json:"error"`
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Invalid returns a 400 FieldError for field.
func Invalid(field, format string, args ...any) *FieldError {
	return &FieldError{Status: http.StatusBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a 404 FieldError for field.
func NotFound(field, format string, args ...any) *FieldError {
	return &FieldError{Status: http.StatusNotFound, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Decode reads one JSON object from body into v: unknown fields, trailing
// data, a wrong type and a body above maxBody bytes (DefaultMaxBody when 0)
// are errors. It returns a *FieldError naming the field (or "body").
func Decode(body io.Reader, maxBody int64, v any) error {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	lr := &io.LimitedReader{R: body, N: maxBody + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if lr.N <= 0 {
		return &FieldError{Status: http.StatusRequestEntityTooLarge, Field: "body", Message: fmt.Sprintf("larger than %d bytes", maxBody)}
	}
	if err != nil {
		return decodeError(err)
	}
	_, err = dec.Token()
	if lr.N <= 0 {
		return &FieldError{Status: http.StatusRequestEntityTooLarge, Field: "body", Message: fmt.Sprintf("larger than %d bytes", maxBody)}
	}
	if !errors.Is(err, io.EOF) {
		return Invalid("body", "unexpected data after the JSON object")
	}
	return nil
}

// decodeError turns an encoding/json error into a FieldError.
func decodeError(err error) *FieldError {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		return fe
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return Invalid(field, "must be %s, not %s", typeName(typeErr.Type.String()), typeErr.Value)
	case errors.As(err, &syntaxErr):
		return Invalid("body", "malformed JSON at byte %d: %v", syntaxErr.Offset, err)
	case errors.Is(err, io.EOF):
		return Invalid("body", "empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Invalid("body", "truncated JSON")
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		if name = strings.Trim(name, `"`); name == "" {
			return Invalid("body", `unknown field ""`)
		}
		return Invalid(name, "unknown field")
	}
	return Invalid("body", "%s", strings.TrimPrefix(msg, "json: "))
}

func typeName(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	}
	return "an object"
}

// Write sends v as JSON with status.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Error answers err: a *FieldError with its status and JSON form, anything
// else as a 500 whose body does not leak the cause.
func Error(w http.ResponseWriter, err error) {
	var fe *FieldError
	if errors.As(err, &fe) {
		status := fe.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		Write(w, status, fe)
		return
	}
	Write(w, http.StatusInternalServerError, FieldError{Message: "internal error"})
}

// UserID returns the customer named by the X-User-Id header. A missing,
// overlong (over 256 bytes) or non-printable value is a 401 FieldError.
func UserID(r *http.Request) (string, error) {
	id := r.Header.Get(HeaderUserID)
	unauthorized := func(msg string) error {
		return &FieldError{Status: http.StatusUnauthorized, Field: HeaderUserID, Message: msg}
	}
	if id == "" {
		return "", unauthorized("header required (the authenticated customer)")
	}
	if len(id) > 256 {
		return "", unauthorized("longer than 256 bytes")
	}
	for _, r := range id {
		if !unicode.IsPrint(r) {
			return "", unauthorized("contains a non-printable character")
		}
	}
	return id, nil
}

// RequireJSON accepts a request without Content-Type or with
// application/json; anything else is a 415 FieldError.
func RequireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return &FieldError{Status: http.StatusUnsupportedMediaType, Field: "Content-Type", Message: fmt.Sprintf("%q is not application/json", ct)}
	}
	return nil
}

// UUID parses v as the id named field and returns it in canonical form
// (lower-case, hyphenated); anything else is a 400 FieldError.
func UUID(field, v string) (string, error) {
	id, err := uuid.Parse(v)
	if err != nil || len(v) != 36 {
		return "", Invalid(field, "%q is not an id (a UUID like 0193a000-0000-7000-8000-000000000000)", v)
	}
	return id.String(), nil
}
