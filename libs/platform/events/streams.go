package events

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultDuplicateWindow is JetStream's default duplicate window. Size it
// to the longest relay outage you tolerate: a relay that crashed after
// publishing republishes when it comes back, and only copies inside the
// window are dropped.
const DefaultDuplicateWindow = 2 * time.Minute

// StreamSpec declares a stream in code.
type StreamSpec struct {
	// Name is the stream name (letters, digits, '-', '_').
	Name string
	// Subjects the stream captures, e.g. "events.order.>".
	Subjects []string
	// Memory selects memory storage; the default is file storage.
	Memory bool
	// Replicas is the replication factor (default 1).
	Replicas int
	// MaxAge drops messages older than this (default: keep).
	MaxAge time.Duration
	// MaxMsgSize caps one message (default: the server's max payload).
	MaxMsgSize int32
	// Duplicates is the Nats-Msg-Id deduplication window (default 2m).
	Duplicates time.Duration
}

var streamNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
func (s StreamSpec) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: stream %q: %s: %s", ErrInvalidConfig, s.Name, field, fmt.Sprintf(format, args...))
	}
	switch {
	case !streamNameRE.MatchString(s.Name):
		return bad("Name", "must be letters, digits, '-' or '_'")
	case len(s.Subjects) == 0:
		return bad("Subjects", "at least one subject required")
	case s.Replicas < 0 || s.Replicas > 5:
		return bad("Replicas", "%d not in 1..5", s.Replicas)
	case s.MaxAge < 0, s.Duplicates < 0, s.MaxMsgSize < 0:
		return bad("limits", "must not be negative")
	case s.MaxAge > 0 && s.Duplicates > s.MaxAge:
		return bad("Duplicates", "window %v exceeds MaxAge %v", s.Duplicates, s.MaxAge)
	}
	for _, sub := range s.Subjects {
		if sub == "" || strings.ContainsAny(sub, " \t\r\n") || strings.Contains(sub, "..") {
			return bad("Subjects", "%q is not a subject", sub)
		}
	}
	return nil
}

func (s StreamSpec) config() jetstream.StreamConfig {
	c := jetstream.StreamConfig{
		Name:       s.Name,
		Subjects:   s.Subjects,
		Storage:    jetstream.FileStorage,
		Replicas:   max(s.Replicas, 1),
		MaxAge:     s.MaxAge,
		MaxMsgSize: s.MaxMsgSize,
		Duplicates: s.Duplicates,
	}
	if s.Memory {
		c.Storage = jetstream.MemoryStorage
	}
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicateWindow
	}
	if c.MaxMsgSize == 0 {
		c.MaxMsgSize = -1
	}
	return c
}

// EnsureStream creates the stream or updates it to match spec; running it
// again with the same spec changes nothing.
func EnsureStream(ctx context.Context, js jetstream.JetStream, spec StreamSpec) (jetstream.Stream, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	s, err := js.CreateOrUpdateStream(ctx, spec.config())
	if err != nil {
		return nil, fmt.Errorf("ensuring stream %s: %w", spec.Name, err)
	}
	return s, nil
}

// DeadLetterSubjectPrefix starts the subjects of dead-letter streams:
// dlq.<stream>.<consumer>.
const DeadLetterSubjectPrefix = "dlq"

// DeadLetterSpec returns the spec of the dead-letter stream paired with
// stream: named <stream>_DLQ, capturing dlq.<stream>.>, kept for 30 days.
func DeadLetterSpec(stream string) StreamSpec {
	return StreamSpec{
		Name:     stream + "_DLQ",
		Subjects: []string{DeadLetterSubjectPrefix + "." + stream + ".>"},
		MaxAge:   30 * 24 * time.Hour,
	}
}
