// Package matrix turns a list of projects into a GitHub Actions job matrix,
// batching projects into at most a given number of jobs (GitHub stops a
// matrix at 256).
package matrix

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// MaxJobs is GitHub Actions' limit of jobs in one matrix.
const MaxJobs = 256

// ErrInvalidOption is wrapped by errors of Build.
var ErrInvalidOption = errors.New("invalid option")

// Project is one project to put in the matrix.
type Project struct {
	Name string
	Root string
}

// Entry is one job of the matrix. Projects and Roots are space-separated,
// ready for a shell command line (`cent run -t build ${{ matrix.projects }}`).
type Entry struct {
	Name     string `json:"name"`
	Projects string `json:"projects"`
	Roots    string `json:"roots"`
	Count    int    `json:"count"`
}

// Matrix is the value of a job's strategy.matrix.
type Matrix struct {
	Include []Entry `json:"include"`
}

// Build returns one entry per project when there are at most maxJobs of
// them, otherwise maxJobs entries of contiguous, evenly sized batches (in
// name order). An empty list gives an empty Include.
func Build(projects []Project, maxJobs int) (Matrix, error) {
	if maxJobs < 1 || maxJobs > MaxJobs {
		return Matrix{}, fmt.Errorf("%w: max jobs %d not in 1..%d", ErrInvalidOption, maxJobs, MaxJobs)
	}
	ps := append([]Project(nil), projects...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	m := Matrix{Include: []Entry{}}
	if len(ps) <= maxJobs {
		for _, p := range ps {
			m.Include = append(m.Include, Entry{Name: p.Name, Projects: p.Name, Roots: p.Root, Count: 1})
		}
		return m, nil
	}
	n := len(ps)
	for i := 0; i < maxJobs; i++ {
		lo, hi := i*n/maxJobs, (i+1)*n/maxJobs
		batch := ps[lo:hi]
		names := make([]string, len(batch))
		roots := make([]string, len(batch))
		for j, p := range batch {
			names[j], roots[j] = p.Name, p.Root
		}
		m.Include = append(m.Include, Entry{
			Name:     fmt.Sprintf("%d/%d %s…%s", i+1, maxJobs, names[0], names[len(names)-1]),
			Projects: strings.Join(names, " "),
			Roots:    strings.Join(roots, " "),
			Count:    len(batch),
		})
	}
	return m, nil
}
