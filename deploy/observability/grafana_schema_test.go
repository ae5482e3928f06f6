package observability

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// TestDashboardsMatchGrafanaSchema decodes every dashboard with the types
// Grafana generates from its dashboard schema (the classic model), strictly:
// a misspelt or misplaced field, a wrong type or a panel option that the
// panel plugin does not have fails.
func TestDashboardsMatchGrafanaSchema(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	fsys := Dashboards()
	ds, err := LoadDashboards(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		data, err := fs.ReadFile(fsys, d.File)
		if err != nil {
			t.Fatal(err)
		}
		var g dashboard.Dashboard
		if err := schemaError(g.UnmarshalJSONStrict(data)); err != nil {
			t.Errorf("%s: %v", d.File, err)
			continue
		}
		if g.SchemaVersion != dashboard.NewDashboard().SchemaVersion {
			t.Errorf("%s: schemaVersion %d, the schema's is %d", d.File, g.SchemaVersion, dashboard.NewDashboard().SchemaVersion)
		}
	}
}

// schemaError is err, or nil for the empty error list the generated
// decoder returns on success.
func schemaError(err error) error {
	var errs cog.BuildErrors
	if errors.As(err, &errs) && len(errs) == 0 {
		return nil
	}
	return err
}
