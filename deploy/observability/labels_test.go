package observability

import (
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/centuria/centuria/libs/platform/telemetry"
)

// metricLabels are the labels each emitted family carries (as documented
// in libs/platform/telemetry and set by the instrumentation), besides the
// target labels every series has.
var metricLabels = map[string][]string{
	telemetry.MetricHTTPServerDuration: {"http_request_method", "http_route", "http_response_status_code",
		"url_scheme", "server_address", "server_port", "network_protocol_name", "network_protocol_version"},
	telemetry.MetricMessagingProcessDuration: {"messaging_system", "messaging_destination_name", "messaging_consumer_group_name", "outcome"},
	telemetry.MetricConsumerRedeliveries:     {"stream", "consumer"},
	telemetry.MetricConsumerDeadLetters:      {"stream", "consumer"},
	telemetry.MetricOutboxPending:            nil,
	telemetry.MetricOutboxLag:                nil,
	telemetry.MetricOutboxPublished:          nil,
	telemetry.MetricDBPoolConnections:        {"state"},
}

// targetLabels are on every series: job is the service (service.name over
// OTLP), instance the process.
var targetLabels = []string{"job", "instance"}

var legendLabel = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// TestDashboardLabels checks that every label a dashboard query matches
// on, groups by or shows in a legend is one the queried metrics have, so
// a misspelt label cannot leave a panel silently empty.
func TestDashboardLabels(t *testing.T) {
	ds, err := LoadDashboards(Dashboards())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		for _, p := range d.AllPanels() {
			for _, tg := range p.Targets {
				where := d.File + ": panel " + p.Title + " target " + tg.RefID
				allowed, used := queryLabels(t, where, tg.Expr)
				for _, m := range legendLabel.FindAllStringSubmatch(tg.LegendFormat, -1) {
					used = append(used, m[1])
				}
				for _, l := range used {
					if !allowed[l] {
						t.Errorf("%s: label %q is not on %s", where, l, tg.Expr)
					}
				}
			}
		}
		for _, v := range d.Variables {
			expr, ok := variableSelector(v.Query)
			if !ok {
				continue
			}
			where := d.File + ": variable " + v.Name
			allowed, used := queryLabels(t, where, expr)
			// label_values(selector, label): the label read must exist too.
			if i := strings.LastIndex(v.Query, ","); i >= 0 {
				used = append(used, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v.Query[i+1:]), ")")))
			}
			for _, l := range used {
				if !allowed[l] {
					t.Errorf("%s: label %q is not on %s", where, l, expr)
				}
			}
		}
	}
}

// queryLabels parses expr and returns the labels its metrics carry and
// the labels it uses (matchers, by/without, on/ignoring, group_left/right).
func queryLabels(t *testing.T, where, expr string) (allowed map[string]bool, used []string) {
	t.Helper()
	src := grafanaTimeVar.ReplaceAllString(expr, "1m")
	node, err := parser.NewParser(parser.Options{}).ParseExpr(src)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	allowed = map[string]bool{}
	for _, l := range targetLabels {
		allowed[l] = true
	}
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			name := selectorName(n)
			family := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(name, suffix); ok && metricLabels[base] != nil {
					family = base
					if suffix == "_bucket" {
						allowed["le"] = true
					}
				}
			}
			ls, ok := metricLabels[family]
			if !ok {
				t.Errorf("%s: unknown metric %s", where, name)
			}
			for _, l := range ls {
				allowed[l] = true
			}
			for _, m := range n.LabelMatchers {
				if m.Name != labels.MetricName {
					used = append(used, m.Name)
				}
			}
		case *parser.AggregateExpr:
			used = append(used, n.Grouping...)
		case *parser.BinaryExpr:
			if n.VectorMatching != nil {
				used = append(used, n.VectorMatching.MatchingLabels...)
				used = append(used, n.VectorMatching.Include...)
			}
		}
		return nil
	})
	return allowed, used
}
