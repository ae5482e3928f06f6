package service

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/centuria/centuria/libs/platform/outbox"
)

// logLines returns the JSON log records written to b.
func logLines(t *testing.T, b *testenv.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// testService is a service started by start.
type testService struct {
	svc    *Service
	cancel context.CancelFunc
	done   chan error
	logs   *testenv.Buffer
	env    map[string]string
	stream string
	prefix string
}

// baseEnv returns an environment with a fresh database, loopback listeners
// on free ports, and the test's NATS server, plus a stream name and
// subject prefix unique to the test.
func baseEnv(t *testing.T) (env map[string]string, stream, prefix string) {
	t.Helper()
	_, _, stream = platformtest.NATS(t) // deletes the test's streams at the end
	return map[string]string{
		"DATABASE_URL": testenv.Postgres(t),
		"NATS_URL":     testenv.NATSURL(),
		"HTTP_ADDR":    "127.0.0.1:0",
		"ADMIN_ADDR":   "127.0.0.1:0",
	}, stream, strings.ToLower(stream)
}

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// start runs spec with env and waits until it is ready.
func start(t *testing.T, spec Spec, env map[string]string) *testService {
	t.Helper()
	r := &testService{done: make(chan error, 1), logs: &testenv.Buffer{}, env: env}
	setup := spec.Setup
	ready := make(chan *Service, 1)
	spec.Setup = func(ctx context.Context, s *Service) error {
		ready <- s
		if setup != nil {
			return setup(ctx, s)
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- run(ctx, spec, lookupIn(env), r.logs) }()
	select {
	case r.svc = <-ready:
	case err := <-r.done:
		t.Fatalf("Run returned before Setup: %v\n%s", err, r.logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("service did not reach Setup\n%s", r.logs)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(60 * time.Second):
			t.Errorf("service did not stop")
		}
	})
	platformtest.Eventually(t, "ready log line", func() bool { return strings.Contains(r.logs.String(), `"msg":"ready"`) })
	return r
}

// stop cancels the service's context and returns Run's error.
func (r *testService) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("Run did not return after cancel\n%s", r.logs)
		return nil
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var itemsMigrations = fstest.MapFS{
	"00001_items.sql": {Data: []byte(`-- +goose Up
CREATE TABLE items (id text PRIMARY KEY);
CREATE TABLE processed (id text PRIMARY KEY);
-- +goose Down
DROP TABLE processed;
DROP TABLE items;
`)},
}

type item struct {
	ID string `json:"id"`
}

// itemsSpec is a small service: POST /items/{id} stores an item and emits
// item.created through the outbox; a consumer records it as processed,
// calling hook first.
func itemsSpec(stream, prefix string, hook func(ctx context.Context, id string)) Spec {
	return Spec{
		Name:       "items",
		Migrations: itemsMigrations,
		Streams:    []events.StreamSpec{{Name: stream, Subjects: []string{prefix + ".>"}}},
		Setup: func(ctx context.Context, s *Service) error {
			s.Handle("POST /items/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				id := r.PathValue("id")
				err := pgx.BeginFunc(r.Context(), s.DB().Pool, func(tx pgx.Tx) error {
					if _, err := tx.Exec(r.Context(), "INSERT INTO items (id) VALUES ($1)", id); err != nil {
						return err
					}
					ev, err := outbox.NewJSON("item", id, "item.created", item{ID: id})
					if err != nil {
						return err
					}
					return outbox.Add(r.Context(), tx, ev)
				})
				if err != nil {
					s.Logger().ErrorContext(r.Context(), "storing item", "err", err)
					http.Error(w, err.Error(), http.StatusInternalServerError)
					return
				}
				s.Logger().InfoContext(r.Context(), "item stored", "id", id)
				w.WriteHeader(http.StatusCreated)
			}))
			if err := s.Relay(outbox.RelayConfig{SubjectPrefix: prefix}); err != nil {
				return err
			}
			return s.Subscribe(events.SubscriberConfig{
				ConsumerSpec: events.ConsumerSpec{Stream: stream, Durable: "items-worker"},
				RetryMin:     10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
			}, func(sub *events.Subscriber) error {
				return events.Handle(sub, "item.created", func(ctx context.Context, tx pgx.Tx, ev events.Event[item]) error {
					if hook != nil {
						hook(ctx, ev.Data.ID)
					}
					_, err := tx.Exec(ctx, "INSERT INTO processed (id) VALUES ($1)", ev.Data.ID)
					return err
				})
			})
		},
	}
}

func post(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", nil)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func processed(t *testing.T, dbURL, id string) bool {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dbURL)
	testenv.Must(t, err, "connecting")
	defer c.Close(ctx)
	var n int
	testenv.Must(t, c.QueryRow(ctx, "SELECT count(*) FROM processed WHERE id = $1", id).Scan(&n), "counting")
	return n == 1
}

// TestServeConsumeAndGracefulShutdown starts a service with a route, a relay
// and a consumer, holds a message in its handler while the context is
// cancelled, and checks readiness turns 503, the message is finished and
// acked before Run returns, and Run returns nil.
func TestServeConsumeAndGracefulShutdown(t *testing.T) {
	env, stream, prefix := baseEnv(t)
	inHandler := make(chan string, 10)
	release := make(chan struct{})
	var once sync.Once
	r := start(t, itemsSpec(stream, prefix, func(ctx context.Context, id string) {
		inHandler <- id
		if id == "slow" {
			<-release
		}
	}), env)
	admin := "http://" + r.svc.AdminAddr()
	public := "http://" + r.svc.HTTPAddr()
	if code, body := get(t, admin+"/readyz"); code != http.StatusOK {
		t.Fatalf("readyz = %d %s", code, body)
	}
	if code, _ := get(t, admin+"/healthz"); code != http.StatusOK {
		t.Fatalf("healthz = %d", code)
	}
	if code := post(t, public+"/items/fast"); code != http.StatusCreated {
		t.Fatalf("POST = %d", code)
	}
	platformtest.Eventually(t, "fast item processed", func() bool { return processed(t, env["DATABASE_URL"], "fast") })

	if code := post(t, public+"/items/slow"); code != http.StatusCreated {
		t.Fatalf("POST = %d", code)
	}
	for id := range inHandler {
		if id == "slow" {
			break
		}
	}
	defer once.Do(func() { close(release) })
	r.cancel()
	platformtest.Eventually(t, "readyz 503 during shutdown", func() bool {
		code, _ := get(t, admin+"/readyz")
		return code == http.StatusServiceUnavailable
	})
	if _, err := http.Post(public+"/items/late", "application/json", nil); err == nil {
		t.Error("public listener still accepts requests after the HTTP drain")
	}
	select {
	case err := <-r.done:
		t.Fatalf("Run returned (%v) while a message was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	once.Do(func() { close(release) })
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v\n%s", err, r.logs)
	}
	if !processed(t, env["DATABASE_URL"], "slow") {
		t.Fatal("in-flight message was not committed")
	}
	// The message was acked: the consumer has nothing pending.
	nc, js, _ := platformtest.Connect(t, env["NATS_URL"], "NOSUCHPREFIX")
	_ = nc
	c, err := js.Consumer(context.Background(), stream, "items-worker")
	testenv.Must(t, err, "consumer")
	info, err := c.Info(context.Background())
	testenv.Must(t, err, "consumer info")
	if info.NumAckPending != 0 || info.AckFloor.Stream != 2 {
		t.Fatalf("consumer after shutdown: ack pending %d, ack floor %d; want 0 and 2", info.NumAckPending, info.AckFloor.Stream)
	}
	var order []string
	for _, l := range logLines(t, r.logs) {
		if m, _ := l["msg"].(string); m == "ready" || m == "shutting down" || m == "stopped" {
			order = append(order, m)
		}
	}
	if strings.Join(order, ",") != "ready,shutting down,stopped" {
		t.Errorf("lifecycle log lines %v", order)
	}
}

// TestReadyLogLineAndTraceIDs checks the ready line carries both addresses
// and that a log written in a request carries its trace and span ids, in
// the trace of the caller's W3C traceparent.
func TestReadyLogLineAndTraceIDs(t *testing.T) {
	env, stream, prefix := baseEnv(t)
	r := start(t, itemsSpec(stream, prefix, nil), env)
	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("POST", "http://"+r.svc.HTTPAddr()+"/items/x", nil)
	req.Header.Set("traceparent", "00-"+callerTrace+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST = %d", resp.StatusCode)
	}
	var sawReady, sawTrace bool
	for _, l := range logLines(t, r.logs) {
		switch l["msg"] {
		case "ready":
			sawReady = l["http_addr"] == r.svc.HTTPAddr() && l["admin_addr"] == r.svc.AdminAddr() && l["service"] == "items"
		case "item stored":
			tid, _ := l["trace_id"].(string)
			sid, _ := l["span_id"].(string)
			sawTrace = tid == callerTrace && len(sid) == 16 && sid != "00f067aa0ba902b7"
		}
	}
	if !sawReady || !sawTrace {
		t.Fatalf("ready line ok %v, trace ids in request log %v:\n%s", sawReady, sawTrace, r.logs)
	}
}

// TestBadEnvFailsRunNamingTheVariable runs a service with one bad variable
// at a time.
func TestBadEnvFailsRunNamingTheVariable(t *testing.T) {
	for name, value := range map[string]string{
		"HTTP_ADDR":                   "8080",
		"ADMIN_ADDR":                  "localhost:http",
		"SHUTDOWN_TIMEOUT":            "soon",
		"NATS_URL":                    "127.0.0.1:4222",
		"DATABASE_MIGRATE":            "maybe",
		"ADMIN_PPROF":                 "on-ish",
		"LOG_LEVEL":                   "loud",
		"SERVICE_NAME":                "Bad Name",
		"DATABASE_POOL_MAX":           "ten",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317",
		"OTEL_TRACES_EXPORTER":        "zipkin",
		"OTEL_SDK_DISABLED":           "nope",
		"OTEL_RESOURCE_ATTRIBUTES":    "novalue",
		"OTEL_METRIC_EXPORT_INTERVAL": "1m",
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": "postgres://127.0.0.1/x", name: value}
			err := Run(context.Background(), Spec{Name: "items"}, lookupIn(env))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("Run with %s=%q: err = %v; want it to name %s", name, value, err, name)
			}
		})
	}
	t.Run("migrations without DATABASE_URL", func(t *testing.T) {
		err := run(context.Background(), Spec{Name: "items", Migrations: itemsMigrations},
			lookupIn(map[string]string{"HTTP_ADDR": "127.0.0.1:0", "ADMIN_ADDR": "127.0.0.1:0"}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("Setup error", func(t *testing.T) {
		env, _, _ := baseEnv(t)
		boom := errors.New("boom")
		err := run(context.Background(), Spec{Name: "items", Setup: func(context.Context, *Service) error { return boom }}, lookupIn(env), io.Discard)
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad route pattern", func(t *testing.T) {
		env, _, _ := baseEnv(t)
		err := run(context.Background(), Spec{Name: "items", Setup: func(_ context.Context, s *Service) error {
			s.Handle("POST /x", http.NotFoundHandler())
			s.Handle("POST /x", http.NotFoundHandler())
			return nil
		}}, lookupIn(env), io.Discard)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "POST /x") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestWorkerErrorStopsTheService checks a failing background worker shuts
// the service down and Run returns its error.
func TestWorkerErrorStopsTheService(t *testing.T) {
	env, _, _ := baseEnv(t)
	boom := errors.New("worker broke")
	stopped := make(chan struct{})
	spec := Spec{Name: "items", Setup: func(_ context.Context, s *Service) error {
		s.Go("steady", func(ctx context.Context) error { <-ctx.Done(); close(stopped); return nil })
		s.Go("broken", func(ctx context.Context) error { time.Sleep(50 * time.Millisecond); return boom })
		return nil
	}}
	err := run(context.Background(), spec, lookupIn(env), io.Discard)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("err = %v", err)
	}
	select {
	case <-stopped:
	default:
		t.Fatal("the other worker was not stopped")
	}
}

// TestConsumerOnMissingStreamFailsRun checks a consumer that cannot start
// stops the service with an error naming it.
func TestConsumerOnMissingStreamFailsRun(t *testing.T) {
	env, stream, _ := baseEnv(t)
	spec := Spec{Name: "items", Setup: func(_ context.Context, s *Service) error {
		return s.Subscribe(events.SubscriberConfig{ConsumerSpec: events.ConsumerSpec{Stream: stream + "_MISSING", Durable: "lost"}},
			func(sub *events.Subscriber) error {
				return events.Handle(sub, "x.y", func(context.Context, pgx.Tx, events.Event[item]) error { return nil })
			})
	}}
	err := run(context.Background(), spec, lookupIn(env), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "lost") {
		t.Fatalf("err = %v; want the consumer's failure", err)
	}
}

// TestRegistrationAfterSetup checks consumers and relays cannot be added
// once the service runs, while workers can.
func TestRegistrationAfterSetup(t *testing.T) {
	env, stream, prefix := baseEnv(t)
	r := start(t, itemsSpec(stream, prefix, nil), env)
	platformtest.Eventually(t, "ready", func() bool { return r.svc.ready.Load() })
	if err := r.svc.Relay(outbox.RelayConfig{}); err == nil {
		t.Error("Relay after Setup succeeded")
	}
	err := r.svc.Subscribe(events.SubscriberConfig{ConsumerSpec: events.ConsumerSpec{Stream: stream, Durable: "late"}}, nil)
	if err == nil {
		t.Error("Subscribe after Setup succeeded")
	}
	ran := make(chan struct{})
	r.svc.Go("late", func(ctx context.Context) error { close(ran); <-ctx.Done(); return nil })
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("worker added after Setup did not run")
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
}

// TestShutdownDelayKeepsServing checks SHUTDOWN_DELAY: once shutdown
// starts, readiness answers 503 at once while the public listener keeps
// serving until the delay is over, then it drains and closes.
func TestShutdownDelayKeepsServing(t *testing.T) {
	env, _, _ := baseEnv(t)
	env["SHUTDOWN_DELAY"] = "2s"
	delete(env, "DATABASE_URL")
	r := start(t, Spec{Name: "delayed", Setup: func(ctx context.Context, s *Service) error {
		s.Handle("GET /ping", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "pong") }))
		return nil
	}}, env)
	admin := "http://" + r.svc.AdminAddr()
	public := "http://" + r.svc.HTTPAddr()
	began := time.Now()
	r.cancel()
	platformtest.Eventually(t, "readyz 503 during shutdown", func() bool {
		code, _ := get(t, admin+"/readyz")
		return code == http.StatusServiceUnavailable
	})
	if code, body := get(t, public+"/ping"); code != http.StatusOK || body != "pong" {
		t.Fatalf("during the delay: GET /ping = %d %q", code, body)
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("Run: %v\n%s", err, r.logs)
	}
	if took := time.Since(began); took < 2*time.Second {
		t.Fatalf("Run returned %v after cancel, before SHUTDOWN_DELAY (2s)", took)
	}
	if _, err := http.Get(public + "/ping"); err == nil {
		t.Fatal("public listener still serves after shutdown")
	}
}
