// Package commands holds devstack's verbs: thin glue that parses flags and
// calls the stack and demo packages.
package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/devstack/internal/stack"
	"github.com/centuria/centuria/tools/devstack/internal/supervisor"
)

// Execute runs devstack with args and returns the exit code.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "devstack",
		Short:         "Run the Centuria platform (gateway and reference services) on this machine",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.AddCommand(newUpCmd(), newDemoCmd())
	if err := root.ExecuteContext(ctx); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(stderr, "devstack:", err)
		}
		return 1
	}
	return 0
}

// errReported is returned by a command that has already printed why it
// failed; the exit status is 1.
var errReported = errors.New("failed")

// platformOptions are the flags that choose how the platform is started.
type platformOptions struct {
	PostgresAdminURL string
	DatabasePrefix   string
	NATSURL          string
	RedisAddr        string
	GatewayAddr      string
	BinDir           string
	LogsDir          string
	NoColor          bool
	LogLevel         string
	OTLPEndpoint     string
	OTLPProtocol     string
	FailureRate      string
	FailAmountCents  int64
	ReadyTimeout     time.Duration
}

func addPlatformFlags(cmd *cobra.Command, o *platformOptions) {
	f := cmd.Flags()
	f.StringVar(&o.PostgresAdminURL, "postgres-admin-url", envOr(stack.EnvPostgresAdminURL, stack.DefaultPostgresAdminURL),
		"PostgreSQL superuser `URL` used to create each service's database and role ($"+stack.EnvPostgresAdminURL+")")
	f.StringVar(&o.DatabasePrefix, "database-prefix", "", "put this `prefix` before each service's database and role name (several platforms on one server)")
	f.StringVar(&o.NATSURL, "nats-url", os.Getenv(stack.EnvNATSURL),
		"NATS `URL`; empty: "+stack.DefaultNATSURL+" when it answers, else an embedded server; \"embedded\" forces it ($"+stack.EnvNATSURL+")")
	f.StringVar(&o.RedisAddr, "redis-addr", os.Getenv(stack.EnvRedisAddr),
		"Redis `host:port` for the gateway's rate limits; empty: "+stack.DefaultRedisAddr+" when it answers; \"off\": per-process limits ($"+stack.EnvRedisAddr+")")
	f.StringVar(&o.GatewayAddr, "gateway-addr", "", "gateway listen `address` (default 127.0.0.1:8080, or a free port when taken)")
	f.StringVar(&o.BinDir, "bin-dir", "", "where the binaries are built (default <user cache dir>/centuria/devstack/bin)")
	f.StringVar(&o.LogsDir, "logs", "", "write each process's output to `DIR`/<name>.log instead of the terminal")
	f.BoolVar(&o.NoColor, "no-color", os.Getenv("NO_COLOR") != "", "do not colour the log prefixes ($NO_COLOR)")
	f.StringVar(&o.LogLevel, "log-level", "info", "the services' LOG_LEVEL: debug, info, warn or error")
	f.StringVar(&o.OTLPEndpoint, "otlp-endpoint", os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "export traces and metrics over OTLP to this `URL` ($OTEL_EXPORTER_OTLP_ENDPOINT)")
	f.StringVar(&o.OTLPProtocol, "otlp-protocol", envOr("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), "OTLP protocol: grpc or http/protobuf")
	f.StringVar(&o.FailureRate, "payments-failure-rate", "0", "PAYMENTS_FAILURE_RATE: share of payments declined at random (0..1)")
	f.Int64Var(&o.FailAmountCents, "fail-amount-cents", stack.DefaultFailAmountCents, "PAYMENTS_FAIL_AMOUNT_CENTS: an order total that is always declined")
	f.DurationVar(&o.ReadyTimeout, "ready-timeout", 60*time.Second, "how long each process may take to become ready")
}

func (o *platformOptions) validate() error {
	switch o.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level: want debug, info, warn or error, got %q", o.LogLevel)
	}
	switch o.OTLPProtocol {
	case "grpc", "http/protobuf":
	default:
		return fmt.Errorf("--otlp-protocol: want grpc or http/protobuf, got %q", o.OTLPProtocol)
	}
	if o.FailAmountCents <= 0 {
		return fmt.Errorf("--fail-amount-cents: want a positive amount, got %d", o.FailAmountCents)
	}
	if o.ReadyTimeout <= 0 {
		return fmt.Errorf("--ready-timeout: want a positive duration, got %s", o.ReadyTimeout)
	}
	return nil
}

// stackOptions turns the flags into stack.Options; the process output goes
// to the terminal (stdout) unless --logs is set or quiet is true.
func (o *platformOptions) stackOptions(stdout, stderr io.Writer, quiet bool) (stack.Options, error) {
	if err := o.validate(); err != nil {
		return stack.Options{}, err
	}
	root, err := stack.FindRepoRoot(".")
	if err != nil {
		return stack.Options{}, fmt.Errorf("%w: run devstack from the repository", err)
	}
	var sink supervisor.Sink = supervisor.NewPrefixed(stdout, !o.NoColor && isTerminal(stdout), len("notifications"))
	switch {
	case o.LogsDir != "":
		sink = supervisor.Dir(o.LogsDir)
	case quiet:
		sink = supervisor.Discard{}
	}
	return stack.Options{
		RepoRoot:            root,
		BinDir:              o.BinDir,
		GatewayAddr:         o.GatewayAddr,
		PostgresAdminURL:    o.PostgresAdminURL,
		DatabasePrefix:      o.DatabasePrefix,
		NATSURL:             o.NATSURL,
		RedisAddr:           o.RedisAddr,
		OTLPEndpoint:        o.OTLPEndpoint,
		OTLPProtocol:        o.OTLPProtocol,
		PaymentsFailureRate: o.FailureRate,
		FailAmountCents:     o.FailAmountCents,
		LogLevel:            o.LogLevel,
		Sink:                sink,
		Log:                 stderr,
		ReadyTimeout:        o.ReadyTimeout,
		System:              stack.HostSystem(stderr),
	}, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
