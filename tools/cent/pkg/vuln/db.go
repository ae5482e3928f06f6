package vuln

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// DefaultDB is the public Go vulnerability database.
const DefaultDB = "https://vuln.go.dev"

// idRe is the shape of an entry ID usable as a file name: GO-2024-1234,
// GHSA-xxxx-xxxx-xxxx, and so on; never a path.
var idRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Source turns a database given by the user into the URL govulncheck takes:
// an http(s) or file URL is kept (a file URL's directory is checked), anything
// else is a directory, made absolute and checked with CheckDir. Empty means
// DefaultDB. Errors wrap ErrInvalidDB.
func Source(db string) (string, error) {
	if db == "" {
		return DefaultDB, nil
	}
	if u, err := url.Parse(db); err == nil && len(u.Scheme) > 1 {
		switch u.Scheme {
		case "http", "https":
			if u.Host == "" {
				return "", fmt.Errorf("%w: %q has no host", ErrInvalidDB, db)
			}
			return strings.TrimRight(db, "/"), nil
		case "file":
			if u.Host != "" && u.Host != "localhost" {
				return "", fmt.Errorf("%w: %q: a file URL names a local directory (file:///dir)", ErrInvalidDB, db)
			}
			if err := CheckDir(filepath.FromSlash(u.Path)); err != nil {
				return "", err
			}
			return db, nil
		default:
			return "", fmt.Errorf("%w: %q: unsupported scheme %q (want https, http, file or a directory)", ErrInvalidDB, db, u.Scheme)
		}
	}
	dir, err := filepath.Abs(db)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrInvalidDB, db, err)
	}
	if err := CheckDir(dir); err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String(), nil
}

// dbIndex is index/db.json.
type dbIndex struct {
	Modified time.Time `json:"modified"`
}

// modulesIndex is index/modules.json.
type modulesIndex []struct {
	Path  string `json:"path"`
	Vulns []struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
		Fixed    string    `json:"fixed"`
	} `json:"vulns"`
}

// CheckDir checks that dir holds a vulnerability database in the layout of
// the Go vulnerability database: index/db.json with the modification time,
// index/modules.json listing each module's entries, and ID/<id>.json, an OSV
// entry with that id naming that module, for every entry listed. Errors wrap
// ErrInvalidDB and name the file (and line, for malformed JSON).
func CheckDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidDB, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrInvalidDB, dir)
	}
	var db dbIndex
	if err := readJSON(dir, "index/db.json", &db); err != nil {
		return err
	}
	if db.Modified.IsZero() {
		return fmt.Errorf("%w: %s: index/db.json: no \"modified\" time", ErrInvalidDB, dir)
	}
	var mods modulesIndex
	if err := readJSON(dir, "index/modules.json", &mods); err != nil {
		return err
	}
	checked := map[string]*osvEntry{}
	for i, m := range mods {
		if m.Path == "" {
			return fmt.Errorf("%w: %s: index/modules.json: module %d has no \"path\"", ErrInvalidDB, dir, i+1)
		}
		for _, v := range m.Vulns {
			if !idRe.MatchString(v.ID) {
				return fmt.Errorf("%w: %s: index/modules.json: module %s lists the invalid id %q", ErrInvalidDB, dir, m.Path, v.ID)
			}
			e, ok := checked[v.ID]
			if !ok {
				e = &osvEntry{}
				file := "ID/" + v.ID + ".json"
				if err := readJSON(dir, file, e); err != nil {
					return err
				}
				if e.ID != v.ID {
					return fmt.Errorf("%w: %s: %s: id is %q, want %q", ErrInvalidDB, dir, file, e.ID, v.ID)
				}
				checked[v.ID] = e
			}
			if !e.affects(m.Path) {
				return fmt.Errorf("%w: %s: ID/%s.json does not list module %s, which index/modules.json says it affects", ErrInvalidDB, dir, v.ID, m.Path)
			}
		}
	}
	return nil
}

// readJSON decodes dir/file into v; errors name the file and, for syntax
// errors, the line.
func readJSON(dir, file string, v any) error {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%w: %s: %s is missing (want the layout index/db.json, index/modules.json, ID/<id>.json)", ErrInvalidDB, dir, file)
		}
		return fmt.Errorf("%w: %s: %w", ErrInvalidDB, dir, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %s: %s: %s", ErrInvalidDB, dir, file, jsonProblem(data, err))
	}
	return nil
}

// jsonProblem describes a JSON decoding error with its line number.
func jsonProblem(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	return fmt.Sprintf("line %d: %v", line, err)
}
