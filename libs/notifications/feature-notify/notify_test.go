package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	notificationstore "github.com/centuria/centuria/libs/notifications/data-access-notifications"
	notify "github.com/centuria/centuria/libs/notifications/feature-notify"
	"github.com/centuria/centuria/libs/platform/postgres"
	"github.com/centuria/centuria/libs/shared/util-flowtest"
	money "github.com/centuria/centuria/libs/shared/util-money"
	orderflow "github.com/centuria/centuria/libs/shared/util-orderflow"
	"github.com/google/uuid"
)

// logBuffer is a concurrency-safe log destination.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) lines(kind string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "notification" && m["kind"] == kind {
			out = append(out, m)
		}
	}
	return out
}

// flakySink fails its first n sends, then passes them to next.
type flakySink struct {
	mu   sync.Mutex
	n    int
	next notify.Sink
}

func (f *flakySink) Send(ctx context.Context, n notificationstore.Notification) error {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		return errors.New("sink unavailable")
	}
	return f.next.Send(ctx, n)
}

func start(t *testing.T, sink notify.Sink) (*postgres.DB, flowtest.Flow) {
	t.Helper()
	db, _ := flowtest.DB(t, notificationstore.Migrations())
	flow := flowtest.NATS(t)
	for _, s := range notify.New(sink, "log", nil).Subscriptions() {
		flowtest.Background(t, flow.Subscriber(t, db, s).Run)
	}
	return db, flow
}

func TestRecordsOnce(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	sink, err := notify.NewSink("log", slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// The first send fails: the event is retried and recorded once.
	db, flow := start(t, &flakySink{n: 1, next: sink})
	order, cancelled := uuid.NewString(), uuid.NewString()
	conf := orderflow.OrderConfirmed{OrderID: order, CustomerID: "u1", Total: money.Money{Cents: 1250, Currency: "EUR"}}
	flow.Publish(t, orderflow.AggregateOrder, order, orderflow.TypeOrderConfirmed, "c-1", conf)
	flow.Publish(t, orderflow.AggregateOrder, order, orderflow.TypeOrderConfirmed, "c-1", conf)
	flow.Publish(t, orderflow.AggregateOrder, order, orderflow.TypeOrderConfirmed, "c-2", conf)
	flow.Publish(t, orderflow.AggregateOrder, cancelled, orderflow.TypeOrderCancelled, "", orderflow.OrderCancelled{
		OrderID: cancelled, CustomerID: "u2", Reason: orderflow.ReasonOutOfStock, Detail: "a: requested 2, available 0"})
	flow.Publish(t, orderflow.AggregateOrder, order, orderflow.TypeOrderPlaced, "", orderflow.OrderPlaced{OrderID: order})

	ctx := context.Background()
	flowtest.Eventually(t, 10*time.Second, "every event processed", func() bool {
		var n int
		db.Pool.QueryRow(ctx, "SELECT count(*) FROM events_inbox").Scan(&n)
		return n == 4
	})
	time.Sleep(200 * time.Millisecond)
	list, err := notificationstore.ListByOrder(ctx, db.Pool, order)
	if err != nil || len(list) != 1 || list[0].Kind != notificationstore.KindOrderConfirmed || !strings.Contains(list[0].Message, "12.50 EUR") {
		t.Errorf("confirmed order's notifications = %+v, %v", list, err)
	}
	list, _ = notificationstore.ListByOrder(ctx, db.Pool, cancelled)
	if len(list) != 1 || !strings.Contains(list[0].Message, "out of stock") || !strings.Contains(list[0].Message, "available 0") {
		t.Errorf("cancelled order's notifications = %+v", list)
	}
	if got := logs.lines("order_confirmed"); len(got) != 1 || got[0]["order_id"] != order {
		t.Errorf("log sink lines = %v", got)
	}
	if got := logs.lines("order_cancelled"); len(got) != 1 {
		t.Errorf("log sink cancelled lines = %v", got)
	}
	if n := flow.DeadLetters(t, orderflow.StreamOrders); n != 0 {
		t.Errorf("%d dead letters", n)
	}
}

func TestBadPayloadDeadLettered(t *testing.T) {
	t.Parallel()
	logs := &logBuffer{}
	db, flow := start(t, notify.LogSink{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	id := uuid.NewString()
	flow.Publish(t, orderflow.AggregateOrder, id, orderflow.TypeOrderCancelled, "", orderflow.OrderCancelled{OrderID: id, CustomerID: "u", Reason: "whim"})
	flow.Publish(t, orderflow.AggregateOrder, id, orderflow.TypeOrderConfirmed, "", []byte(`[]`))
	flowtest.Eventually(t, 10*time.Second, "2 dead letters", func() bool { return flow.DeadLetters(t, orderflow.StreamOrders) == 2 })
	if list, _ := notificationstore.ListByOrder(context.Background(), db.Pool, id); len(list) != 0 {
		t.Errorf("bad events were recorded: %+v", list)
	}
}

func TestSinkFromEnv(t *testing.T) {
	env := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) { return v, k == notify.EnvSink && v != "" }
	}
	if _, name, err := notify.SinkFromEnv(env(""), nil); err != nil || name != "log" {
		t.Errorf("default sink = %q, %v", name, err)
	}
	if _, _, err := notify.SinkFromEnv(env("smtp"), nil); !errors.Is(err, notify.ErrUnknownSink) || !strings.Contains(err.Error(), notify.EnvSink) {
		t.Errorf("unknown sink: %v", err)
	}
}

func TestAPI(t *testing.T) {
	t.Parallel()
	db, _ := flowtest.DB(t, notificationstore.Migrations())
	order := uuid.NewString()
	notificationstore.Record(context.Background(), db.Pool, notificationstore.Notification{ID: uuid.NewString(), OrderID: order,
		CustomerID: "u1", Kind: notificationstore.KindOrderConfirmed, Message: "m", Sink: "log", CreatedAt: time.Now()})
	mux := http.NewServeMux()
	notify.Register(mux, db.Pool)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, tc := range []struct {
		query string
		code  int
		n     int
		field string
	}{
		{"?order_id=" + order, 200, 1, ""},
		{"?order_id=" + uuid.NewString(), 200, 0, ""},
		{"", 400, 0, "order_id"},
		{"?order_id=x", 400, 0, "order_id"},
		{"?order_id=" + order + "&order_id=" + order, 400, 0, "order_id"},
	} {
		res, err := http.Get(srv.URL + "/notifications" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var m struct {
			Notifications []map[string]any `json:"notifications"`
			Field         string           `json:"field"`
		}
		json.Unmarshal(b, &m)
		if res.StatusCode != tc.code || len(m.Notifications) != tc.n || m.Field != tc.field {
			t.Errorf("GET /notifications%s = %d %s", tc.query, res.StatusCode, b)
		}
	}
}

func FuzzParseOrderID(f *testing.F) {
	f.Add("order_id=0193a000-0000-7000-8000-000000000000")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := urlQuery(raw)
		if err != nil {
			return
		}
		id, err := notify.ParseOrderID(q)
		if err == nil {
			if u, perr := uuid.Parse(id); perr != nil || u.String() != id {
				t.Fatalf("accepted %q", id)
			}
		}
	})
}
