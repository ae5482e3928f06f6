// Package natstrace carries OpenTelemetry trace context in NATS message
// headers. NATS headers are case-sensitive maps; producers in other
// languages write the W3C keys in lower case ("traceparent") while Go's
// http.Header-style carriers canonicalise them ("Traceparent"). The carrier
// here reads any spelling and writes the lower-case W3C spelling.
package natstrace

import (
	"context"
	"strings"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
)

// HeaderCarrier adapts nats.Header to propagation.TextMapCarrier.
type HeaderCarrier nats.Header

var _ propagation.TextMapCarrier = HeaderCarrier(nil)

// Get returns the first value of key, matching the key's spelling exactly
// first and then case-insensitively.
func (c HeaderCarrier) Get(key string) string {
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	for k, v := range c {
		if len(v) > 0 && strings.EqualFold(k, key) {
			return v[0]
		}
	}
	return ""
}

// Set replaces every spelling of key with the lower-cased key and value.
func (c HeaderCarrier) Set(key, value string) {
	lk := strings.ToLower(key)
	for k := range c {
		if k != lk && strings.EqualFold(k, key) {
			delete(c, k)
		}
	}
	c[lk] = []string{value}
}

// Keys returns the header keys.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// Propagator is the W3C trace-context plus baggage propagator used when the
// caller passes none.
var Propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// Inject writes ctx's trace context into h with p, or Propagator when p is
// nil.
func Inject(ctx context.Context, p propagation.TextMapPropagator, h nats.Header) {
	if p == nil {
		p = Propagator
	}
	p.Inject(ctx, HeaderCarrier(h))
}

// Extract returns ctx with the trace context found in h, read with p, or
// Propagator when p is nil.
func Extract(ctx context.Context, p propagation.TextMapPropagator, h nats.Header) context.Context {
	if p == nil {
		p = Propagator
	}
	return p.Extract(ctx, HeaderCarrier(h))
}
