package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Run relays events until ctx is done, then releases the lease and returns
// nil. Only the replica holding the lease relays unless NoLease is set. It
// wakes on NOTIFY (when ListenURL is set) and polls every PollInterval as a
// safety net; after a full or non-empty batch it polls again at once, and
// after an error it backs off exponentially up to RetryMax. Errors are
// logged and retried, never returned. Call Run once per Relay; run more
// replicas as more Relays.
func (r *Relay) Run(ctx context.Context) error {
	if r.cfg.ListenURL != "" {
		done := make(chan struct{})
		defer func() { <-done }()
		go func() { defer close(done); r.listen(ctx) }()
	}
	defer r.releaseLease()
	defer func() {
		if r.listening {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			r.setListening(ctx, false)
		}
	}()
	backoff := r.cfg.RetryMin
	idle := 0
	nap := r.graceDelay
	for ctx.Err() == nil {
		if !r.cfg.NoLease {
			leader, err := r.holdLease(ctx)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				r.failures.Add(1)
				r.cfg.Logger.Error("outbox relay: lease", "err", err)
				r.sleep(ctx, backoff, false)
				backoff = min(backoff*2, r.cfg.RetryMax)
				continue
			}
			if !leader {
				if r.listening {
					r.setListening(ctx, false)
				}
				r.sleep(ctx, r.cfg.LeaseTTL/3, false)
				continue
			}
		}
		n, err := r.RelayOnce(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			r.failures.Add(1)
			r.cfg.Logger.Error("outbox relay: cycle failed; retrying", "err", err, "backoff", backoff)
			r.sleep(ctx, backoff, false)
			backoff = min(backoff*2, r.cfg.RetryMax)
			continue
		}
		backoff = r.cfg.RetryMin
		if n > 0 {
			// Busy: poll back to back and stop committing transactions
			// from notifying.
			idle = 0
			if r.listening {
				r.setListening(ctx, false)
			}
			continue
		}
		idle++
		switch {
		case r.cfg.ListenURL == "":
			r.sleep(ctx, r.cfg.PollInterval, false)
		case idle <= idlePolls:
			// Recently busy: keep polling briefly before paying for
			// notifications.
			r.sleep(ctx, min(idlePoll, r.cfg.PollInterval), true)
		case !r.listening:
			// Ask for notifications, then poll at once to catch commits
			// that saw the flag still down.
			r.setListening(ctx, true)
			nap = r.graceDelay
		default:
			// A transaction whose Add read the flag just before it went
			// up commits without notifying: look again after 10 ms, 20 ms,
			// ... up to PollInterval.
			r.sleep(ctx, min(nap, r.cfg.PollInterval), true)
			nap = min(nap*2, r.cfg.PollInterval)
		}
	}
	return nil
}

// After an empty poll the relay polls idlePolls more times every idlePoll
// before it raises the wake-up flag, then looks again after graceDelay,
// doubling up to PollInterval. Under steady load it never asks for NOTIFY.
const (
	idlePolls  = 20
	idlePoll   = 5 * time.Millisecond
	graceDelay = 10 * time.Millisecond
)

// setListening flips the outbox_wakeup flag that makes Add notify.
// Failures are logged: polling covers them.
func (r *Relay) setListening(ctx context.Context, on bool) {
	if _, err := r.db.Exec(ctx, "UPDATE outbox_wakeup SET listening = $1 WHERE id = 1 AND listening <> $1", on); err != nil {
		if ctx.Err() == nil {
			r.cfg.Logger.Warn("outbox relay: setting wake-up flag", "err", err)
		}
		return
	}
	r.listening = on
}

// sleep waits for d, ctx, or (when wakeable) a notification.
func (r *Relay) sleep(ctx context.Context, d time.Duration, wakeable bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	var wake <-chan struct{}
	if wakeable {
		wake = r.wake
	}
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	}
}

func (r *Relay) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// listen keeps a LISTEN session on the direct URL open and turns
// notifications into wake-ups, reconnecting with backoff.
func (r *Relay) listen(ctx context.Context) {
	backoff := r.cfg.RetryMin
	for ctx.Err() == nil {
		err := func() error {
			conn, err := pgx.Connect(ctx, r.cfg.ListenURL)
			if err != nil {
				return err
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
				return err
			}
			backoff = r.cfg.RetryMin
			r.signal() // catch up on anything committed while not listening
			for {
				if _, err := conn.WaitForNotification(ctx); err != nil {
					return err
				}
				r.signal()
			}
		}()
		if ctx.Err() != nil {
			return
		}
		r.cfg.Logger.Warn("outbox relay: LISTEN connection lost; polling meanwhile", "err", err)
		r.sleep(ctx, backoff, false)
		backoff = min(backoff*2, r.cfg.RetryMax)
	}
}

// holdLease acquires or renews the relay lease and reports whether this
// replica holds it. It renews at most every LeaseTTL/3.
func (r *Relay) holdLease(ctx context.Context) (bool, error) {
	now := r.now()
	if now.Before(r.leaseUntil.Add(-2 * r.cfg.LeaseTTL / 3)) {
		return true, nil
	}
	var owner string
	err := r.db.QueryRow(ctx, `INSERT INTO outbox_relay_lease AS l (name, owner, expires_at)
VALUES ($1, $2, now() + $3 * interval '1 millisecond')
ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
	WHERE l.owner = EXCLUDED.owner OR l.expires_at < now()
RETURNING owner`, r.cfg.LeaseName, r.cfg.Owner, r.cfg.LeaseTTL.Milliseconds()).Scan(&owner)
	if errors.Is(err, pgx.ErrNoRows) {
		r.leaseUntil = time.Time{}
		return false, nil
	}
	if err != nil {
		r.leaseUntil = time.Time{}
		return false, fmt.Errorf("acquiring lease %q: %w", r.cfg.LeaseName, err)
	}
	r.leaseUntil = now.Add(r.cfg.LeaseTTL)
	return true, nil
}

// releaseLease gives the lease up so a standby takes over at once.
func (r *Relay) releaseLease() {
	if r.cfg.NoLease || r.leaseUntil.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.db.Exec(ctx, "DELETE FROM outbox_relay_lease WHERE name = $1 AND owner = $2", r.cfg.LeaseName, r.cfg.Owner); err != nil {
		r.cfg.Logger.Warn("outbox relay: releasing lease", "err", err)
	}
	r.leaseUntil = time.Time{}
}
