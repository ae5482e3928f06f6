package workspace

import (
	"path"
	"sort"
)

// Files returns the files owned by p (in its directory and not in a nested
// project's), workspace-relative and sorted. Files in testdata and
// _-prefixed directories are included; hidden directories and node_modules
// are not scanned.
func (ws *Workspace) Files(p *Project) []string {
	var out []string
	for dir, entries := range ws.Dirs {
		if !p.Contains(dir) || ws.Owner(dir) != p {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() {
				out = append(out, path.Join(dir, e.Name()))
			}
		}
	}
	sort.Strings(out)
	return out
}
