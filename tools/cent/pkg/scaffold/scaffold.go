package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"go/format"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

//go:embed templates
var templates embed.FS

// MaxNameLength bounds app names: the name is a Kubernetes namespace, Helm
// release and object name prefix, and the chart appends suffixes such as
// "-database" and "-migrate".
const MaxNameLength = 40

// RuntimeDir is the chassis runtime package every app imports, relative to
// the workspace root (its import path is the module path + "/" + RuntimeDir).
const RuntimeDir = "libs/platform/service"

// DefaultImageRegistry is the registry prefix of a new app's image
// repository when AppOptions.ImageRepository is empty; CI pushes to the
// repository variable it is configured with and pins the digest.
const DefaultImageRegistry = "registry.example.com/centuria"

// LibTypes are the library types NewLib accepts, in the order cent lint's
// rules allow imports (a type may import the types after it).
var LibTypes = []string{"feature", "ui", "data-access", "util"}

// Workspace is what a scaffold needs to know of the workspace.
type Workspace struct {
	// Root is the workspace directory.
	Root string
	// Module is the Go module path of the directory the project goes in.
	Module string
	// Projects maps each existing project name to its root, to refuse a
	// name that is taken.
	Projects map[string]string
}

// AppOptions describe a new app.
type AppOptions struct {
	// Name is the app's name: apps/<name>, the project, the service, the
	// namespace. Required: a lowercase DNS label of at most MaxNameLength.
	Name string
	// Scope, when set, tags the app scope:<scope> for cent lint.
	Scope string
	// ImageRepository is the image repository in the deploy values
	// (default DefaultImageRegistry/<name>).
	ImageRepository string
}

// LibOptions describe a new library.
type LibOptions struct {
	// Name, Scope and Type give libs/<scope>/<type>-<name>. All required;
	// Type is one of LibTypes.
	Name, Scope, Type string
}

// Result is what a scaffold wrote.
type Result struct {
	// Project is the cent project name, Dir its root (slash-separated,
	// workspace-relative).
	Project, Dir string
	// Files are the files written, workspace-relative, sorted.
	Files []string
}

var labelRE = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)

// checkLabel validates a name or scope: a lowercase DNS label.
func checkLabel(what, s string, max int) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: the %s is empty", ErrInvalidName, what)
	case len(s) > max:
		return fmt.Errorf("%w: %s %q is %d characters long, at most %d", ErrInvalidName, what, s, len(s), max)
	case !labelRE.MatchString(s):
		return fmt.Errorf("%w: %s %q: want lowercase letters, digits and '-', starting with a letter and not ending with '-'", ErrInvalidName, what, s)
	case strings.Contains(s, "--"):
		return fmt.Errorf("%w: %s %q: no \"--\"", ErrInvalidName, what, s)
	}
	return nil
}

// packageName is the Go package name of a library named name.
func packageName(name string) (string, error) {
	pkg := strings.ReplaceAll(name, "-", "")
	if token.IsKeyword(pkg) || pkg == "main" {
		return "", fmt.Errorf("%w: name %q: its package name %q is reserved in Go", ErrInvalidName, name, pkg)
	}
	return pkg, nil
}

// data is what the templates see.
type data struct {
	Name, Scope, Type, Module, Project, Package, ImageRepository, TypeDoc string
}

// NewApp writes a new app. Errors wrap ErrInvalidName or ErrExists when the
// options are at fault.
func NewApp(ws Workspace, o AppOptions) (*Result, error) {
	if err := checkLabel("app name", o.Name, MaxNameLength); err != nil {
		return nil, err
	}
	if o.Scope != "" {
		if err := checkLabel("scope", o.Scope, 63); err != nil {
			return nil, err
		}
	}
	repo := o.ImageRepository
	if repo == "" {
		repo = DefaultImageRegistry + "/" + o.Name
	}
	if !imageRepoRE.MatchString(repo) {
		return nil, fmt.Errorf("%w: image repository %q: want lowercase host/path, e.g. %s/%s", ErrInvalidName, repo, DefaultImageRegistry, o.Name)
	}
	if st, err := os.Stat(filepath.Join(ws.Root, filepath.FromSlash(RuntimeDir))); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%w: an app runs on the chassis runtime, and the workspace has no %s", ErrNoRuntime, RuntimeDir)
	}
	d := data{Name: o.Name, Scope: o.Scope, Module: ws.Module, Project: o.Name, ImageRepository: repo}
	return write(ws, "templates/app", path.Join("apps", o.Name), d)
}

// imageRepoRE is the chart schema's pattern for image.repository.
var imageRepoRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9._:/-]*[a-z0-9])?$`)

// typeDocs describe each library type in its package doc, wrapped as
// comment lines.
var typeDocs = map[string]string{
	"feature":     "A feature library holds use cases; it may import feature, ui, data-access\n// and util libraries.",
	"ui":          "A ui library renders what users and clients see (HTTP responses,\n// templates); it may import ui and util libraries.",
	"data-access": "A data-access library talks to a database or another service; it may\n// import data-access and util libraries.",
	"util":        "A util library holds small, pure helpers; it may import util libraries\n// only.",
}

// NewLib writes a new library. Errors wrap ErrInvalidName or ErrExists when
// the options are at fault.
func NewLib(ws Workspace, o LibOptions) (*Result, error) {
	if o.Type == "" {
		return nil, fmt.Errorf("%w: the library type is empty (want one of %s)", ErrInvalidName, strings.Join(LibTypes, ", "))
	}
	if !slices.Contains(LibTypes, o.Type) {
		return nil, fmt.Errorf("%w: library type %q: want one of %s", ErrInvalidName, o.Type, strings.Join(LibTypes, ", "))
	}
	if err := checkLabel("library name", o.Name, 63); err != nil {
		return nil, err
	}
	if err := checkLabel("scope", o.Scope, 63); err != nil {
		return nil, err
	}
	for _, t := range LibTypes {
		if strings.HasPrefix(o.Name, t+"-") {
			return nil, fmt.Errorf("%w: library name %q: leave the type prefix out (the directory is %s-<name>)", ErrInvalidName, o.Name, o.Type)
		}
	}
	pkg, err := packageName(o.Name)
	if err != nil {
		return nil, err
	}
	dirName := o.Type + "-" + o.Name
	d := data{Name: o.Name, Scope: o.Scope, Type: o.Type, Module: ws.Module, Package: pkg,
		Project: o.Scope + "-" + dirName, TypeDoc: typeDocs[o.Type]}
	return write(ws, "templates/lib", path.Join("libs", o.Scope, dirName), d)
}

// write renders the templates under tmplDir into dir, refusing an existing
// directory or project name, and removes what it created on failure.
func write(ws Workspace, tmplDir, dir string, d data) (res *Result, err error) {
	if ws.Root == "" || ws.Module == "" {
		return nil, errors.New("scaffold: Workspace.Root and Module are required")
	}
	if root, ok := ws.Projects[d.Project]; ok {
		return nil, fmt.Errorf("%w: project %q (%s)", ErrExists, d.Project, root)
	}
	full := filepath.Join(ws.Root, filepath.FromSlash(dir))
	if _, err := os.Lstat(full); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	files, err := render(tmplDir, d)
	if err != nil {
		return nil, err
	}
	// Create the missing parents, remembering the topmost one to remove.
	top := full
	for p := filepath.Dir(full); p != ws.Root && p != filepath.Dir(p); p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		}
		top = p
	}
	defer func() {
		if err != nil {
			os.RemoveAll(top)
		}
	}()
	res = &Result{Project: d.Project, Dir: dir}
	for _, f := range files {
		p := filepath.Join(full, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, err
		}
		_, err = fh.Write(f.data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", path.Join(dir, f.name), err)
		}
		res.Files = append(res.Files, path.Join(dir, f.name))
	}
	slices.Sort(res.Files)
	return res, nil
}

type file struct {
	name string
	data []byte
}

// render executes every template under tmplDir: a file's name is its
// template path without ".tmpl", with NAME replaced by the name (or the
// package name for libraries); Go files are gofmt'ed.
func render(tmplDir string, d data) ([]file, error) {
	var out []file
	err := fs.WalkDir(templates, tmplDir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		src, err := templates.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(p).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, d); err != nil {
			return fmt.Errorf("template %s: %w", p, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p, tmplDir+"/"), ".tmpl")
		pkg := d.Package
		if pkg == "" {
			pkg = d.Name
		}
		name = strings.ReplaceAll(name, "NAME", pkg)
		data := b.Bytes()
		if strings.HasSuffix(name, ".go") {
			if data, err = format.Source(data); err != nil {
				return fmt.Errorf("template %s: the Go source does not parse: %w", p, err)
			}
		}
		out = append(out, file{name: name, data: data})
		return nil
	})
	return out, err
}
