package events

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	in := Envelope{ID: "1", Type: "order.created", Source: "/orders", Subject: "o-1", Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
	h := nats.Header{}
	in.Write(h)
	if h.Get(nats.MsgIdHdr) != "1" || h.Get(HeaderSpecVersion) != "1.0" {
		t.Fatalf("headers %v", h)
	}
	out, err := ParseEnvelope(h)
	if err != nil {
		t.Fatal(err)
	}
	in.ContentType = ContentTypeJSON
	if out != in {
		t.Fatalf("round trip: %+v != %+v", out, in)
	}
	// Other producers may spell the headers differently.
	out, err = ParseEnvelope(nats.Header{"Ce-Id": {"2"}, "CE-TYPE": {"t"}, "ce-source": {"s"}})
	if err != nil || out.ID != "2" || out.Type != "t" {
		t.Fatalf("mixed case: %+v %v", out, err)
	}
}

func TestEnvelopeErrorsNameTheAttribute(t *testing.T) {
	for want, h := range map[string]nats.Header{
		"ce-id":          {"ce-type": {"t"}, "ce-source": {"s"}},
		"ce-type":        {"ce-id": {"1"}, "ce-source": {"s"}},
		"ce-source":      {"ce-id": {"1"}, "ce-type": {"t"}},
		"ce-time":        {"ce-id": {"1"}, "ce-type": {"t"}, "ce-source": {"s"}, "ce-time": {"yesterday"}},
		"ce-specversion": {"ce-id": {"1"}, "ce-type": {"t"}, "ce-source": {"s"}, "ce-specversion": {"0.3"}},
	} {
		_, err := ParseEnvelope(h)
		if !errors.Is(err, ErrInvalidEnvelope) || !contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub)))
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add("1", "order.created", "/orders", "o-1", "2026-01-02T03:04:05Z", "1.0")
	f.Add("", "", "", "", "not a time", "2")
	f.Fuzz(func(t *testing.T, id, typ, source, subject, tm, spec string) {
		h := nats.Header{HeaderID: {id}, HeaderType: {typ}, HeaderSource: {source}, HeaderSubject: {subject}, HeaderTime: {tm}, HeaderSpecVersion: {spec}}
		e, err := ParseEnvelope(h)
		if err != nil {
			if !errors.Is(err, ErrInvalidEnvelope) {
				t.Fatalf("error %v does not wrap ErrInvalidEnvelope", err)
			}
			return
		}
		if e.ID != id || e.Type != typ || e.Source != source {
			t.Fatalf("parsed %+v from %v", e, h)
		}
		out := nats.Header{}
		e.Write(out)
		back, err := ParseEnvelope(out)
		if err != nil || back.ID != e.ID || back.Type != e.Type || !back.Time.Equal(e.Time) {
			t.Fatalf("round trip %+v -> %+v (%v)", e, back, err)
		}
	})
}
