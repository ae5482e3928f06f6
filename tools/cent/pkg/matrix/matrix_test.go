package matrix

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func projects(n int) []Project {
	var ps []Project
	for i := 0; i < n; i++ {
		ps = append(ps, Project{Name: fmt.Sprintf("svc-%04d", i), Root: fmt.Sprintf("apps/svc-%04d", i)})
	}
	return ps
}

func TestBuild(t *testing.T) {
	for _, n := range []int{0, 1, 256, 257, 1000, 3001} {
		m, err := Build(projects(n), MaxJobs)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Include) > MaxJobs {
			t.Fatalf("%d projects: %d jobs", n, len(m.Include))
		}
		seen := map[string]bool{}
		total := 0
		for _, e := range m.Include {
			for _, p := range strings.Fields(e.Projects) {
				if seen[p] {
					t.Fatalf("%s in two jobs", p)
				}
				seen[p] = true
			}
			total += e.Count
			if e.Count != len(strings.Fields(e.Roots)) {
				t.Fatalf("entry %+v: roots do not match projects", e)
			}
		}
		if total != n || len(seen) != n {
			t.Fatalf("%d projects: matrix covers %d", n, len(seen))
		}
		data, _ := json.Marshal(m)
		if len(data) > 1<<20 {
			t.Fatalf("%d projects: matrix is %d bytes, over the 1 MB output limit", n, len(data))
		}
		if n == 0 && string(data) != `{"include":[]}` {
			t.Fatalf("empty matrix: %s", data)
		}
	}
	if _, err := Build(projects(3), 0); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("max jobs 0: %v", err)
	}
	if _, err := Build(projects(3), 257); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("max jobs 257: %v", err)
	}
}
