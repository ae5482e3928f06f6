package commands

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(context.Background(), args, &out, &errb)
	return code, out.String() + errb.String()
}

func TestBadInputIsAClearError(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--state-file", state}, "no running platform found (start one with `make up`, or run the demo with --standalone)"},
		{[]string{"up", "--state-file", state, "--log-level", "loud"}, `--log-level: want debug, info, warn or error, got "loud"`},
		{[]string{"up", "--state-file", state, "--otlp-protocol", "udp"}, `--otlp-protocol: want grpc or http/protobuf, got "udp"`},
		{[]string{"up", "--state-file", state, "--fail-amount-cents", "0"}, "--fail-amount-cents: want a positive amount"},
		{[]string{"up", "--state-file", state, "--customer", ""}, "--customer: must not be empty"},
		{[]string{"demo", "--standalone", "--ready-timeout", "0s"}, "--ready-timeout: want a positive duration"},
		{[]string{"up", "extra"}, `unknown command "extra"`},
	} {
		code, out := run(t, tc.args...)
		if code != 1 || !strings.Contains(out, tc.want) {
			t.Errorf("devstack %s: exit %d, output %q; want exit 1 and %q", strings.Join(tc.args, " "), code, out, tc.want)
		}
	}
}
