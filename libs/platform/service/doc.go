// Package service is the runtime every Centuria service runs in: main
// calls Main with a Spec, and the runtime reads the 12-factor environment,
// sets up telemetry, applies migrations, opens the database and NATS,
// ensures the streams, runs Spec.Setup to register routes, consumers, the
// outbox relay and workers, serves the public and admin listeners, and shuts
// everything down in order on SIGINT/SIGTERM.
//
// Beyond Main, Run and the Service methods that register work:
//
//   - Service.Config, Service.Telemetry, Service.HTTPAddr and
//     Service.AdminAddr expose the configuration, the telemetry providers
//     and the bound listener addresses (useful with port 0 in tests).
//   - DB returns nil when DATABASE_URL is not set; Subscribe and Relay then
//     fail naming DATABASE_URL, and so does Run when Spec.Migrations is set.
//   - events.SubscriberConfig and outbox.RelayConfig gained a MeterProvider
//     field; Subscribe and Relay default it (and Logger, TracerProvider,
//     Propagator) to the service's.
//
// Shutdown order: readiness turns 503, the public listener is drained
// (http.Server.Shutdown), consumers stop fetching and finish their
// in-flight messages while workers' contexts are cancelled, relays stop,
// NATS is drained, telemetry is exported once more (so the gauges read
// from the database have their last values), the database is closed, the
// admin listener closes and telemetry is flushed. SHUTDOWN_TIMEOUT bounds
// the sequence up to the database close; the final flush has 5 seconds.
package service
