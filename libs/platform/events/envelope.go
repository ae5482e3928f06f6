package events

import (
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// CloudEvents attributes in binary content mode: one NATS header each.
const (
	HeaderSpecVersion = "ce-specversion"
	HeaderID          = "ce-id"
	HeaderType        = "ce-type"
	HeaderSource      = "ce-source"
	HeaderSubject     = "ce-subject"
	HeaderTime        = "ce-time"
	// HeaderContentType carries the datacontenttype attribute.
	HeaderContentType = "content-type"
	// SpecVersion is the CloudEvents version written.
	SpecVersion = "1.0"
	// ContentTypeJSON is the default data content type.
	ContentTypeJSON = "application/json"
)

// Envelope holds the CloudEvents context attributes of one event.
type Envelope struct {
	ID          string
	Type        string
	Source      string
	Subject     string
	Time        time.Time
	ContentType string
}

// Write sets the envelope's headers on h, plus Nats-Msg-Id = ID so that
// JetStream drops a republished copy within the duplicate window.
func (e Envelope) Write(h nats.Header) {
	h.Set(HeaderSpecVersion, SpecVersion)
	h.Set(HeaderID, e.ID)
	h.Set(HeaderType, e.Type)
	h.Set(HeaderSource, e.Source)
	if e.Subject != "" {
		h.Set(HeaderSubject, e.Subject)
	}
	if !e.Time.IsZero() {
		h.Set(HeaderTime, e.Time.UTC().Format(time.RFC3339Nano))
	}
	ct := e.ContentType
	if ct == "" {
		ct = ContentTypeJSON
	}
	h.Set(HeaderContentType, ct)
	h.Set(nats.MsgIdHdr, e.ID)
}

// ParseEnvelope reads the CloudEvents attributes from h, matching header
// names case-insensitively. It returns an error wrapping ErrInvalidEnvelope
// that names the attribute when ce-id, ce-type or ce-source is missing, the
// spec version is not 1.x or ce-time is not RFC 3339.
func ParseEnvelope(h nats.Header) (Envelope, error) {
	get := func(k string) string {
		if v := h[k]; len(v) > 0 {
			return v[0]
		}
		for hk, v := range h {
			if len(v) > 0 && strings.EqualFold(hk, k) {
				return v[0]
			}
		}
		return ""
	}
	e := Envelope{
		ID:          get(HeaderID),
		Type:        get(HeaderType),
		Source:      get(HeaderSource),
		Subject:     get(HeaderSubject),
		ContentType: get(HeaderContentType),
	}
	if v := get(HeaderSpecVersion); v != "" && !strings.HasPrefix(v, "1.") {
		return Envelope{}, fmt.Errorf("%w: %s %q is not 1.x", ErrInvalidEnvelope, HeaderSpecVersion, v)
	}
	for _, req := range []struct{ name, v string }{{HeaderID, e.ID}, {HeaderType, e.Type}, {HeaderSource, e.Source}} {
		if req.v == "" {
			return Envelope{}, fmt.Errorf("%w: %s header missing", ErrInvalidEnvelope, req.name)
		}
	}
	if v := get(HeaderTime); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return Envelope{}, fmt.Errorf("%w: %s %q: %v", ErrInvalidEnvelope, HeaderTime, v, err)
		}
		e.Time = t
	}
	if e.ContentType == "" {
		e.ContentType = ContentTypeJSON
	}
	return e, nil
}
