package commands

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/centuria/centuria/tools/devstack/internal/demo"
	"github.com/centuria/centuria/tools/devstack/internal/stack"
)

type demoOptions struct {
	platformOptions
	StateFile  string
	Standalone bool
	Timeout    time.Duration
}

func newDemoCmd() *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Place a confirmed, an out-of-stock and a declined order through the running platform",
		Long: `Against the platform that "devstack up" runs (found through its state file),
or one of its own with --standalone: set stock, place three orders through the
gateway (one confirmed, one out of stock, one declined by payments), wait for
each to be final and print its state and trace id. Exits with status 1 when
an order does not end as expected.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	addPlatformFlags(cmd, &o.platformOptions)
	addStateFlag(cmd, &o.StateFile)
	cmd.Flags().BoolVar(&o.Standalone, "standalone", false, "start a platform for the demo and stop it afterwards")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 60*time.Second, "how long orders may take to become final")
	return cmd
}

func runDemo(ctx context.Context, o *demoOptions, stdout, stderr io.Writer) error {
	if !o.Standalone {
		st, err := stack.ReadState(o.StateFile)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "platform: gateway %s (devstack pid %d)\n", st.GatewayURL, st.PID)
		return play(ctx, st, o.Timeout, stdout)
	}
	opts, err := o.stackOptions(stdout, stderr, true)
	if err != nil {
		return err
	}
	s, err := stack.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer stop(s, stderr)
	token, err := s.Token(DefaultCustomer, time.Hour)
	if err != nil {
		return err
	}
	// A process that dies ends the demo at once, with its last lines.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		if err := s.Wait(ctx); err != nil {
			cancel(err)
		}
	}()
	err = play(ctx, s.State(DefaultCustomer, token), o.Timeout, stdout)
	if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
		return cause
	}
	return err
}

func play(ctx context.Context, st stack.State, timeout time.Duration, stdout io.Writer) error {
	c := &demo.Client{GatewayURL: st.GatewayURL, Token: st.Token, APIKey: st.APIKey}
	_, err := demo.Run(ctx, c, demo.Cases(st.FailAmountCents), timeout, stdout)
	return err
}
