package outbox

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/events"
	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/nats-io/nats.go"
)

// TestCrashBetweenPublishAndDelete stops a relay after the stream acked a
// batch and before the rows were deleted. The next relay republishes the
// whole batch; JetStream drops every copy by Nats-Msg-Id.
func TestCrashBetweenPublishAndDelete(t *testing.T) {
	e := setup(t, platformtest.Direct)
	want := produce(t, e.db, 2, 25, 5)
	ctx, crash := context.WithCancel(context.Background())
	first := e.relay(t, RelayConfig{})
	first.afterPublish = func(context.Context) { crash() }
	if _, err := first.RelayOnce(ctx); err == nil {
		t.Fatal("relay survived its crash")
	}
	stored := first.Stats().Published
	if stored == 0 || int64(e.outboxCount(t)) != stored {
		t.Fatalf("setup: published %d, %d rows left", stored, e.outboxCount(t))
	}
	second := e.relay(t, RelayConfig{})
	for e.outboxCount(t) > 0 {
		_, err := second.RelayOnce(context.Background())
		testenv.Must(t, err, "relay after crash")
	}
	if s := second.Stats(); s.Duplicates != stored || s.Published != 0 {
		t.Fatalf("after crash: %+v, want %d duplicates and nothing new", s, stored)
	}
	checkStream(t, platformtest.ReadStream(t, e.js, e.stream), want)
}

const (
	helperDB     = "CENTURIA_OUTBOX_HELPER_DB"
	helperNATS   = "CENTURIA_OUTBOX_HELPER_NATS"
	helperPrefix = "CENTURIA_OUTBOX_HELPER_PREFIX"
	helperBounce = "CENTURIA_OUTBOX_HELPER_PGBOUNCER"
)

// TestRelayProcessHelper is not a test: TestCrashRelayProcessesAndNATS runs
// the test binary with it selected to get a relay in a separate process
// that it can kill.
func TestRelayProcessHelper(t *testing.T) {
	dbURL := os.Getenv(helperDB)
	if dbURL == "" {
		return
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: dbURL, PgBouncer: os.Getenv(helperBounce) == "1"})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(os.Getenv(helperNATS), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRelay(db.Pool, nc, RelayConfig{
		Source: "/test", SubjectPrefix: os.Getenv(helperPrefix), BatchSize: 25, NoLease: true,
		PollInterval: 5 * time.Millisecond, PublishTimeout: time.Second, RetryMax: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Run(ctx) // until killed
}

// TestCrashRelayProcessesAndNATS kills relay processes with SIGKILL at
// random points and restarts the NATS server under them while producers
// commit and roll back events. At the end every committed event is in the
// stream exactly once, in commit order per aggregate, and nothing from a
// rolled-back transaction is.
func TestCrashRelayProcessesAndNATS(t *testing.T) {
	ns := testenv.NATSServer(t)
	db, direct := platformtest.DB(t, platformtest.Direct)
	testenv.Must(t, EnsureSchema(context.Background(), db.Pool), "schema")
	nc, js, name := platformtest.Connect(t, ns.URL(), strings.ToUpper(testenv.Name(t, "T")))
	e := newEnv(t, db, direct, nc, js, name, eventsStreamSpec())

	var want map[string]int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); want = produce(t, db, 4, 250, 8) }()

	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRelayProcessHelper$", "-test.count=1")
		bounce := "0"
		if db.Config().PgBouncer {
			bounce = "1"
		}
		cmd.Env = append(os.Environ(), helperDB+"="+db.Config().URL, helperBounce+"="+bounce, helperNATS+"="+ns.URL(), helperPrefix+"="+e.prefix)
		testenv.Must(t, cmd.Start(), "starting relay process")
		time.Sleep(time.Duration(50+rnd.IntN(250)) * time.Millisecond)
		if i%3 == 1 {
			ns.Restart()
			time.Sleep(time.Duration(rnd.IntN(100)) * time.Millisecond)
		}
		testenv.Must(t, cmd.Process.Kill(), "killing relay process")
		cmd.Wait()
		t.Logf("killed relay process %d; %d events waiting", i, e.outboxCount(t))
	}
	wg.Wait()
	r := e.relay(t, RelayConfig{NoLease: true, PollInterval: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	platformtest.Eventually(t, "outbox drained", func() bool { return e.outboxCount(t) == 0 })
	cancel()
	<-done
	t.Logf("final relay: %+v", r.Stats())
	checkStream(t, platformtest.ReadStream(t, e.js, e.stream), want)
}

func eventsStreamSpec() events.StreamSpec { return events.StreamSpec{Duplicates: 10 * time.Minute} }
