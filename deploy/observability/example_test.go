package observability_test

import (
	"fmt"
	"log"

	"github.com/centuria/centuria/deploy/observability"
)

// The series the shipped dashboards read; an end-to-end test looks for
// each at the start of a line of the services' /metrics output.
func ExampleDashboardMetrics() {
	names, err := observability.DashboardMetrics(observability.Dashboards())
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range names {
		fmt.Println(n)
	}
	// Output:
	// centuria_consumer_dead_letters_total
	// centuria_consumer_redeliveries_total
	// centuria_db_pool_connections
	// centuria_outbox_lag_seconds
	// centuria_outbox_pending
	// centuria_outbox_published_total
	// http_server_request_duration_seconds_bucket
	// http_server_request_duration_seconds_count
	// messaging_process_duration_seconds_bucket
	// messaging_process_duration_seconds_count
}

func ExampleExprMetrics() {
	names, err := observability.ExprMetrics(`histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{job=~"$service"}[$__rate_interval])))`)
	fmt.Println(names, err)
	// Output:
	// [http_server_request_duration_seconds_bucket] <nil>
}
