package observability

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/centuria/centuria/libs/platform/telemetry"
)

// emitted are the metric families the services emit (Prometheus names as
// scraped from /metrics), with whether each is a histogram.
var emitted = map[string]bool{
	telemetry.MetricHTTPServerDuration:       true,
	telemetry.MetricMessagingProcessDuration: true,
	telemetry.MetricConsumerRedeliveries:     false,
	telemetry.MetricConsumerDeadLetters:      false,
	telemetry.MetricOutboxPending:            false,
	telemetry.MetricOutboxLag:                false,
	telemetry.MetricOutboxPublished:          false,
	telemetry.MetricDBPoolConnections:        false,
}

// emittedSeries reports whether a series name belongs to an emitted
// family: the family itself, or a histogram's _bucket, _sum or _count.
func emittedSeries(name string) bool {
	if _, ok := emitted[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && emitted[base] {
			return true
		}
	}
	return false
}

// grafanaSchemaVersion is the classic dashboard schema version of the
// Grafana releases the dashboards target (12.x and 13.x).
const grafanaSchemaVersion = 42

func TestDashboards(t *testing.T) {
	ds, err := LoadDashboards(Dashboards())
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"consumers.json", "db-pool.json", "outbox.json", "services.json"}
	var files []string
	uids := map[string]string{}
	for _, d := range ds {
		files = append(files, d.File)
		if d.Title == "" {
			t.Errorf("%s: no title", d.File)
		}
		if d.UID == "" {
			t.Errorf("%s: no uid (provisioned dashboards need a stable uid for links)", d.File)
		} else if other, dup := uids[d.UID]; dup {
			t.Errorf("%s: uid %q already used by %s", d.File, d.UID, other)
		}
		uids[d.UID] = d.File
		if d.SchemaVersion != grafanaSchemaVersion {
			t.Errorf("%s: schemaVersion %d, want %d", d.File, d.SchemaVersion, grafanaSchemaVersion)
		}
		checkVariables(t, d)
		checkPanels(t, d)
	}
	slices.Sort(files)
	if !slices.Equal(files, wantFiles) {
		t.Errorf("dashboards = %v, want %v", files, wantFiles)
	}
}

// checkVariables: a datasource variable of type prometheus, and every
// query variable reading through it.
func checkVariables(t *testing.T, d Dashboard) {
	t.Helper()
	hasDS := false
	for _, v := range d.Variables {
		switch v.Type {
		case "datasource":
			if v.Name == "datasource" && v.Query == "prometheus" {
				hasDS = true
			}
		case "query":
			if v.Datasource == nil || v.Datasource.UID != "${datasource}" {
				t.Errorf("%s: variable %q does not use the ${datasource} variable: %+v", d.File, v.Name, v.Datasource)
			}
		}
	}
	if !hasDS {
		t.Errorf("%s: no prometheus datasource variable named datasource", d.File)
	}
}

// checkPanels: unique ids, a title, and every query on the ${datasource}
// variable (never a data source name that differs between installations).
func checkPanels(t *testing.T, d Dashboard) {
	t.Helper()
	ids := map[int]string{}
	queries := 0
	for _, p := range d.AllPanels() {
		if p.ID <= 0 {
			t.Errorf("%s: panel %q has no id", d.File, p.Title)
		}
		if other, dup := ids[p.ID]; dup {
			t.Errorf("%s: panel id %d used by %q and %q", d.File, p.ID, other, p.Title)
		}
		ids[p.ID] = p.Title
		if strings.TrimSpace(p.Title) == "" {
			t.Errorf("%s: panel %d has no title", d.File, p.ID)
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel %d %q has no query", d.File, p.ID, p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || p.Datasource.Type != "prometheus" {
			t.Errorf("%s: panel %d %q datasource = %+v, want prometheus ${datasource}", d.File, p.ID, p.Title, p.Datasource)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			queries++
			if tg.Expr == "" {
				t.Errorf("%s: panel %d %q target %s has no expr", d.File, p.ID, p.Title, tg.RefID)
			}
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: panel %d %q: missing or duplicate refId %q", d.File, p.ID, p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource != nil && tg.Datasource.UID != "${datasource}" {
				t.Errorf("%s: panel %d %q target %s datasource = %+v", d.File, p.ID, p.Title, tg.RefID, tg.Datasource)
			}
		}
	}
	if queries == 0 {
		t.Errorf("%s: no queries", d.File)
	}
}

// TestDashboardMetricsAreEmitted: every metric a dashboard queries is one
// the services emit, and every emitted family is shown somewhere.
func TestDashboardMetricsAreEmitted(t *testing.T) {
	names, err := DashboardMetrics(Dashboards())
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	for _, n := range names {
		if !emittedSeries(n) {
			t.Errorf("dashboards query %s, which no service emits", n)
		}
		shown[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")] = true
	}
	for fam := range emitted {
		if !shown[fam] {
			t.Errorf("no dashboard shows %s", fam)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("DashboardMetrics not sorted: %v", names)
	}
}

func TestDashboardMetricsPerDashboard(t *testing.T) {
	ds, err := LoadDashboards(Dashboards())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"services.json": {telemetry.MetricHTTPServerDuration + "_bucket", telemetry.MetricHTTPServerDuration + "_count"},
		"outbox.json":   {telemetry.MetricOutboxLag, telemetry.MetricOutboxPending, telemetry.MetricOutboxPublished},
		"consumers.json": {telemetry.MetricConsumerDeadLetters, telemetry.MetricConsumerRedeliveries,
			telemetry.MetricMessagingProcessDuration + "_bucket", telemetry.MetricMessagingProcessDuration + "_count"},
		"db-pool.json": {telemetry.MetricDBPoolConnections},
	}
	for _, d := range ds {
		got, err := d.Metrics()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want[d.File]) {
			t.Errorf("%s metrics = %v, want %v", d.File, got, want[d.File])
		}
	}
}

func TestExprMetrics(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{`up`, []string{"up"}},
		{`sum by (job) (rate(http_server_request_duration_seconds_count{job=~"$service"}[$__rate_interval]))`,
			[]string{"http_server_request_duration_seconds_count"}},
		{`histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="1"}[${__interval}]))) / on(job) group_left b offset 5m`,
			[]string{"a_bucket", "b"}},
		{`increase(c_total[$__range]) * $__range_s + d and ignoring(x) e unless f`, []string{"c_total", "d", "e", "f"}},
		{`{__name__="g", job="x"} + g`, []string{"g"}},
		{`max_over_time(h[5m:1m]) > bool 3`, []string{"h"}},
		{`vector(1)`, nil},
		{`sum(rate(i{label="by (without) $__rate_interval rate(j)"}[1m]))`, []string{"i"}},
	}
	for _, c := range cases {
		got, err := ExprMetrics(c.expr)
		if err != nil {
			t.Errorf("ExprMetrics(%q): %v", c.expr, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("ExprMetrics(%q) = %v, want %v", c.expr, got, c.want)
		}
	}
}

func TestExprMetricsErrors(t *testing.T) {
	cases := []struct {
		expr, want string
	}{
		{`sum(rate(x[5m])`, "parsing PromQL"},
		{`rate(x[$window])`, "parsing PromQL"},
		{`{job="a"}`, "without a fixed metric name"},
		{`{__name__=~"http_.*"}`, "without a fixed metric name"},
	}
	for _, c := range cases {
		_, err := ExprMetrics(c.expr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ExprMetrics(%q) error = %v, want one containing %q", c.expr, err, c.want)
		}
	}
	if _, err := ExprMetrics(`{job="a"}`); !errors.Is(err, ErrNoMetricName) {
		t.Errorf("want ErrNoMetricName, got %v", err)
	}
}

func TestDashboardMetricsFromFS(t *testing.T) {
	good := `{"uid":"u","title":"T","schemaVersion":42,
	  "templating":{"list":[
	    {"name":"s","type":"query","query":{"query":"label_values(var_metric{a=\"b\"}, job)"}},
	    {"name":"t","type":"query","query":"query_result(topk(3, qr_metric))"},
	    {"name":"l","type":"query","query":"label_values(job)"},
	    {"name":"c","type":"custom","query":"a,b"}]},
	  "panels":[
	    {"id":1,"type":"row","title":"R","collapsed":true,"panels":[
	      {"id":2,"type":"timeseries","title":"in row","targets":[{"refId":"A","expr":"rate(row_metric_total[$__rate_interval])"}]}]},
	    {"id":3,"type":"text","title":"notes"},
	    {"id":4,"type":"stat","title":"top","targets":[{"refId":"A","expr":"top_metric"},{"refId":"B","expr":""}]}]}`
	fsys := fstest.MapFS{
		"a.json":       {Data: []byte(good)},
		"README.md":    {Data: []byte("not a dashboard")},
		"sub/b.json":   {Data: []byte(`{"uid":"b","title":"B","panels":[{"id":1,"type":"stat","title":"x","targets":[{"refId":"A","expr":"top_metric + other"}]}]}`)},
		"sub/notes.md": {Data: []byte("{")},
	}
	got, err := DashboardMetrics(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"other", "qr_metric", "row_metric_total", "top_metric", "var_metric"}
	if !slices.Equal(got, want) {
		t.Errorf("DashboardMetrics = %v, want %v", got, want)
	}

	bad := []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"empty", fstest.MapFS{"x.md": {Data: []byte("x")}}, "no *.json file"},
		{"syntax", fstest.MapFS{"d.json": {Data: []byte("{\n\"uid\": \"x\",\n\"panels\": [,]}")}}, "d.json: line 3"},
		{"type", fstest.MapFS{"d.json": {Data: []byte("{\"panels\": [{\"id\": \"one\"}]}")}}, "d.json: line 1"},
		{"query", fstest.MapFS{"d.json": {Data: []byte(`{"panels":[{"id":7,"title":"P","targets":[{"refId":"C","expr":"rate(x[5m]"}]}]}`)}},
			`d.json: panel 7 "P" target C: parsing PromQL`},
		{"variable", fstest.MapFS{"d.json": {Data: []byte(`{"templating":{"list":[{"name":"v","type":"query","query":"label_values({job=\"a\"}, x)"}]}}`)}},
			`d.json: variable "v": selector without a fixed metric name`},
		{"variable query type", fstest.MapFS{"d.json": {Data: []byte(`{"templating":{"list":[{"name":"v","type":"query","query":7}]}}`)}},
			`variable "v": query is neither`},
	}
	for _, c := range bad {
		_, err := DashboardMetrics(c.fs)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v, want one containing %q", c.name, err, c.want)
		}
	}
}
