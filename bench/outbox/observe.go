package main

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// observer records when each event id reaches the stream, read by an
// ordered consumer.
type observer struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	count int
	dup   int
	last  time.Time
	cc    jetstream.ConsumeContext
}

func observe(ctx context.Context, js jetstream.JetStream, sys system) (*observer, error) {
	c, err := js.OrderedConsumer(ctx, sys.stream(), jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	o := &observer{seen: map[string]time.Time{}}
	o.cc, err = c.Consume(func(m jetstream.Msg) {
		now := time.Now()
		id := sys.id(m)
		o.mu.Lock()
		defer o.mu.Unlock()
		o.count++
		o.last = now
		if _, ok := o.seen[id]; ok {
			o.dup++
			return
		}
		o.seen[id] = now
	})
	return o, err
}

func (o *observer) stop() { o.cc.Stop() }

// wait returns once want events arrived, or nothing arrived for 10 s.
func (o *observer) wait(ctx context.Context, want int) {
	idleSince := time.Now()
	lastCount := -1
	for ctx.Err() == nil {
		o.mu.Lock()
		n := len(o.seen)
		o.mu.Unlock()
		if n >= want {
			// Give late duplicates a moment to show up.
			time.Sleep(200 * time.Millisecond)
			return
		}
		if n != lastCount {
			lastCount, idleSince = n, time.Now()
		} else if time.Since(idleSince) > 10*time.Second {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// result is one system's figures in one scenario.
type result struct {
	system        string
	rate          float64
	produced      float64
	p50, p99, max time.Duration
	lost, dup     int
}

func (o *observer) result(system string, start time.Time, commits map[string]time.Time, drain bool) result {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := result{system: system, dup: o.dup}
	lat := make([]time.Duration, 0, len(commits))
	for id, at := range commits {
		got, ok := o.seen[id]
		if !ok {
			r.lost++
			continue
		}
		if drain {
			continue
		}
		lat = append(lat, max(got.Sub(at), 0))
	}
	for id := range o.seen {
		if _, ok := commits[id]; !ok {
			r.dup++ // an event nobody committed counts against the system
		}
	}
	if el := o.last.Sub(start); el > 0 {
		r.rate = float64(len(o.seen)) / el.Seconds()
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.p50 = lat[len(lat)/2]
		r.p99 = lat[len(lat)*99/100]
		r.max = lat[len(lat)-1]
	}
	return r
}
