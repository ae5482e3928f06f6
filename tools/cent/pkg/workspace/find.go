package workspace

import (
	"os"
	"path/filepath"
)

// Find returns the workspace root for start: the nearest directory at or
// above start holding cent.yaml, else the nearest holding go.work, else the
// nearest holding go.mod. It returns ErrNoWorkspace when there is none.
func Find(start string) (string, error) {
	abs, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	var goWork, goMod string
	for dir := abs; ; dir = filepath.Dir(dir) {
		if exists(filepath.Join(dir, ConfigFileName)) {
			return dir, nil
		}
		if goWork == "" && exists(filepath.Join(dir, "go.work")) {
			goWork = dir
		}
		if goMod == "" && exists(filepath.Join(dir, "go.mod")) {
			goMod = dir
		}
		if parent := filepath.Dir(dir); parent == dir {
			break
		}
	}
	switch {
	case goWork != "":
		return goWork, nil
	case goMod != "":
		return goMod, nil
	}
	return "", ErrNoWorkspace
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
