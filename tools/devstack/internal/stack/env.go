package stack

import (
	"os"
	"strconv"
	"strings"
)

// inherited reports whether a variable of the launcher's environment may
// pass to the children: the ones the launcher sets are dropped, so a stray
// DATABASE_URL or OTEL_* in the shell cannot leak in.
func inherited(kv string) bool {
	k, _, _ := strings.Cut(kv, "=")
	for _, p := range []string{"OTEL_", "DATABASE_", "PAYMENTS_", "NOTIFICATIONS_"} {
		if strings.HasPrefix(k, p) {
			return false
		}
	}
	switch k {
	case "HTTP_ADDR", "ADMIN_ADDR", "NATS_URL", "SERVICE_NAME", "LOG_LEVEL", "ADMIN_PPROF", "SHUTDOWN_TIMEOUT":
		return false
	}
	return true
}

func (s *Stack) baseEnv(name string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if inherited(kv) {
			env = append(env, kv)
		}
	}
	env = append(env, "OTEL_SERVICE_NAME="+name)
	if s.opts.OTLPEndpoint != "" {
		proto := s.opts.OTLPProtocol
		if proto == "" {
			proto = "grpc"
		}
		env = append(env, "OTEL_EXPORTER_OTLP_ENDPOINT="+s.opts.OTLPEndpoint, "OTEL_EXPORTER_OTLP_PROTOCOL="+proto,
			"OTEL_EXPORTER_OTLP_INSECURE=true", "OTEL_BSP_SCHEDULE_DELAY=500", "OTEL_METRIC_EXPORT_INTERVAL=5000")
	}
	env = append(env, s.opts.Env...)
	return append(env, s.opts.ServiceEnv[name]...)
}

func (s *Stack) serviceEnv(name string, ep Endpoint) []string {
	env := []string{
		"HTTP_ADDR=" + ep.HTTP,
		"ADMIN_ADDR=" + ep.Admin,
		"DATABASE_URL=" + ep.DatabaseURL,
		"NATS_URL=" + s.NATSURL,
		"LOG_LEVEL=" + s.opts.LogLevel,
		"SHUTDOWN_TIMEOUT=5s",
	}
	if name == "payments" {
		env = append(env, "PAYMENTS_FAILURE_RATE="+s.opts.PaymentsFailureRate,
			"PAYMENTS_FAIL_AMOUNT_CENTS="+strconv.FormatInt(s.opts.FailAmountCents, 10))
	}
	return append(env, s.baseEnv(name)...)
}
