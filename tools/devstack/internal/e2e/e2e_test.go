package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/centuria/centuria/deploy/observability"
	"github.com/centuria/centuria/internal/testenv"
	"github.com/centuria/centuria/libs/platform/telemetry"
	"github.com/centuria/centuria/libs/platform/telemetry/telemetrytest"
	"github.com/centuria/centuria/tools/devstack/internal/commands"
	"github.com/centuria/centuria/tools/devstack/internal/demo"
	"github.com/centuria/centuria/tools/devstack/internal/stack"
	"github.com/centuria/centuria/tools/devstack/internal/supervisor"
)

// platform is one started platform under test.
type platform struct {
	t        *testing.T
	s        *stack.Stack
	client   *demo.Client
	otlp     *telemetrytest.Receiver
	admin    string // superuser URL of the PostgreSQL server
	dbPrefix string
	fail     int64
	logs     string
}

// startPlatform builds the binaries (once, without the race detector),
// gives this run its own databases, stream names and Redis keys, and
// starts the gateway and the four services.
func startPlatform(t *testing.T) *platform {
	t.Helper()
	root, err := stack.FindRepoRoot(".")
	testenv.Must(t, err, "repository root")
	admin := testenv.PostgresAdminURL()
	au, err := url.Parse(admin)
	testenv.Must(t, err, "CENTURIA_TEST_POSTGRES")
	testenv.Require(t, "PostgreSQL", au.Host, testenv.PostgresStart)
	natsURL, streamPrefix := testenv.NATS(t)
	eventsPrefix := strings.ToLower(streamPrefix)
	testenv.JetStream(t, natsURL, streamPrefix+"_") // deletes this run's streams at the end
	redisAddr, _ := testenv.Redis(t)
	dbPrefix := testenv.Name(t, "e2e") + "_"
	t.Cleanup(func() { dropDatabases(t, admin, dbPrefix) })

	ctx := context.Background()
	start := time.Now()
	bins, err := stack.Build(ctx, root, t.TempDir(), append([]string{stack.Gateway}, stack.Services...))
	testenv.Must(t, err, "building the platform")
	t.Logf("built the gateway and the services in %s", time.Since(start).Round(time.Millisecond))

	rcv := telemetrytest.NewReceiver(t)

	logs := t.TempDir()
	p := &platform{t: t, otlp: rcv, admin: admin, dbPrefix: dbPrefix, fail: 7777, logs: logs}
	start = time.Now()
	s, err := stack.Start(ctx, stack.Options{
		Binaries:         bins,
		GatewayAddr:      "127.0.0.1:0",
		PostgresAdminURL: admin,
		DatabasePrefix:   dbPrefix,
		NATSURL:          natsURL,
		RedisAddr:        redisAddr,
		OTLPEndpoint:     rcv.GRPCEndpoint(),
		OTLPProtocol:     "grpc",
		FailAmountCents:  p.fail,
		Env:              []string{"EVENTS_PREFIX=" + eventsPrefix},
		Sink:             supervisor.Dir(logs),
		Log:              newTestWriter(t),
		ReadyTimeout:     90 * time.Second,
		RatePerSecond:    1000,
	})
	if err != nil {
		p.dumpLogs()
		t.Fatalf("starting the platform: %v", err)
	}
	t.Logf("platform ready in %s: gateway %s", time.Since(start).Round(time.Millisecond), s.GatewayURL)
	p.s = s
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("stopping the platform: %v", err)
		}
		if t.Failed() {
			p.dumpLogs()
		}
	})
	token, err := s.Token("customer-e2e", time.Hour)
	testenv.Must(t, err, "token")
	p.client = &demo.Client{GatewayURL: s.GatewayURL, Token: token, APIKey: s.APIKey}
	return p
}

// watchCrashes fails the test for every process that dies on its own,
// until the returned function is called.
func (p *platform) watchCrashes() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case e := <-p.s.Crashed():
				p.t.Errorf("%v", &stack.CrashError{Exit: e})
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func TestPlatformEndToEnd(t *testing.T) {
	p := startPlatform(t)
	stopWatching := p.watchCrashes()
	defer func() {
		if stopWatching != nil {
			stopWatching()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// 1. The three outcomes, through the gateway.
	results, err := demo.Run(ctx, p.client, demo.Cases(p.fail), 60*time.Second, newTestWriter(t))
	if err != nil {
		t.Fatal(err)
	}
	happy, soldOut, declined := results[0], results[1], results[2]
	if soldOut.Order.Reason != "out_of_stock" || declined.Order.Reason != "payment_failed" {
		t.Errorf("reasons: out of stock %q, declined %q; want out_of_stock and payment_failed", soldOut.Order.Reason, declined.Order.Reason)
	}
	// The admin routes reach payments and notifications.
	for _, c := range []struct {
		r      demo.Result
		status string // payment status; "" for none
		kind   string
	}{{happy, "captured", "order_confirmed"}, {soldOut, "", "order_cancelled"}, {declined, "failed", "order_cancelled"}} {
		pay, err := p.client.Payment(ctx, c.r.Order.ID)
		switch {
		case c.status == "" && !errors.Is(err, demo.ErrStatus):
			t.Errorf("%s: payment %v, %v; want 404", c.r.Case.Name, pay, err)
		case c.status != "" && (err != nil || pay["status"] != c.status):
			t.Errorf("%s: payment %v, %v; want status %s", c.r.Case.Name, pay, err, c.status)
		}
		// The notification follows the order's final state.
		var ns []map[string]any
		err = eventually(ctx, 30*time.Second, func() error {
			var err error
			if ns, err = p.client.Notifications(ctx, c.r.Order.ID); err == nil && len(ns) == 0 {
				err = errors.New("none yet")
			}
			return err
		})
		if err != nil || len(ns) != 1 || ns[0]["kind"] != c.kind {
			t.Errorf("%s: notifications %v, %v; want one %s", c.r.Case.Name, ns, err, c.kind)
		}
	}

	// Every metric the dashboards query is emitted, and each service serves
	// HTTP, consumes events and has a pool (checked before any process
	// restarts with fresh counters).
	p.checkMetrics(ctx)

	// 2. Orders keep flowing while inventory, then payments, is killed
	// with SIGKILL and restarted: more orders for one SKU than it has in
	// stock, placed every 100 ms by each of 3 customers' workers until both
	// services are back.
	const loadSKU, loadStock = "e2e-load", 12
	if err := p.client.SetStock(ctx, loadSKU, loadStock); err != nil {
		t.Fatal(err)
	}
	type placement struct {
		id demo.ID
		at time.Time
	}
	var (
		mu     sync.Mutex
		placed []placement
		wg     sync.WaitGroup
	)
	stopPlacing := make(chan struct{})
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				o, _, err := p.client.PlaceOrder(ctx, "EUR", demo.Item{SKU: loadSKU, Quantity: 1, UnitPriceCents: int64(100 + w*1000 + i)})
				if err != nil {
					t.Errorf("placing a load order: %v", err)
					return
				}
				mu.Lock()
				placed = append(placed, placement{o.ID, time.Now()})
				mu.Unlock()
				select {
				case <-stopPlacing:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
	}
	type window struct {
		victim   string
		down, up time.Time
	}
	var windows []window
	for _, victim := range []string{"inventory", "payments"} {
		time.Sleep(500 * time.Millisecond)
		if err := p.s.Kill(victim); err != nil {
			t.Fatal(err)
		}
		w := window{victim: victim, down: time.Now()}
		t.Logf("killed %s (SIGKILL)", victim)
		time.Sleep(time.Second)
		if err := p.s.Restart(ctx, victim); err != nil {
			t.Fatalf("restarting %s: %v", victim, err)
		}
		w.up = time.Now()
		windows = append(windows, w)
		t.Logf("%s is back after %s", victim, w.up.Sub(w.down).Round(time.Millisecond))
	}
	time.Sleep(300 * time.Millisecond)
	close(stopPlacing)
	wg.Wait()
	for _, w := range windows {
		n := 0
		for _, pl := range placed {
			if pl.at.After(w.down) && pl.at.Before(w.up) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no order was placed while %s was down", w.victim)
		}
	}
	if len(placed) <= loadStock {
		t.Fatalf("placed %d load orders, want more than the %d in stock", len(placed), loadStock)
	}
	t.Logf("placed %d orders for %d in stock", len(placed), loadStock)
	wctx, wcancel := context.WithTimeout(ctx, 90*time.Second)
	defer wcancel()
	confirmed := 0
	loadIDs := make([]demo.ID, len(placed))
	for i, pl := range placed {
		loadIDs[i] = pl.id
		o, err := p.client.WaitFinal(wctx, pl.id, 250*time.Millisecond)
		if err != nil {
			t.Fatalf("load order: %v", err)
		}
		switch {
		case o.Status == "confirmed":
			confirmed++
		case o.Reason != "out_of_stock":
			t.Errorf("load order %s cancelled for %q, want only out_of_stock cancellations", pl.id, o.Reason)
		}
	}
	if confirmed != loadStock {
		t.Errorf("%d of %d load orders confirmed with %d in stock, want exactly %d", confirmed, len(placed), loadStock, loadStock)
	}

	// 3. Each service's own database agrees, and no event was applied twice.
	all := append([]demo.ID{happy.Order.ID, soldOut.Order.ID, declined.Order.ID}, loadIDs...)
	p.checkDatabases(ctx, all, happy.Order.ID, soldOut.Order.ID, declined.Order.ID, loadSKU, loadStock)

	// 4. One trace from the gateway to the notification.
	p.checkTrace(ctx, happy.TraceID)

	// 5. `devstack demo` finds the platform through the state file.
	statePath := filepath.Join(t.TempDir(), "state.json")
	testenv.Must(t, stack.WriteState(statePath, p.s.State("customer-e2e", p.client.Token)), "state file")
	var out strings.Builder
	if code := commands.Execute(ctx, []string{"demo", "--state-file", statePath}, &out, &out); code != 0 {
		t.Fatalf("devstack demo: exit %d\n%s", code, out.String())
	}
	for _, w := range []string{"happy path", "confirmed", "out_of_stock", "payment_failed"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("devstack demo output lacks %q:\n%s", w, out.String())
		}
	}

	// 6. A process that dies on its own is reported with its last lines.
	stopWatching()
	stopWatching = nil
	testenv.Must(t, syscall.Kill(p.s.Pid("notifications"), syscall.SIGKILL), "killing notifications")
	wctx2, wcancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel2()
	err = p.s.Wait(wctx2)
	var crash *stack.CrashError
	if !errors.As(err, &crash) || crash.Exit.Name != "notifications" || len(crash.Exit.Tail) == 0 ||
		!strings.Contains(err.Error(), "notifications stopped unexpectedly (signal: killed)") {
		t.Fatalf("Wait after killing notifications: %v", err)
	}
}

// eventually calls f until it returns nil or timeout passes, and returns
// its last error.
func eventually(ctx context.Context, timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// db opens a superuser connection to one service's database.
func (p *platform) db(ctx context.Context, service string) *pgx.Conn {
	p.t.Helper()
	u, err := url.Parse(p.admin)
	testenv.Must(p.t, err, "admin URL")
	u.Path = "/" + p.dbPrefix + service
	c, err := pgx.Connect(ctx, u.String())
	testenv.Must(p.t, err, "connecting to the %s database", service)
	p.t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func (p *platform) checkDatabases(ctx context.Context, all []demo.ID, happy, soldOut, declined demo.ID, loadSKU string, loadStock int) {
	t := p.t
	t.Helper()
	ids := make([]string, len(all))
	for i, id := range all {
		ids[i] = string(id)
	}

	// orders: every order final, with the state the API reported.
	orders := p.db(ctx, "orders")
	var pending, total int
	err := orders.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FROM orders WHERE id::text = ANY($1)`, ids).Scan(&pending, &total)
	testenv.Must(t, err, "orders")
	if pending != 0 || total != len(all) {
		t.Errorf("orders database: %d pending of %d, want 0 of %d", pending, total, len(all))
	}
	for id, status := range map[demo.ID]string{happy: "confirmed", soldOut: "cancelled", declined: "cancelled"} {
		var got string
		testenv.Must(t, orders.QueryRow(ctx, `SELECT status FROM orders WHERE id::text = $1`, string(id)).Scan(&got), "order %s", id)
		if got != status {
			t.Errorf("orders database: order %s is %s, want %s", id, got, status)
		}
	}

	// inventory: the stock arithmetic holds only if every reservation and
	// release was applied exactly once. A reservation moves stock from
	// available to reserved, a release (after a failed payment) moves it
	// back, a confirmation leaves it reserved.
	for _, c := range []struct {
		sku                 string
		available, reserved int
	}{
		{loadSKU, 0, loadStock},
		{demo.InStockSKU, demo.InStockAmount - 2, 2}, // the happy order's 2; the declined order's 1 came back
	} {
		// A release runs beside the cancellation, so it may lag the
		// order's final state a little.
		var st demo.Stock
		err := eventually(ctx, 30*time.Second, func() error {
			var err error
			if st, err = p.client.GetStock(ctx, c.sku); err == nil && (st.Available != c.available || st.Reserved != c.reserved) {
				err = errors.New("not yet")
			}
			return err
		})
		if err != nil {
			t.Errorf("stock of %s: %d available, %d reserved; want %d and %d (%v)", c.sku, st.Available, st.Reserved, c.available, c.reserved, err)
		}
	}
	inv := p.db(ctx, "inventory")
	var reserved, rejected, released int
	err = inv.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'reserved'), count(*) FILTER (WHERE status = 'rejected'),
		count(*) FILTER (WHERE status = 'released') FROM reservations WHERE order_id::text = ANY($1)`, ids).Scan(&reserved, &rejected, &released)
	testenv.Must(t, err, "reservations")
	// Reserved: the confirmed load orders and the happy order; rejected:
	// the other load orders and the out-of-stock order; released: the
	// declined order.
	if reserved != loadStock+1 || rejected != len(all)-3-loadStock+1 || released != 1 {
		t.Errorf("inventory database: %d reserved, %d rejected, %d released; want %d, %d, 1",
			reserved, rejected, released, loadStock+1, len(all)-3-loadStock+1)
	}

	// payments: one payment per order that got stock, captured only for
	// the confirmed ones.
	pay := p.db(ctx, "payments")
	rows, err := pay.Query(ctx, `SELECT order_id::text, status FROM payments WHERE order_id::text = ANY($1)`, ids)
	testenv.Must(t, err, "payments")
	payments := map[string]string{}
	for rows.Next() {
		var id, status string
		testenv.Must(t, rows.Scan(&id, &status), "payments row")
		payments[id] = status
	}
	testenv.Must(t, rows.Err(), "payments")
	if got := len(payments); got != loadStock+2 {
		t.Errorf("payments database: payments for %d orders, want %d (the load orders with stock, the happy and the declined order)", got, loadStock+2)
	}
	captured := 0
	for _, st := range payments {
		if st == "captured" {
			captured++
		}
	}
	if captured != loadStock+1 {
		t.Errorf("payments database: %d captured, want %d (the confirmed orders)", captured, loadStock+1)
	}
	if s := payments[string(happy)]; s != "captured" {
		t.Errorf("payments database: the happy order's payment is %q, want captured", s)
	}
	if _, ok := payments[string(soldOut)]; ok {
		t.Errorf("payments database: the out-of-stock order %s has a payment", soldOut)
	}
	if s := payments[string(declined)]; s != "failed" {
		t.Errorf("payments database: the declined order's payment is %q, want failed", s)
	}

	// notifications: exactly one per order.
	nt := p.db(ctx, "notifications")
	seen := map[string]int{}
	err = eventually(ctx, 30*time.Second, func() error {
		rows, err := nt.Query(ctx, `SELECT order_id::text, count(*) FROM notifications WHERE order_id::text = ANY($1) GROUP BY order_id`, ids)
		if err != nil {
			return err
		}
		seen = map[string]int{}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			seen[id] = n
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(seen) < len(ids) {
			return fmt.Errorf("notifications for %d of %d orders so far", len(seen), len(ids))
		}
		return nil
	})
	if err != nil {
		t.Errorf("notifications database: %v", err)
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("notifications database: %d notifications for order %s, want exactly 1", seen[id], id)
		}
	}
}

// checkTrace waits for the spans of the happy order's trace and checks
// that they form one tree rooted at the gateway and covering every hop.
func (p *platform) checkTrace(ctx context.Context, traceID string) {
	t := p.t
	t.Helper()
	want := []string{"gateway", "orders", "inventory", "payments", "notifications"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		svcs := services(p.otlp.Trace(traceID))
		missing := []string{}
		for _, w := range want {
			if svcs[w] == 0 {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 && hasConsumer(p.otlp.Trace(traceID), "notifications") {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("trace %s: no spans of %v after 30s; it has %v", traceID, missing, svcs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second) // let the last batches arrive
	spans := p.otlp.Trace(traceID)
	byID := map[string]telemetrytest.Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
	}
	var lines []string
	for _, s := range spans {
		if s.Kind == tracepb.Span_SPAN_KIND_SERVER || s.Kind == tracepb.Span_SPAN_KIND_PRODUCER || s.Kind == tracepb.Span_SPAN_KIND_CONSUMER {
			lines = append(lines, fmt.Sprintf("%-13s %-9s %s", s.Service, strings.TrimPrefix(s.Kind.String(), "SPAN_KIND_"), s.Name))
		}
	}
	t.Logf("trace %s (%d spans; database and internal spans not shown):\n  %s", traceID, len(spans), strings.Join(lines, "\n  "))
	roots := 0
	for _, s := range spans {
		if s.ParentSpanID == "" {
			t.Errorf("trace %s: span %q of %s is a root; the trace must continue the client's traceparent", traceID, s.Name, s.Service)
			roots++
			continue
		}
		if _, ok := byID[s.ParentSpanID]; !ok {
			// Only the gateway's server span may have its parent outside
			// (the client's span, which the test made up).
			if s.Service != "gateway" {
				t.Errorf("trace %s: parent of span %q of %s is not in the trace", traceID, s.Name, s.Service)
			}
		}
	}
	// The causal chain: each hop's consumer span descends from the
	// previous hop's spans.
	const (
		server   = tracepb.Span_SPAN_KIND_SERVER
		producer = tracepb.Span_SPAN_KIND_PRODUCER
		consumer = tracepb.Span_SPAN_KIND_CONSUMER
	)
	chain := []struct {
		service string
		kind    tracepb.Span_SpanKind
		name    string
	}{
		{"gateway", server, ""},
		{"orders", server, "POST /orders"},
		{"orders", producer, "order.placed"}, // the outbox relay
		{"inventory", consumer, "order.placed"},
		{"inventory", producer, "stock.reserved"},
		{"payments", consumer, "stock.reserved"},
		{"payments", producer, "payment.captured"},
		{"orders", consumer, "payment.captured"},
		{"orders", producer, "order.confirmed"},
		{"notifications", consumer, "order.confirmed"},
	}
	var prev *telemetrytest.Span
	for _, hop := range chain {
		var found *telemetrytest.Span
		for i := range spans {
			s := &spans[i]
			if s.Service == hop.service && s.Kind == hop.kind && strings.Contains(s.Name, hop.name) {
				if prev == nil || descends(byID, *s, prev.SpanID) {
					found = s
					break
				}
			}
		}
		if found == nil {
			t.Errorf("trace %s: no %s %s span %q descending from the previous hop", traceID, hop.service, hop.kind, hop.name)
			return
		}
		prev = found
	}
}

// services counts the spans of each service.
func services(spans []telemetrytest.Span) map[string]int {
	m := map[string]int{}
	for _, s := range spans {
		m[s.Service]++
	}
	return m
}

func hasConsumer(spans []telemetrytest.Span, service string) bool {
	for _, s := range spans {
		if s.Service == service && s.Kind == tracepb.Span_SPAN_KIND_CONSUMER {
			return true
		}
	}
	return false
}

// descends reports whether s has ancestor among its parents.
func descends(byID map[string]telemetrytest.Span, s telemetrytest.Span, ancestor string) bool {
	for i := 0; i < 100; i++ {
		if s.ParentSpanID == ancestor {
			return true
		}
		next, ok := byID[s.ParentSpanID]
		if !ok {
			return false
		}
		s = next
	}
	return false
}

// checkMetrics scrapes every process's /metrics and checks that each
// metric the dashboards query is emitted by at least one of them.
func (p *platform) checkMetrics(ctx context.Context) {
	t := p.t
	t.Helper()
	names, err := observability.DashboardMetrics(observability.Dashboards())
	testenv.Must(t, err, "dashboard metrics")
	emitted := map[string][]string{}
	for name, ep := range p.s.Endpoints {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ep.Admin+"/metrics", nil)
		resp, err := http.DefaultClient.Do(req)
		testenv.Must(t, err, "scraping %s", name)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if line == "" || line[0] == '#' {
				continue
			}
			metric := line
			if i := strings.IndexAny(line, "{ "); i >= 0 {
				metric = line[:i]
			}
			emitted[metric] = append(emitted[metric], name)
		}
		resp.Body.Close()
	}
	// Every service serves HTTP, consumes events and has a pool.
	for _, svc := range stack.Services {
		for _, n := range []string{telemetry.MetricHTTPServerDuration + "_count", telemetry.MetricMessagingProcessDuration + "_count", telemetry.MetricDBPoolConnections} {
			if !slices.Contains(emitted[n], svc) {
				t.Errorf("%s does not emit %s", svc, n)
			}
		}
	}
	var missing []string
	for _, n := range names {
		found := false
		for m := range emitted {
			if m == n || strings.HasPrefix(m, n+"_") {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("metrics the dashboards query but no process emits: %v", missing)
	}
	t.Logf("all %d metrics the dashboards query are emitted", len(names))
}

// dropDatabases drops this run's databases and roles.
func dropDatabases(t *testing.T, admin, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := stack.DropDatabases(ctx, admin, prefix); err != nil {
		t.Logf("cleanup: %v", err)
	}
}

// dumpLogs prints the last lines of every process's log.
func (p *platform) dumpLogs() {
	files, _ := filepath.Glob(filepath.Join(p.logs, "*.log"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		p.t.Logf("last lines of %s:\n  %s", filepath.Base(f), strings.Join(lines, "\n  "))
	}
}

// testWriter sends complete lines to the test log.
type testWriter struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func newTestWriter(t *testing.T) *testWriter { return &testWriter{t: t} }

func (w *testWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(b), nil
		}
		w.t.Log(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

var _ io.Writer = (*testWriter)(nil)
