package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrNoStack is returned by ReadState when no launcher is running.
var ErrNoStack = errors.New("no running platform found (start one with `make up`, or run the demo with --standalone)")

// State is what a running launcher publishes for `devstack demo` and
// other tools: where the gateway is and how to authenticate.
type State struct {
	PID             int                 `json:"pid"`
	StartedAt       time.Time           `json:"started_at"`
	GatewayURL      string              `json:"gateway_url"`
	Customer        string              `json:"customer"`
	Token           string              `json:"token"`
	APIKey          string              `json:"api_key"`
	FailAmountCents int64               `json:"fail_amount_cents"`
	NATSURL         string              `json:"nats_url"`
	Endpoints       map[string]Endpoint `json:"endpoints"`
}

// DefaultStatePath is <user cache dir>/centuria/devstack/state.json.
func DefaultStatePath() (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("user cache directory: %w", err)
	}
	return filepath.Join(c, "centuria", "devstack", "state.json"), nil
}

// State returns the stack's state for customer with token.
func (s *Stack) State(customer, token string) State {
	return State{PID: os.Getpid(), StartedAt: time.Now().UTC(), GatewayURL: s.GatewayURL, Customer: customer,
		Token: token, APIKey: s.APIKey, FailAmountCents: s.opts.FailAmountCents, NATSURL: s.NATSURL, Endpoints: s.Endpoints}
}

// WriteState writes st to path atomically, readable only by the user (it
// holds a token and an API key).
func WriteState(path string, st State) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// ReadState reads the state of a running launcher. It returns ErrNoStack
// when the file is missing or its process is gone, and an error naming the
// file when it does not parse.
func ReadState(path string) (State, error) {
	var st State
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, ErrNoStack
	}
	if err != nil {
		return st, fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	if st.GatewayURL == "" || !alive(st.PID) {
		return st, fmt.Errorf("%w (%s is stale)", ErrNoStack, path)
	}
	return st, nil
}

// RemoveState removes path if it still describes this process.
func RemoveState(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var st State
	if json.Unmarshal(b, &st) == nil && st.PID != os.Getpid() {
		return nil
	}
	return os.Remove(path)
}

// alive reports whether a process with this pid exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
