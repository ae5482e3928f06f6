package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/centuria/centuria/tools/devstack/internal/supervisor"
)

// CrashError reports a process that stopped unexpectedly, with its last
// output lines.
type CrashError struct{ Exit supervisor.Exit }

func (e *CrashError) Error() string {
	var b strings.Builder
	b.WriteString(e.Exit.String())
	if len(e.Exit.Tail) > 0 {
		b.WriteString("; its last output:")
		for _, l := range e.Exit.Tail {
			b.WriteString("\n    ")
			b.WriteString(l)
		}
	}
	return b.String()
}

// waitReady polls url until it answers 200, the process exits (a
// *CrashError) or timeout passes.
func waitReady(ctx context.Context, p *supervisor.Process, name, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.Done():
			return &CrashError{Exit: supervisor.Exit{Name: name, Err: p.Err(), Tail: p.Tail()}}
		case <-ctx.Done():
			tail := p.Tail()
			msg := fmt.Sprintf("%s not ready at %s after %s", name, url, timeout)
			if len(tail) > 0 {
				msg += "; its last output:\n    " + strings.Join(tail, "\n    ")
			}
			return errors.New(msg)
		case <-tick.C:
		}
	}
}
