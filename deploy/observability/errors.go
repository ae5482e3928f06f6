package observability

import "errors"

// ErrNoMetricName is returned for a selector that does not fix the metric
// name (such as {job="x"} or {__name__=~"http_.*"}): which series it reads
// cannot be checked.
var ErrNoMetricName = errors.New("selector without a fixed metric name")
