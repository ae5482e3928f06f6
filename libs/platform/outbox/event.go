package outbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Event is one domain event written to the outbox in the caller's
// transaction and relayed to JetStream once that transaction commits.
type Event struct {
	// ID identifies the event end to end (ce-id and Nats-Msg-Id). Add sets
	// a fresh UUIDv7 when it is zero.
	ID uuid.UUID
	// AggregateType names the kind of aggregate ("order"); it is a subject
	// token: letters, digits, '-' and '_'.
	AggregateType string
	// AggregateID identifies the aggregate instance; events of one
	// aggregate reach the stream in commit order.
	AggregateID string
	// Type is the event type ("order.created"): subject tokens joined by
	// dots.
	Type string
	// Payload is the event body, JSON unless Headers sets content-type.
	Payload []byte
	// Headers are extra message headers. Add also records the W3C trace
	// context of its ctx here.
	Headers map[string]string
	// CreatedAt is set by Add from the writer's clock when zero.
	CreatedAt time.Time
}

// NewJSON returns an event whose payload is v encoded as JSON.
func NewJSON(aggregateType, aggregateID, eventType string, v any) (Event, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Event{}, fmt.Errorf("%w: payload: %w", ErrInvalidEvent, err)
	}
	return Event{AggregateType: aggregateType, AggregateID: aggregateID, Type: eventType, Payload: b}, nil
}

// isToken reports whether s is a subject token: 1-64 letters, digits, '-'
// or '_'.
func isToken(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !tokenChar[c] {
			return false
		}
	}
	return true
}

// isEventType reports whether s is 1-8 tokens joined by dots.
func isEventType(s string) bool {
	for n := 0; n < 8; n++ {
		tok, rest, more := strings.Cut(s, ".")
		if !isToken(tok) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
	return false
}

// isHeaderKey reports whether s is an HTTP header token of 1-128 bytes.
func isHeaderKey(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !tokenChar[c] && !strings.ContainsRune("!#$%&'*+.^|~", rune(c)) {
			return false
		}
	}
	return true
}

// tokenChar marks the bytes of a subject token.
var tokenChar = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
	}
	return t
}()

// validate checks e against what the relay and the stream can carry and
// returns an error wrapping ErrInvalidEvent (and ErrEventTooLarge) that
// names the event index and field.
func (e *Event) validate(i, maxSize int) error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: event %d: %s: %s", ErrInvalidEvent, i, field, fmt.Sprintf(format, args...))
	}
	if !isToken(e.AggregateType) {
		return bad("AggregateType", "%q must be 1-64 letters, digits, '-' or '_'", e.AggregateType)
	}
	if e.AggregateID == "" || len(e.AggregateID) > 256 || strings.ContainsAny(e.AggregateID, "\r\n\x00") {
		return bad("AggregateID", "%q must be 1-256 bytes without CR, LF or NUL", e.AggregateID)
	}
	if !isEventType(e.Type) {
		return bad("Type", "%q must be dot-separated tokens of letters, digits, '-' or '_'", e.Type)
	}
	size := len(e.Payload) + len(e.AggregateID) + len(e.Type) + 256
	ct := ""
	for k, v := range e.Headers {
		lk := strings.ToLower(k)
		if !isHeaderKey(k) || strings.HasPrefix(lk, "ce-") || strings.HasPrefix(lk, "nats-") {
			return bad("Headers", "key %q is not a header token or uses a reserved ce-/Nats- prefix", k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return bad("Headers", "value of %q contains CR or LF", k)
		}
		if lk == "content-type" {
			ct = v
		}
		size += len(k) + len(v) + 4
	}
	if size > maxSize {
		return fmt.Errorf("%w: %w: event %d (%s %s/%s) is %d bytes, limit %d", ErrInvalidEvent, ErrEventTooLarge, i, e.Type, e.AggregateType, e.AggregateID, size, maxSize)
	}
	if (ct == "" || strings.HasPrefix(ct, "application/json")) && !json.Valid(e.Payload) {
		return bad("Payload", "not valid JSON (set a content-type header for other formats)")
	}
	return nil
}
