package vuln

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/vuln/scan"
)

// Options configure a scan.
type Options struct {
	// Dir is where govulncheck runs: the workspace root, holding go.mod or
	// go.work. Required.
	Dir string
	// DB is the vulnerability database URL, as returned by Source
	// (default DefaultDB).
	DB string
	// Tags are extra build tags.
	Tags []string
	// Env is the go command's environment (GOOS, GOARCH, GOFLAGS, GOPROXY,
	// ...); nil means the process environment, as in os/exec.
	Env []string
	// Parallel is how many projects are scanned at once (default 1).
	Parallel int
	// ModuleDirs maps the path of each module in the workspace to its
	// directory relative to Dir, so trace positions are workspace-relative.
	ModuleDirs map[string]string
}

// Validate checks the options.
func (o Options) Validate() error {
	if o.Dir == "" {
		return fmt.Errorf("%w: no directory", ErrInvalidOption)
	}
	if o.Parallel < 0 {
		return fmt.Errorf("%w: parallel %d is negative", ErrInvalidOption, o.Parallel)
	}
	for _, t := range o.Tags {
		if t == "" || strings.ContainsAny(t, ", \t") {
			return fmt.Errorf("%w: invalid build tag %q", ErrInvalidOption, t)
		}
	}
	return nil
}

// Target is one project to scan.
type Target struct {
	// Project is the project's name.
	Project string
	// Packages are the import paths of its packages (the scan's roots).
	Packages []string
}

// Report is the result of a scan.
type Report struct {
	// DB is the database used and DBModified its last modification.
	DB         string     `json:"db"`
	DBModified *time.Time `json:"dbModified,omitempty"`
	// GoVersion is the toolchain whose standard library was checked.
	GoVersion string `json:"goVersion,omitempty"`
	// Projects holds one result per target, in target order.
	Projects []ProjectResult `json:"projects"`
}

// Vulnerable returns the results of the projects that reach a vulnerability.
func (r *Report) Vulnerable() []ProjectResult {
	var out []ProjectResult
	for _, p := range r.Projects {
		if len(p.Vulns) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// ProjectResult is the answer for one project.
type ProjectResult struct {
	Project string `json:"project"`
	// Packages is how many packages were scanned (0: the project has no
	// non-test Go package, so nothing was).
	Packages int `json:"packages"`
	// Vulns are the reachable vulnerabilities, sorted by ID.
	Vulns []Vuln `json:"vulns"`
}

// Vuln is one vulnerability a project reaches.
type Vuln struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	Summary string   `json:"summary,omitempty"`
	URL     string   `json:"url,omitempty"`
	// Module and Version are the vulnerable module as the build uses it
	// ("stdlib" and the Go version for the standard library).
	Module  string `json:"module"`
	Version string `json:"version,omitempty"`
	// FixedVersion is the first version with the fix ("" when none is).
	FixedVersion string `json:"fixedVersion,omitempty"`
	// Calls are the vulnerable symbols reached, each with one call trace.
	Calls []Call `json:"calls"`
}

// Call is a vulnerable symbol and a trace reaching it.
type Call struct {
	// Symbol is the vulnerable function: package path, then Func or
	// Type.Method.
	Symbol string `json:"symbol"`
	// Trace runs from the project's entry point to the vulnerable function.
	Trace []Frame `json:"trace"`
}

// Frame is one function of a trace.
type Frame struct {
	Package  string `json:"package"`
	Function string `json:"function"`
	// Position is where this function calls the next one (for the last
	// frame, where the vulnerable function is declared): file:line:column,
	// workspace-relative for the workspace's own modules, module@version/file
	// (as in the module cache) for other modules.
	Position string `json:"position,omitempty"`
}

// Name is the frame's function qualified with its package's last element
// (the last two for a major version suffix: redis/v9.NewClient).
func (f Frame) Name() string {
	short := path.Base(f.Package)
	if majorRe.MatchString(short) && path.Dir(f.Package) != "." {
		short = path.Base(path.Dir(f.Package)) + "/" + short
	}
	return short + "." + f.Function
}

var majorRe = regexp.MustCompile(`^v[0-9]+$`)

// Scan runs govulncheck for each target and returns the reachable
// vulnerabilities per project. A target without packages has an empty
// result. Errors wrap ErrInvalidOption or ErrScan (with govulncheck's
// output) and name the project; after the first error no further project is
// started. When ctx is cancelled Scan returns ctx.Err() at once, while
// govulncheck runs already started finish in the background (cancelling one
// in flight would crash it).
func Scan(ctx context.Context, o Options, targets []Target) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.DB == "" {
		o.DB = DefaultDB
	}
	if o.Parallel == 0 {
		o.Parallel = 1
	}
	results := make([]ProjectResult, len(targets))
	configs := make([]*streamConfig, len(targets))
	errs := make([]error, len(targets))
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	for i, t := range targets {
		results[i] = ProjectResult{Project: t.Project, Packages: len(t.Packages), Vulns: []Vuln{}}
		if len(t.Packages) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			s, err := o.run(ctx, t.Packages)
			if err != nil {
				errs[i] = fmt.Errorf("project %s: %w", t.Project, err)
				cancel()
				return
			}
			configs[i] = &s.config
			results[i].Vulns = o.vulns(s)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := parent.Err(); err != nil {
		return nil, err
	}
	rep := &Report{DB: o.DB, Projects: results}
	for _, c := range configs {
		if c != nil {
			rep.DBModified, rep.GoVersion = c.DBLastModified, c.GoVersion
			break
		}
	}
	return rep, nil
}

// run scans one set of packages.
func (o Options) run(ctx context.Context, pkgs []string) (*stream, error) {
	args := []string{"-C", o.Dir, "-db", o.DB, "-json"}
	if len(o.Tags) > 0 {
		args = append(args, "-tags", strings.Join(o.Tags, ","))
	}
	args = append(args, pkgs...)
	var stdout, stderr bytes.Buffer
	// govulncheck does not see ctx: cancelling it while the call graph is
	// built makes it panic (x/vuln v1.9.0). A cancelled scan returns at
	// once instead, and the abandoned run ends in the background.
	cmd := scan.Command(context.WithoutCancel(ctx), args...)
	cmd.Stdin = strings.NewReader("")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = o.Env
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScan, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case err = <-done:
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			return nil, fmt.Errorf("%w: %v\n%s", ErrScan, err, msg)
		}
		return nil, fmt.Errorf("%w: %w", ErrScan, err)
	}
	s, err := decodeStream(&stdout)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrScan, err)
	}
	return s, nil
}

// vulns groups the called findings of s by vulnerability.
func (o Options) vulns(s *stream) []Vuln {
	byID := map[string]*Vuln{}
	seen := map[string]bool{}
	for _, f := range s.called() {
		sink := f.Trace[0]
		v := byID[f.OSV]
		if v == nil {
			v = &Vuln{ID: f.OSV, Module: sink.Module, Version: sink.Version, FixedVersion: f.FixedVersion}
			if e := s.osvs[f.OSV]; e != nil {
				v.Aliases, v.Summary, v.URL = e.Aliases, e.Summary, e.DatabaseSpecific.URL
				if v.Summary == "" {
					v.Summary = firstLine(e.Details)
				}
			}
			byID[f.OSV] = v
		}
		c := Call{Symbol: sink.Package + "." + symbol(sink)}
		if seen[f.OSV+" "+c.Symbol] {
			continue
		}
		seen[f.OSV+" "+c.Symbol] = true
		for i := len(f.Trace) - 1; i >= 0; i-- {
			c.Trace = append(c.Trace, o.frame(f.Trace[i]))
		}
		v.Calls = append(v.Calls, c)
	}
	out := make([]Vuln, 0, len(byID))
	for _, v := range byID {
		sort.Slice(v.Calls, func(i, j int) bool { return v.Calls[i].Symbol < v.Calls[j].Symbol })
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (o Options) frame(f *frame) Frame {
	out := Frame{Package: f.Package, Function: symbol(f)}
	if p := f.Position; p != nil && p.Line > 0 {
		file := p.Filename
		if dir, ok := o.ModuleDirs[f.Module]; ok {
			file = path.Join(dir, file)
		} else if f.Module != "" && f.Module != "stdlib" && f.Version != "" {
			file = f.Module + "@" + f.Version + "/" + file // as in the module cache
		}
		out.Position = fmt.Sprintf("%s:%d:%d", file, p.Line, p.Column)
	}
	return out
}

// symbol is Func or Type.Method (the receiver's pointer star dropped).
func symbol(f *frame) string {
	if f.Receiver == "" {
		return f.Function
	}
	return strings.TrimPrefix(f.Receiver, "*") + "." + f.Function
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
