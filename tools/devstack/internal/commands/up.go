package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/devstack/internal/stack"
)

// DefaultCustomer is the subject of the token that `up` prints.
const DefaultCustomer = "customer-demo"

type upOptions struct {
	platformOptions
	Customer  string
	StateFile string
}

func addStateFlag(cmd *cobra.Command, p *string) {
	def, _ := stack.DefaultStatePath()
	cmd.Flags().StringVar(p, "state-file", def, "`file` where up publishes the gateway URL, token and API key for demo")
}

func newUpCmd() *cobra.Command {
	o := &upOptions{}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start PostgreSQL databases, NATS, the four services and the gateway; Ctrl-C stops them",
		Long: `Build the gateway and the reference services, give each service its own
database and login role, start them on free loopback ports and the gateway in
front of them, print the gateway URL, a customer token and an admin API key,
and run until Ctrl-C (or until a process dies, which stops everything and
exits with status 1).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUp(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	addPlatformFlags(cmd, &o.platformOptions)
	addStateFlag(cmd, &o.StateFile)
	cmd.Flags().StringVar(&o.Customer, "customer", DefaultCustomer, "subject (customer id) of the printed token")
	return cmd
}

func runUp(ctx context.Context, o *upOptions, stdout, stderr io.Writer) error {
	if o.Customer == "" {
		return errors.New("--customer: must not be empty")
	}
	if st, err := stack.ReadState(o.StateFile); err == nil {
		return fmt.Errorf("a platform is already running (pid %d, gateway %s); stop it first", st.PID, st.GatewayURL)
	}
	opts, err := o.stackOptions(stdout, stderr, false)
	if err != nil {
		return err
	}
	s, err := stack.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		_ = stack.RemoveState(o.StateFile)
	}()
	token, err := s.Token(o.Customer, 24*time.Hour)
	if err != nil {
		stop(s, stderr)
		return err
	}
	st := s.State(o.Customer, token)
	if err := stack.WriteState(o.StateFile, st); err != nil {
		stop(s, stderr)
		return err
	}
	printBanner(stderr, st, s)
	if err := s.Wait(ctx); err != nil {
		// A process died: say so first, then stop the others.
		fmt.Fprintln(stderr, "devstack:", err)
		fmt.Fprintln(stderr, "devstack: stopping everything")
		stop(s, stderr)
		return errReported
	}
	fmt.Fprintln(stderr, "devstack: stopping")
	return stop(s, stderr)
}

// stop stops the stack within 30 seconds.
func stop(s *stack.Stack, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.Stop(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "devstack:", err)
	} else {
		fmt.Fprintln(stderr, "devstack: everything stopped")
	}
	return err
}

func printBanner(w io.Writer, st stack.State, s *stack.Stack) {
	g := st.GatewayURL
	nats := st.NATSURL
	if s.NATSEmbedded {
		nats += " (embedded)"
	}
	limits := "per process"
	if s.RedisAddr != "" {
		limits = "Redis " + s.RedisAddr
	}
	fmt.Fprintf(w, `
Centuria is up.
  gateway     %s
  customer    %s
  token       %s
  admin key   %s
  NATS        %s
  rate limit  %s
  declined    orders totalling %d cents (PAYMENTS_FAIL_AMOUNT_CENTS)

Try it:
  export TOKEN='%s' API_KEY='%s'
  curl -s -X PUT -H "X-API-Key: $API_KEY" -H 'Content-Type: application/json' -d '{"available":10}' %s/admin/inventory/stock/sku-1
  curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"items":[{"sku":"sku-1","quantity":2,"unit_price_cents":1250}],"currency":"EUR"}' %s/orders
  curl -s -H "Authorization: Bearer $TOKEN" %s/orders
  curl -s -H "X-API-Key: $API_KEY" %s/admin/inventory/stock/sku-1
  curl -s -H "X-API-Key: $API_KEY" '%s/admin/notifications/notifications?order_id=ORDER_ID'
  make demo    # in another terminal: three orders end to end, with their trace ids

Ctrl-C stops everything.
`, g, st.Customer, st.Token, st.APIKey, nats, limits, st.FailAmountCents, st.Token, st.APIKey, g, g, g, g, g)
}
