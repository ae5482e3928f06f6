package observability

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed dashboards/*.json
var dashboardFiles embed.FS

// Dashboards returns the Grafana dashboards shipped in dashboards/, one
// JSON file each at the root of the returned file system.
func Dashboards() fs.FS {
	sub, err := fs.Sub(dashboardFiles, "dashboards")
	if err != nil {
		panic(err) // the embed pattern above guarantees the directory
	}
	return sub
}

// Dashboard is the part of a Grafana dashboard (classic JSON model) that
// the checks read. Unknown fields are ignored: Grafana writes many.
type Dashboard struct {
	File          string     `json:"-"` // path inside the file system it was read from
	UID           string     `json:"uid"`
	Title         string     `json:"title"`
	SchemaVersion int        `json:"schemaVersion"`
	Panels        []Panel    `json:"-"` // from "panels"
	Variables     []Variable `json:"-"` // from "templating.list"
}

// Panel is one panel of a dashboard; rows that are collapsed hold their
// panels in Panels.
type Panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *Datasource `json:"datasource"`
	Targets    []Target    `json:"targets"`
	Panels     []Panel     `json:"panels"`
}

// Target is one query of a panel.
type Target struct {
	RefID        string      `json:"refId"`
	Expr         string      `json:"expr"`
	LegendFormat string      `json:"legendFormat"`
	Datasource   *Datasource `json:"datasource"`
}

// Datasource refers to a data source by type and UID (or a variable such
// as ${datasource} in place of the UID).
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Variable is one templating variable. Query is the variable's query
// text, whether Grafana stored it as a string or as {"query": "..."}.
type Variable struct {
	Name       string      `json:"name"`
	Type       string      `json:"type"`
	Datasource *Datasource `json:"datasource"`
	Query      string      `json:"-"`
}

// UnmarshalJSON reads a dashboard, taking the variables from
// templating.list.
func (d *Dashboard) UnmarshalJSON(data []byte) error {
	type plain Dashboard
	var raw struct {
		plain
		Panels     []Panel `json:"panels"`
		Templating struct {
			List []Variable `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*d = Dashboard(raw.plain)
	d.Panels = raw.Panels
	d.Variables = raw.Templating.List
	return nil
}

// UnmarshalJSON reads a variable whose query is a string or an object
// with a "query" string.
func (v *Variable) UnmarshalJSON(data []byte) error {
	type plain Variable
	var raw struct {
		plain
		Query json.RawMessage `json:"query"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*v = Variable(raw.plain)
	if len(raw.Query) == 0 || string(raw.Query) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw.Query, &v.Query); err == nil {
		return nil
	}
	var obj struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(raw.Query, &obj); err != nil {
		return fmt.Errorf("variable %q: query is neither a string nor an object with a query string", v.Name)
	}
	v.Query = obj.Query
	return nil
}

// AllPanels returns the dashboard's panels with the panels of collapsed
// rows flattened in, in file order.
func (d *Dashboard) AllPanels() []Panel {
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// LoadDashboards reads every *.json file of fsys (at any depth) as a
// Grafana dashboard. A file that is not valid JSON is an error naming the
// file and line; no dashboard at all is an error too.
func LoadDashboards(fsys fs.FS) ([]Dashboard, error) {
	var out []Dashboard
	err := fs.WalkDir(fsys, ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || path.Ext(name) != ".json" {
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		var d Dashboard
		if err := json.Unmarshal(data, &d); err != nil {
			return fmt.Errorf("%s: %w", name, jsonError(data, err))
		}
		d.File = name
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading dashboards: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("reading dashboards: no *.json file found")
	}
	return out, nil
}

// jsonError adds the line number to a JSON syntax or type error.
func jsonError(data []byte, err error) error {
	var offset int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	}
	if offset < 0 || offset > int64(len(data)) {
		return err
	}
	line := 1 + strings.Count(string(data[:offset]), "\n")
	return fmt.Errorf("line %d: %w", line, err)
}

// Metrics returns the metric names, sorted and without duplicates, that
// the dashboard's PromQL queries select: every panel target's expr and
// every query variable's label_values(...) or query_result(...) selector.
// Names are series names as stored, so a histogram shows up as its
// _bucket, _sum or _count series. A query that does not parse, or a
// selector without a fixed metric name (wrapping ErrNoMetricName), is an
// error naming the file, panel and query.
func (d *Dashboard) Metrics() ([]string, error) {
	set := map[string]bool{}
	add := func(where, expr string) error {
		names, err := ExprMetrics(expr)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", d.File, where, err)
		}
		for _, n := range names {
			set[n] = true
		}
		return nil
	}
	for _, p := range d.AllPanels() {
		for _, t := range p.Targets {
			if strings.TrimSpace(t.Expr) == "" {
				continue
			}
			if err := add(fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, t.RefID), t.Expr); err != nil {
				return nil, err
			}
		}
	}
	for _, v := range d.Variables {
		if v.Type != "query" {
			continue
		}
		expr, ok := variableSelector(v.Query)
		if !ok {
			continue
		}
		if err := add(fmt.Sprintf("variable %q", v.Name), expr); err != nil {
			return nil, err
		}
	}
	return sortedKeys(set), nil
}

// DashboardMetrics returns the metric names, sorted and without
// duplicates, that the dashboards in fsys query (see Dashboard.Metrics),
// for example DashboardMetrics(Dashboards()). A check that a service
// emits them can look for each name at the start of a line of its
// Prometheus /metrics output.
func DashboardMetrics(fsys fs.FS) ([]string, error) {
	ds, err := LoadDashboards(fsys)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for i := range ds {
		names, err := ds[i].Metrics()
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			set[n] = true
		}
	}
	return sortedKeys(set), nil
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
