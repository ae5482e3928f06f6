package service

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/centuria/centuria/libs/platform/internal/platformtest"
	"github.com/centuria/centuria/libs/platform/telemetry"
)

// TestMetricsAfterRequestAndMessage scrapes the admin listener after one
// request and one consumed message and checks every documented metric is
// there with its labels, and that the public listener serves no metrics.
func TestMetricsAfterRequestAndMessage(t *testing.T) {
	env, stream, prefix := baseEnv(t)
	r := start(t, itemsSpec(stream, prefix, nil), env)
	if code := post(t, "http://"+r.svc.HTTPAddr()+"/items/m1"); code != http.StatusCreated {
		t.Fatalf("POST = %d", code)
	}
	platformtest.Eventually(t, "item processed", func() bool { return processed(t, env["DATABASE_URL"], "m1") })
	// The relay deletes its batch after the acks, so the consumer can be
	// done before the outbox reads empty: wait for both.
	var body string
	emptied := regexp.MustCompile(telemetry.MetricOutboxPending + `{.*} 0\n`)
	platformtest.Eventually(t, "consumer histogram and an empty outbox", func() bool {
		_, body = get(t, "http://"+r.svc.AdminAddr()+"/metrics")
		return strings.Contains(body, telemetry.MetricMessagingProcessDuration+"_count{") && emptied.MatchString(body)
	})
	want := []string{
		telemetry.MetricHTTPServerDuration + `_count{.*http_request_method="POST".*http_response_status_code="201".*http_route="/items/{id}"`,
		telemetry.MetricMessagingProcessDuration + `_count{.*messaging_consumer_group_name="items-worker".*messaging_destination_name="` + stream + `".*outcome="ack"`,
		telemetry.MetricConsumerRedeliveries + `{.*consumer="items-worker".*stream="` + stream + `".*} 0`,
		telemetry.MetricConsumerDeadLetters + `{.*consumer="items-worker".*stream="` + stream + `".*} 0`,
		telemetry.MetricOutboxPending + `{.*} 0`,
		telemetry.MetricOutboxLag + `{.*} 0`,
		telemetry.MetricOutboxPublished + `{.*} 1`,
		telemetry.MetricDBPoolConnections + `{.*state="max".*} 10`,
		telemetry.MetricDBPoolConnections + `{.*state="idle"`,
		telemetry.MetricDBPoolConnections + `{.*state="used"`,
		`target_info{.*service_name="items"`,
		`go_goroutine_count`,
	}
	for _, w := range want {
		if !regexp.MustCompile(w).MatchString(body) {
			t.Errorf("/metrics has no line matching %s", w)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
	if code, _ := get(t, "http://"+r.svc.HTTPAddr()+"/metrics"); code != http.StatusNotFound {
		t.Errorf("public /metrics = %d, want 404", code)
	}
}
