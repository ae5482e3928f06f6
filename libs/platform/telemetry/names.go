package telemetry

// Metric names as scraped from the Prometheus endpoint. The OpenTelemetry
// instrument names are given beside each; the Prometheus exporter turns
// dots into underscores and appends the unit ("_seconds") and, for
// counters, "_total".
const (
	// MetricHTTPServerDuration is the request duration histogram of every
	// route registered with the service runtime (OTel
	// http.server.request.duration), labelled http_request_method,
	// http_route and http_response_status_code.
	MetricHTTPServerDuration = "http_server_request_duration_seconds"
	// MetricMessagingProcessDuration is the consumer handler duration
	// histogram (OTel messaging.process.duration), labelled
	// messaging_destination_name (stream), messaging_consumer_group_name
	// (durable) and outcome (ack, retry or dead_letter).
	MetricMessagingProcessDuration = "messaging_process_duration_seconds"
	// MetricConsumerRedeliveries counts deliveries after the first
	// (OTel centuria.consumer.redeliveries), labelled stream and consumer.
	MetricConsumerRedeliveries = "centuria_consumer_redeliveries_total"
	// MetricConsumerDeadLetters counts messages moved to the dead-letter
	// stream (OTel centuria.consumer.dead_letters), labelled stream and
	// consumer.
	MetricConsumerDeadLetters = "centuria_consumer_dead_letters_total"
	// MetricOutboxPending is the number of events not yet relayed (OTel
	// centuria.outbox.pending).
	MetricOutboxPending = "centuria_outbox_pending"
	// MetricOutboxLag is the age of the oldest unrelayed event, 0 when the
	// outbox is empty (OTel centuria.outbox.lag).
	MetricOutboxLag = "centuria_outbox_lag_seconds"
	// MetricOutboxPublished counts events the relay stored in the stream
	// (OTel centuria.outbox.published; duplicates are not counted).
	MetricOutboxPublished = "centuria_outbox_published_total"
	// MetricDBPoolConnections is the connection pool gauge labelled state
	// (idle, used or max) (OTel centuria.db.pool.connections).
	MetricDBPoolConnections = "centuria_db_pool_connections"
)

// OpenTelemetry instrument names of the metrics above, for code that
// creates the instruments.
const (
	InstrumentHTTPServerDuration       = "http.server.request.duration"
	InstrumentMessagingProcessDuration = "messaging.process.duration"
	InstrumentConsumerRedeliveries     = "centuria.consumer.redeliveries"
	InstrumentConsumerDeadLetters      = "centuria.consumer.dead_letters"
	InstrumentOutboxPending            = "centuria.outbox.pending"
	InstrumentOutboxLag                = "centuria.outbox.lag"
	InstrumentOutboxPublished          = "centuria.outbox.published"
	InstrumentDBPoolConnections        = "centuria.db.pool.connections"
)
