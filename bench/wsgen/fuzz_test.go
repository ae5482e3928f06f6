package wsgen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadManifest checks that any manifest file either decodes or fails
// with an error naming the file, and never panics.
func FuzzReadManifest(f *testing.F) {
	f.Add(`{"module":"example.com/synth","spec":{"apps":1,"libs":4,"seed":1},"projects":[],"external":[],"changes":[]}`)
	f.Add(`{"module": 1}`)
	f.Add(`{"changes":[{"kind":"root-util","files":["a.go"]}], "extra": true}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, data string) {
		path := filepath.Join(t.TempDir(), "manifest.json")
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := ReadManifest(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, k := range ChangeKinds {
			m.Change(k)
		}
		m.ProjectsOf([]string{"example.com/synth/x"})
	})
}
