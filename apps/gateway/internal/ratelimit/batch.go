package ratelimit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Batcher pipelines concurrent GCRA calls: each worker takes every call
// waiting at that moment and sends them to Redis in one pipeline (one write,
// one read). Each call is still its own atomic script execution. A lone
// call is sent at once, so batching adds no latency when idle.
type Batcher struct {
	client  *redis.Client
	timeout time.Duration
	reqs    chan *call
	stop    chan struct{}
	wg      sync.WaitGroup
}

type call struct {
	key     string
	iv, bst int64
	want    int64
	vals    []int64
	err     error
	done    chan struct{}
}

var calls = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

const maxBatch = 256

var errClosed = errors.New("limiter closed")

// NewBatcher starts workers pipelining calls on client; timeout bounds each
// pipeline. Close stops them.
func NewBatcher(client *redis.Client, workers int, timeout time.Duration) *Batcher {
	if workers < 1 {
		workers = 1
	}
	b := &Batcher{client: client, timeout: timeout, reqs: make(chan *call, maxBatch*workers), stop: make(chan struct{})}
	for i := 0; i < workers; i++ {
		b.wg.Add(1)
		go b.work()
	}
	return b
}

// Close stops the workers; calls still queued fail with ErrUnavailable.
func (b *Batcher) Close() {
	close(b.stop)
	b.wg.Wait()
	for {
		select {
		case c := <-b.reqs:
			c.err = errClosed
			c.done <- struct{}{}
		default:
			return
		}
	}
}

func (b *Batcher) work() {
	defer b.wg.Done()
	batch := make([]*call, 0, maxBatch)
	for {
		select {
		case <-b.stop:
			return
		case c := <-b.reqs:
			batch = append(batch[:0], c)
		drain:
			for len(batch) < maxBatch {
				select {
				case c := <-b.reqs:
					batch = append(batch, c)
				default:
					break drain
				}
			}
			b.run(batch)
		}
	}
}

func (b *Batcher) run(batch []*call) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	cmds, err := b.exec(ctx, batch)
	if err != nil && strings.Contains(err.Error(), "NOSCRIPT") {
		if lerr := gcraScript.Load(ctx, b.client).Err(); lerr == nil {
			cmds, err = b.exec(ctx, batch)
		}
	}
	for i, c := range batch {
		if cmds == nil {
			c.err = err
		} else if v, cerr := cmds[i].Int64Slice(); cerr != nil {
			c.err = cerr
		} else {
			c.vals = v
		}
		c.done <- struct{}{}
	}
}

func (b *Batcher) exec(ctx context.Context, batch []*call) ([]*redis.Cmd, error) {
	pipe := b.client.Pipeline()
	cmds := make([]*redis.Cmd, len(batch))
	for i, c := range batch {
		cmds[i] = gcraScript.EvalSha(ctx, pipe, []string{c.key}, c.iv, c.bst, c.want)
	}
	_, err := pipe.Exec(ctx)
	return cmds, err
}

// do runs one GCRA step through the batcher.
func (b *Batcher) do(ctx context.Context, key string, iv, burst, want int64) ([]int64, error) {
	c := calls.Get().(*call)
	c.key, c.iv, c.bst, c.want, c.vals, c.err = key, iv, burst, want, nil, nil
	select {
	case b.reqs <- c:
	case <-ctx.Done():
		calls.Put(c)
		return nil, ctx.Err()
	}
	select {
	case <-c.done:
		v, err := c.vals, c.err
		calls.Put(c)
		return v, err
	case <-ctx.Done():
		// The worker still owns c and will signal it; leave it to the GC.
		return nil, ctx.Err()
	}
}
