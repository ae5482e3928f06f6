package observability

import (
	"fmt"
	"regexp"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// grafanaTimeVar matches Grafana's built-in time variables
// ($__rate_interval, ${__interval}, $__range_ms, ...).
var grafanaTimeVar = regexp.MustCompile(`\$\{?__(rate_interval|interval|range)(_ms|_s)?\}?`)

// ExprMetrics parses a Grafana PromQL query with the Prometheus parser and
// returns the metric names its selectors read, in order of appearance and
// without duplicates. Grafana's built-in time variables are replaced by a
// duration (or a number for the _ms and _s forms) before parsing;
// dashboard variables may appear inside label values ("$service"). It
// returns ErrNoMetricName for a selector without a fixed name.
func ExprMetrics(expr string) ([]string, error) {
	src := grafanaTimeVar.ReplaceAllStringFunc(expr, func(m string) string {
		if grafanaTimeVar.FindStringSubmatch(m)[2] != "" {
			return "60"
		}
		return "1m"
	})
	node, err := parser.NewParser(parser.Options{}).ParseExpr(src)
	if err != nil {
		return nil, fmt.Errorf("parsing PromQL %q: %w", expr, err)
	}
	var names []string
	seen := map[string]bool{}
	var selErr error
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := selectorName(vs)
		if name == "" {
			if selErr == nil {
				selErr = fmt.Errorf("%w: %s in %q", ErrNoMetricName, vs.String(), expr)
			}
			return nil
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
		return nil
	})
	if selErr != nil {
		return nil, selErr
	}
	return names, nil
}

// selectorName is the metric name of a selector: its name, or the value
// of an equality matcher on __name__.
func selectorName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

// labelValuesQuery matches label_values(<selector>, <label>) and
// query_result(<expr>), the Prometheus variable queries that name a
// metric.
var (
	labelValuesQuery = regexp.MustCompile(`^\s*label_values\(\s*(.+)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$`)
	queryResultQuery = regexp.MustCompile(`^\s*query_result\(\s*(.+)\s*\)\s*$`)
)

// variableSelector returns the PromQL inside a query variable's
// label_values(selector, label) or query_result(expr); label_values(label),
// label_names() and metrics(regex) read no particular metric.
func variableSelector(query string) (string, bool) {
	if m := labelValuesQuery.FindStringSubmatch(query); m != nil {
		return m[1], true
	}
	if m := queryResultQuery.FindStringSubmatch(query); m != nil {
		return m[1], true
	}
	return "", false
}
